/**
 * NATS Streaming throughput with a native load generator (bench/stan_load.c on Debian's libnats): publishes
 * with acks, pipelined up to the C client's 16384 in flight, and 1 publisher : 1 subscriber, 128 B and 1 KiB,
 * on the seed's file store, plaintext vs AES vs CHACHA, and a second plaintext server as a control.
 *
 * What makes one run differ from the next, measured on the shared 2-core machine (docs in the STAN section of
 * README.md): not the system calls (reads, writes and fsyncs per message are the same in every mode and round),
 * but the server process itself. Two plaintext servers doing the same work differ by up to 40 % of CPU per
 * message in one round, and by a tenth in the median of 8 rounds when the same two processes are reused:
 * each process's JIT and heap settle differently, the JIT still runs after one warm-up run, and a data
 * directory kept for all rounds grows into the store limits (1M messages) in later rounds only. So:
 * - every round starts a fresh server per mode on a fresh data directory and warms it up with `--warmup`
 *   runs (2 by default) before the measured one, so no process's luck counts in more than one round;
 * - the modes are measured one after another in each round, the order rotating, and the figure is the median
 *   over rounds of each round's encrypted/plain ratio (paired within the round);
 * - CPU time is the server's own (user + system of every thread, /proc/<pid>/stat), which the other processes on the machine disturb far less than the wall clock;
 * - `plain2/plain` is the same ratio between two plaintext servers: it is 1 in truth, so its median and
 *   quartiles are the bench's own noise, the yardstick for the encrypted ratios.
 * There is no nats-streaming-server here: stan-bench's published figures (reference nats-streaming.md §9.3)
 * are context.
 * Usage: bun bench/stan_bench.ts [--quick] [--rounds=N] [--warmup=N] [--case=pub:128 ...] [count]
 * (--quick: 50k messages a run and 3 rounds; else 100k and 9; --case picks rows, `pub` or `pubsub` with a
 * size, and may repeat)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliChild } from "../tests/_helpers/cli_child.ts";
import { buildLibnats, removeBuilt } from "../tests/_helpers/libnats.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const option = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const BURST = Number(option("burst") ?? 20_000);
const BURSTS = Number(option("bursts") ?? (quick ? 5 : 10));
const ROUNDS = Number(option("rounds") ?? (quick ? 3 : 7));
const WARMUP = Number(option("warmup") ?? 5);
const EACH = args.includes("--each");
const CASES = args.filter((a) => a.startsWith("--case=")).map((a) => {
  const [kind, size] = a.slice(7).split(":");
  if ((kind !== "pub" && kind !== "pubsub") || !(Number(size) > 0)) throw new Error(`--case wants pub:<size> or pubsub:<size>, not "${a.slice(7)}"`);
  return { withSub: kind === "pubsub", size: Number(size) };
});
if (CASES.length === 0) for (const withSub of [false, true]) for (const size of [128, 1024]) CASES.push({ withSub, size });
const MODES: [string, string[]][] = [
  ["plain", []],
  ["AES", ["-encrypt", "-encryption_cipher", "AES"]],
  ["CHACHA", ["-encrypt", "-encryption_cipher", "CHACHA"]],
  ["plain2", []],
];
const load = await buildLibnats(join(import.meta.dir, "stan_load.c"), true);

/**
 * The server's CPU time so far, user + system of all its threads, ended ones too (/proc/<pid>/stat, 100 ticks
 * a second: 1 % of a run of 200k messages; the per-thread schedstat in ns would lose the threads Bun ends).
 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Run {
  /** Messages a second over the server's own turns, first publish to last ack (and last delivery). */
  rate: number;
  /** Messages per second of the server's CPU: what the work costs, whatever else the machine runs. */
  perCpu: number;
}

