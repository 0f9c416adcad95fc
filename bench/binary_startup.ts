/**
 * Cold start and idle memory of one natsedge command line, for bench/binary_bench.sh.
 *
 *   bun bench/binary_startup.ts RUNS -- CMD [ARGS...]
 *
 * Starts CMD (with `-a 127.0.0.1 -p -1` appended) RUNS times; each time measures from spawn to the log line
 * "Server is ready", and on the last run waits 2 s and reads VmRSS from /proc. Prints one JSON line:
 * {"runs":N,"startup_ms":{"median":..,"min":..,"max":..},"idle_rss_mb":..}.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const [runsArg, sep, ...cmd] = process.argv.slice(2);
if (runsArg === undefined || sep !== "--" || cmd.length === 0) {
  console.error("usage: bun bench/binary_startup.ts RUNS -- CMD [ARGS...]");
  process.exit(2);
}
const runs = Number(runsArg);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function once(measureRss: boolean): Promise<{ ms: number; rss: number }> {
  const t0 = performance.now();
  const p = spawn(cmd[0]!, [...cmd.slice(1), "-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const ms = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Server is ready" within 30 s:\n${log}`)), 30_000);
    p.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      }
    });
    p.on("exit", (code) => reject(new Error(`exited ${code} before ready:\n${log}`)));
  });
  let rss = NaN;
  if (measureRss) {
    await new Promise((r) => setTimeout(r, 2000));
    rss = rssMb(p.pid!);
  }
  const exited = new Promise((r) => p.on("exit", r));
  p.kill("SIGTERM");
  await exited;
  return { ms, rss };
}

const times: number[] = [];
let rss = NaN;
for (let i = 0; i < runs; i++) {
  const r = await once(i === runs - 1);
  times.push(r.ms);
  if (i === runs - 1) rss = r.rss;
}
times.sort((a, b) => a - b);
const median = times.length % 2 ? times[(times.length - 1) / 2]! : (times[times.length / 2 - 1]! + times[times.length / 2]!) / 2;
const r1 = (x: number) => Math.round(x * 10) / 10;
console.log(JSON.stringify({ runs, startup_ms: { median: r1(median), min: r1(times[0]!), max: r1(times.at(-1)!) }, idle_rss_mb: r1(rss) }));
