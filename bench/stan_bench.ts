/**
 * NATS Streaming throughput with a native load generator (bench/stan_load.c on Debian's libnats): publishes
 * with acks, pipelined up to the C client's 16384 in flight, and 1 publisher : 1 subscriber, 128 B and 1 KiB,
 * on the seed's file store, plaintext vs AES vs CHACHA. Each mode is the best of BURSTS runs against its own
 * server (the first warms up the JIT and the page cache; the machine is shared), the modes taking turns. There is no nats-streaming-server
 * here: stan-bench's published figures (reference nats-streaming.md §9.3) are context, the encrypted/plain
 * ratio is the figure. Usage: bun bench/stan_bench.ts [count]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliChild } from "../tests/_helpers/cli_child.ts";
import { buildLibnats, removeBuilt } from "../tests/_helpers/libnats.ts";

const COUNT = Number(process.argv[2] ?? 50_000);
const SIZES = [128, 1024];
const BURSTS = 5;
const MODES: [string, string[]][] = [["plain", []], ["AES", ["-encrypt", "-encryption_cipher", "AES"]], ["CHACHA", ["-encrypt", "-encryption_cipher", "CHACHA"]]];
const load = await buildLibnats(join(import.meta.dir, "stan_load.c"), true);

async function generate(port: number, withSub: boolean, size: number): Promise<number> {
  const proc = Bun.spawn([load, `nats://127.0.0.1:${port}`, "test-cluster", withSub ? "pubsub" : "pub", String(size), String(COUNT)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`stan_load exited ${code}: ${err.trim()}`);
  return (JSON.parse(out) as { rate: number }).rate;
}

interface Running {
  srv: CliChild;
  dir: string;
}

async function serve(flags: string[]): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), "stan-bench-"));
  const srv = await CliChild.start(["-a", "127.0.0.1", "-p", "-1", "-store", "file", "-dir", join(dir, "d"), ...flags], { NATS_STREAMING_ENCRYPTION_KEY: "bench-key" });
  return { srv, dir };
}

/**
 * The best rate of each mode over BURSTS rounds, one server per mode, the modes taking turns within a round:
 * a busy spell on the shared machine then costs every mode a round, not one mode its whole run.
 */
async function compare(size: number, withSub: boolean): Promise<Record<string, number>> {
  const servers = await Promise.all(MODES.map(([, flags]) => serve(flags)));
  try {
    const best: Record<string, number> = {};
    for (let round = 0; round < BURSTS; round++) {
      for (const [i, [name]] of MODES.entries()) best[name] = Math.max(best[name] ?? 0, await generate(servers[i]!.srv.port, withSub, size));
    }
    return best;
  } finally {
    for (const { srv, dir } of servers) {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

console.log(`stan_load (libnats ${COUNT} msgs, best of ${BURSTS}); stan-bench's published 1 KiB figures: 1 pub + 1 sub 206,832 msg/s each way (hardware not stated)`);
for (const withSub of [false, true]) {
  for (const size of SIZES) {
    const rates = await compare(size, withSub);
    const row = MODES.map(([n]) => `${n} ${Math.round(rates[n]!)} msg/s`).join(", ");
    const ratio = (Math.min(rates.AES!, rates.CHACHA!) / rates.plain!).toFixed(2);
    console.log(`${withSub ? "1 pub : 1 sub" : "publish+ack"} ${size} B: ${row}; worst encrypted/plain ${ratio}`);
  }
}
removeBuilt();