/** `bursts` turns of BURST messages for every server, the turns interleaved (bench/stan_load.c). */
async function generate(servers: CliChild[], withSub: boolean, size: number, bursts: number): Promise<Run[]> {
  const cpu0 = servers.map((s) => cpuSeconds(s.pid));
  const urls = servers.map((s) => `nats://127.0.0.1:${s.port}`);
  const proc = Bun.spawn([load, "test-cluster", withSub ? "pubsub" : "pub", String(size), String(BURST), String(bursts), ...urls], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`stan_load exited ${code}: ${err.trim()}`);
  const { msgs, rates } = JSON.parse(out) as { msgs: number; rates: number[] };
  return servers.map((s, i) => ({ rate: rates[i]!, perCpu: msgs / (cpuSeconds(s.pid) - cpu0[i]!) }));
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

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}

type PerMode = Record<string, number[]>;

/** Each mode's runs and, for every mode but plain, each round's ratio to plain. */
interface Result {
  rates: PerMode;
  perCpu: PerMode;
  ratios: PerMode;
  cpuRatios: PerMode;
}

/** One round: a fresh server per mode, all warmed up together, then measured together. */
async function round(size: number, withSub: boolean): Promise<Record<string, Run>> {
  const servers = await Promise.all(MODES.map(([, flags]) => serve(flags)));
  try {
    const srvs = servers.map((s) => s.srv);
    if (WARMUP > 0) await generate(srvs, withSub, size, WARMUP);
    const runs = await generate(srvs, withSub, size, BURSTS);
    return Object.fromEntries(MODES.map(([n], i) => [n, runs[i]!]));
  } finally {
    for (const { srv, dir } of servers) {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function compare(size: number, withSub: boolean): Promise<Result> {
  const perMode = (names: string[]): PerMode => Object.fromEntries(names.map((n) => [n, []]));
  const names = MODES.map(([n]) => n);
  const r: Result = { rates: perMode(names), perCpu: perMode(names), ratios: perMode(names.slice(1)), cpuRatios: perMode(names.slice(1)) };
  for (let k = 0; k < ROUNDS; k++) {
    const got = await round(size, withSub);
    for (const n of names) {
      r.rates[n]!.push(got[n]!.rate);
      r.perCpu[n]!.push(got[n]!.perCpu);
    }
    for (const n of names.slice(1)) {
      r.ratios[n]!.push(got[n]!.rate / got.plain!.rate);
      r.cpuRatios[n]!.push(got[n]!.perCpu / got.plain!.perCpu);
    }
    if (EACH) console.log(`  round ${k + 1}: ` + names.map((n) => `${n} ${(1e6 / got[n]!.perCpu).toFixed(2)} us`).join(", ") + " of server CPU a message");
  }
  return r;
}

console.log(
  `stan_load (libnats, ${ROUNDS} rounds of fresh servers, each warmed up by ${WARMUP} and measured over ${BURSTS} turns of ${BURST} msgs): median msg/s (msgs per ` +
    `second of the server's CPU); median of the rounds' X/plain ratios by rate (per CPU, its quartiles, lowest-highest); ` +
    `plain2 is a second plaintext server, the noise; stan-bench's published 1 KiB figure: 1 pub + 1 sub 206,832 msg/s each way (hardware not stated)`,
);
const k = (x: number): string => `${Math.round(x / 1000)}k`;
for (const { withSub, size } of CASES) {
  const { rates, perCpu, ratios, cpuRatios } = await compare(size, withSub);
  const row = MODES.map(([n]) => `${n} ${k(quantile(rates[n]!, 0.5))} (${k(quantile(perCpu[n]!, 0.5))})`).join(", ");
  const f = (x: number): string => x.toFixed(2);
  const r = Object.keys(ratios).map((n) => {
    const c = cpuRatios[n]!;
    return `${n}/plain ${f(quantile(ratios[n]!, 0.5))} (${f(quantile(c, 0.5))}, ${f(quantile(c, 0.25))}-${f(quantile(c, 0.75))}, ${f(Math.min(...c))}-${f(Math.max(...c))})`;
  });
  console.log(`${withSub ? "1 pub : 1 sub" : "publish+ack  "} ${String(size).padStart(4)} B: ${row}; ${r.join(", ")}`);
}
removeBuilt();
