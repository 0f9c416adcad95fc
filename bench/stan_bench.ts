/**
 * NATS Streaming throughput with a native load generator (bench/stan_load.c on Debian's libnats): publishes
 * with acks, pipelined up to the C client's 16384 in flight, and 1 publisher : 1 subscriber, 128 B and 1 KiB,
 * on the seed's file store, plaintext vs AES vs CHACHA. Each mode is the best of BURSTS runs against one server
 * (the first warms up the JIT and the page cache; the machine is shared). There is no nats-streaming-server
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
const BURSTS = 3;
const MODES: [string, string[]][] = [["plain", []], ["AES", ["-encrypt", "-encryption_cipher", "AES"]], ["CHACHA", ["-encrypt", "-encryption_cipher", "CHACHA"]]];
const load = await buildLibnats(join(import.meta.dir, "stan_load.c"), true);

async function generate(port: number, withSub: boolean, size: number): Promise<number> {
  const proc = Bun.spawn([load, `nats://127.0.0.1:${port}`, "test-cluster", withSub ? "pubsub" : "pub", String(size), String(COUNT)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`stan_load exited ${code}: ${err.trim()}`);
  return (JSON.parse(out) as { rate: number }).rate;
}

async function run(size: number, flags: string[], withSub: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "stan-bench-"));
  const srv = await CliChild.start(["-a", "127.0.0.1", "-p", "-1", "-store", "file", "-dir", join(dir, "d"), ...flags], { NATS_STREAMING_ENCRYPTION_KEY: "bench-key" });
  try {
    let best = 0;
    for (let b = 0; b < BURSTS; b++) best = Math.max(best, await generate(srv.port, withSub, size));
    return best;
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`stan_load (libnats ${COUNT} msgs, best of ${BURSTS}); stan-bench's published 1 KiB figures: 1 pub + 1 sub 206,832 msg/s each way (hardware not stated)`);
for (const withSub of [false, true]) {
  for (const size of SIZES) {
    const rates: Record<string, number> = {};
    for (const [name, flags] of MODES) rates[name] = await run(size, flags, withSub);
    const row = MODES.map(([n]) => `${n} ${Math.round(rates[n]!)} msg/s`).join(", ");
    const ratio = (Math.min(rates.AES!, rates.CHACHA!) / rates.plain!).toFixed(2);
    console.log(`${withSub ? "1 pub : 1 sub" : "publish+ack"} ${size} B: ${row}; worst encrypted/plain ${ratio}`);
  }
}
removeBuilt();
