/**
 * NATS Streaming throughput with a native load generator (bench/stan_load.c on Debian's libnats): publishes
 * with acks, pipelined up to the C client's 16384 in flight, and 1 publisher : 1 subscriber, 128 B and 1 KiB,
 * on the seed's file store, plaintext vs AES vs CHACHA, and a second plaintext server, plain2, as a control.
 *
 * Why it is built this way (measured on the shared 2-core machine, README.md's STAN section): reads, writes
 * and fsyncs per message are the same in every mode and round, yet one run's CPU per message swings by up to
 * a fifth, between two plaintext servers as much as between plaintext and AES at 128 B, and from one run of
 * a process to its next. The swing is the server's runtime, not its store: the JIT still compiles during the
 * second 100k messages, and garbage collections are few and large per run. So:
 * - every round starts a fresh server per mode on a fresh data directory (nothing kept from round to round,
 *   no store limit reached: `-mm 0 -mb 0`), and warms all of them up (`--warmup` turns each, 20 by default,
 *   until the JIT is quiet) before the measured run;
 * - one stan_load drives all servers of a round in short turns of `--burst` messages (20k), the order
 *   rotating, `--bursts` turns each (10), so a slow spell of the machine falls on every mode alike;
 * - CPU time is the server's own (user + system of all its threads, /proc/<pid>/stat), which the other
 *   processes on the machine disturb far less than the wall clock;
 * - the figures are totals over all rounds (messages over CPU seconds, and over seconds of the server's own
 *   turns), so each garbage collection counts for what it costs; beside them, the spread of the rounds'
 *   paired per-CPU ratios (quartiles, lowest-highest);
 * - plain2/plain is 1 in truth: its figures are the bench's own noise, the yardstick for the others.
 * There is no nats-streaming-server here: stan-bench's published figures (reference nats-streaming.md §9.3)
 * are context.
 * Usage: bun bench/stan_bench.ts [--quick] [--rounds=N] [--warmup=N] [--burst=N] [--bursts=N] [--each]
 *   [--case=pub:128 ...]   (--quick: 3 rounds of 5 turns; else 7 of 10; --case picks rows, `pub` or `pubsub`
 *   with a size, and may repeat; --each prints every round's CPU per message)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliChild } from "../tests/_helpers/cli_child.ts";
import { cpuSeconds } from "./_procs.ts";
import { buildLibnats, removeBuilt } from "../tests/_helpers/libnats.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const each = args.includes("--each");
const option = (name: string, dflt: number): number => {
  const v = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (v === undefined) return dflt;
  if (!(Number(v) >= 0)) throw new Error(`--${name} wants a number, not "${v}"`);
  return Number(v);
};
const ROUNDS = option("rounds", quick ? 3 : 7);
const WARMUP = option("warmup", 20);
const BURST = option("burst", 20_000);
const BURSTS = option("bursts", quick ? 5 : 10);
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
const NAMES = MODES.map(([n]) => n);
const load = await buildLibnats(join(import.meta.dir, "stan_load.c"), true);

/** One server's share of a stan_load run. */
interface Run {
  msgs: number;
  /** Its own turns, first publish to last ack (and last delivery). */
  seconds: number;
  /** Its CPU time over the whole run. */
  cpu: number;
}

/** `bursts` turns of BURST messages for every server, interleaved by one stan_load. */
async function generate(servers: CliChild[], withSub: boolean, size: number, bursts: number): Promise<Run[]> {
  const cpu0 = servers.map((s) => cpuSeconds(s.pid));
  const urls = servers.map((s) => `nats://127.0.0.1:${s.port}`);
  const proc = Bun.spawn([load, "test-cluster", withSub ? "pubsub" : "pub", String(size), String(BURST), String(bursts), ...urls], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`stan_load exited ${code}: ${err.trim()}`);
  const { msgs, rates } = JSON.parse(out) as { msgs: number; rates: number[] };
  return servers.map((s, i) => ({ msgs, seconds: msgs / rates[i]!, cpu: cpuSeconds(s.pid) - cpu0[i]! }));
}

interface Running {
  srv: CliChild;
  dir: string;
}

async function serve(flags: string[]): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), "stan-bench-"));
  const args = ["-a", "127.0.0.1", "-p", "-1", "-store", "file", "-dir", join(dir, "d"), "-mm", "0", "-mb", "0", ...flags];
  const srv = await CliChild.start(args, { NATS_STREAMING_ENCRYPTION_KEY: "bench-key" });
  return { srv, dir };
}

/** One round: a fresh server per mode, all warmed up, then measured together. */
async function round(size: number, withSub: boolean): Promise<Run[]> {
  const servers = await Promise.all(MODES.map(([, flags]) => serve(flags)));
  try {
    const srvs = servers.map((s) => s.srv);
    if (WARMUP > 0) await generate(srvs, withSub, size, WARMUP);
    return await generate(srvs, withSub, size, BURSTS);
  } finally {
    for (const { srv, dir } of servers) {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}

/** Per mode, in MODES order: the runs of every round. */
async function compare(size: number, withSub: boolean): Promise<Run[][]> {
  const runs: Run[][] = MODES.map(() => []);
  for (let k = 0; k < ROUNDS; k++) {
    const got = await round(size, withSub);
    got.forEach((r, i) => runs[i]!.push(r));
    if (each) console.log(`  round ${k + 1}: ` + got.map((r, i) => `${NAMES[i]} ${((r.cpu * 1e6) / r.msgs).toFixed(2)}`).join(", ") + " µs of server CPU a message");
  }
  return runs;
}

console.log(
  `stan_load (libnats), ${ROUNDS} rounds of fresh servers, each warmed up by ${WARMUP} and measured over ${BURSTS} turns of ${BURST} msgs: ` +
    `msg/s (msgs per second of the server's CPU) over all rounds; X/plain by rate (per CPU; per-CPU quartiles and lowest-highest of the ` +
    `rounds); plain2 is a second plaintext server: its ratio is the noise. stan-bench's published 1 KiB figure: 1 pub + 1 sub 206,832 msg/s ` +
    `each way (hardware not stated)`,
);
const k = (x: number): string => `${Math.round(x / 1000)}k`;
const f = (x: number): string => x.toFixed(2);
for (const { withSub, size } of CASES) {
  const runs = await compare(size, withSub);
  const sum = (rs: Run[], key: keyof Run): number => rs.reduce((a, r) => a + r[key], 0);
  const totals = runs.map((rs) => ({ rate: sum(rs, "msgs") / sum(rs, "seconds"), perCpu: sum(rs, "msgs") / sum(rs, "cpu") }));
  const row = NAMES.map((n, i) => `${n} ${k(totals[i]!.rate)} (${k(totals[i]!.perCpu)})`).join(", ");
  const ratios = NAMES.slice(1).map((n, j) => {
    const i = j + 1;
    const perRound = runs[i]!.map((r, m) => runs[0]![m]!.cpu / r.cpu);
    const spread = `${f(quantile(perRound, 0.25))}-${f(quantile(perRound, 0.75))}, ${f(Math.min(...perRound))}-${f(Math.max(...perRound))}`;
    return `${n}/plain ${f(totals[i]!.rate / totals[0]!.rate)} (${f(totals[i]!.perCpu / totals[0]!.perCpu)}; ${spread})`;
  });
  console.log(`${withSub ? "1 pub : 1 sub" : "publish+ack  "} ${String(size).padStart(4)} B: ${row}; ${ratios.join(", ")}`);
}
removeBuilt();
