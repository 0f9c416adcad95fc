/**
 * NATS Streaming throughput with a native load generator (bench/stan_load.c on Debian's libnats): publishes
 * with acks, pipelined up to the C client's 16384 in flight, and 1 publisher : 1 subscriber, 128 B and 1 KiB,
 * on the seed's file store, plaintext vs AES vs CHACHA. Each mode has its own server; a warm-up round (the
 * JIT, the page cache) is discarded, then the modes take turns round after round, the order rotating, so a
 * busy spell on the shared machine costs every mode alike. The figure is the median over rounds of each
 * round's encrypted/plain ratio (paired within the round), beside the median rates; and the same ratio of
 * messages per second of the server's own CPU time, which other processes on the machine disturb far less
 * than the wall clock. There is no
 * nats-streaming-server here: stan-bench's published figures (reference nats-streaming.md §9.3) are context.
 * Usage: bun bench/stan_bench.ts [--quick] [--rounds=N] [--case=pub:128 ...] [count] (--quick: 50k messages a
 * run and 3 rounds; else 100k and 7; --case picks rows, `pub` or `pubsub` with a size, and may repeat)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliChild } from "../tests/_helpers/cli_child.ts";
import { buildLibnats, removeBuilt } from "../tests/_helpers/libnats.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const COUNT = Number(args.find((a) => !a.startsWith("--")) ?? (quick ? 50_000 : 100_000));
const ROUNDS = Number(args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? (quick ? 3 : 7));
const CASES = args.filter((a) => a.startsWith("--case=")).map((a) => {
  const [kind, size] = a.slice(7).split(":");
  if ((kind !== "pub" && kind !== "pubsub") || !(Number(size) > 0)) throw new Error(`--case wants pub:<size> or pubsub:<size>, not "${a.slice(7)}"`);
  return { withSub: kind === "pubsub", size: Number(size) };
});
if (CASES.length === 0) for (const withSub of [false, true]) for (const size of [128, 1024]) CASES.push({ withSub, size });
const MODES: [string, string[]][] = [["plain", []], ["AES", ["-encrypt", "-encryption_cipher", "AES"]], ["CHACHA", ["-encrypt", "-encryption_cipher", "CHACHA"]]];
const load = await buildLibnats(join(import.meta.dir, "stan_load.c"), true);

/** The server's CPU time so far (user + system, /proc/<pid>/stat at 100 ticks a second), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Run {
  /** Messages a second, first publish to last ack (and last delivery). */
  rate: number;
  /** Messages per second of the server's CPU: what the work costs, whatever else the machine runs. */
  perCpu: number;
}

async function generate(srv: CliChild, withSub: boolean, size: number): Promise<Run> {
  const cpu0 = cpuSeconds(srv.pid);
  const proc = Bun.spawn([load, `nats://127.0.0.1:${srv.port}`, "test-cluster", withSub ? "pubsub" : "pub", String(size), String(COUNT)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`stan_load exited ${code}: ${err.trim()}`);
  const cpu = cpuSeconds(srv.pid) - cpu0;
  return { rate: (JSON.parse(out) as { rate: number }).rate, perCpu: COUNT / cpu };
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Medians = Record<string, number>;

interface Result {
  rates: Medians;
  perCpu: Medians;
  ratios: Medians;
  cpuRatios: Medians;
  /** The lowest and highest round's per-CPU ratio, so the spread behind a median is in sight. */
  cpuRange: Record<string, [number, number]>;
}

async function compare(size: number, withSub: boolean): Promise<Result> {
  const servers = await Promise.all(MODES.map(([, flags]) => serve(flags)));
  try {
    const rates: Record<string, number[]> = Object.fromEntries(MODES.map(([n]) => [n, []]));
    const perCpu: Record<string, number[]> = Object.fromEntries(MODES.map(([n]) => [n, []]));
    const ratios: Record<string, number[]> = Object.fromEntries(MODES.slice(1).map(([n]) => [n, []]));
    const cpuRatios: Record<string, number[]> = Object.fromEntries(MODES.slice(1).map(([n]) => [n, []]));
    for (let round = 0; round <= ROUNDS; round++) {
      const got: Record<string, Run> = {};
      for (let k = 0; k < MODES.length; k++) {
        const i = (round + k) % MODES.length;
        got[MODES[i]![0]] = await generate(servers[i]!.srv, withSub, size);
      }
      // Round 0 warms up every server and is not counted.
      if (round === 0) continue;
      for (const [n] of MODES) {
        rates[n]!.push(got[n]!.rate);
        perCpu[n]!.push(got[n]!.perCpu);
      }
      for (const n of Object.keys(ratios)) {
        ratios[n]!.push(got[n]!.rate / got.plain!.rate);
        cpuRatios[n]!.push(got[n]!.perCpu / got.plain!.perCpu);
      }
    }
    const medians = (m: Record<string, number[]>): Medians => Object.fromEntries(Object.entries(m).map(([n, xs]) => [n, median(xs)]));
    const range = Object.fromEntries(Object.entries(cpuRatios).map(([n, xs]) => [n, [Math.min(...xs), Math.max(...xs)] as [number, number]]));
    return { rates: medians(rates), perCpu: medians(perCpu), ratios: medians(ratios), cpuRatios: medians(cpuRatios), cpuRange: range };
  } finally {
    for (const { srv, dir } of servers) {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

console.log(
  `stan_load (libnats, ${COUNT} msgs a run, median of ${ROUNDS} rounds after a warm-up): msg/s (msgs per second of ` +
    `the server's CPU), encrypted/plain (per CPU, lowest-highest round per CPU); stan-bench's published 1 KiB figure: 1 pub + 1 sub 206,832 msg/s ` +
    `each way (hardware not stated)`,
);
for (const { withSub, size } of CASES) {
  const { rates, perCpu, ratios, cpuRatios, cpuRange } = await compare(size, withSub);
  const row = MODES.map(([n]) => `${n} ${Math.round(rates[n]! / 1000)}k (${Math.round(perCpu[n]! / 1000)}k)`).join(", ");
  const r = Object.keys(ratios).map((n) => `${n}/plain ${ratios[n]!.toFixed(2)} (${cpuRatios[n]!.toFixed(2)}, ${cpuRange[n]![0].toFixed(2)}-${cpuRange[n]![1].toFixed(2)})`).join(", ");
  console.log(`${withSub ? "1 pub : 1 sub" : "publish+ack  "} ${String(size).padStart(4)} B: ${row}; ${r}`);
}
removeBuilt();
