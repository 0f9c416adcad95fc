/** Server processes for the Bun-run benchmarks: natsedge or nats-server from a config, on a free port. */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort } from "../tests/_helpers/leaf.ts";

export { freePort };

const MAIN = join(import.meta.dir, "../src/main.ts");

export type Kind = "natsedge" | "nats-server";

/**
 * CPU seconds (user + system) in a /proc stat file, at 100 ticks a second: /proc/PID/stat for the process (all its
 * threads, ended ones too), /proc/PID/task/TID/stat for one thread.
 */
export function statCpuSeconds(statFile: string): number {
  const stat = readFileSync(statFile, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The process's CPU seconds so far, user + system of all its threads. */
export const cpuSeconds = (pid: number) => statCpuSeconds(`/proc/${pid}/stat`);

export interface Proc {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Diagnostics for the natsedge processes started (nats-server's are left alone):
 * - NATSEDGE_STDERR=FILE appends their stderr to FILE, each line prefixed with the epoch milliseconds it arrived at,
 *   to line it up with a benchmark's phases;
 * - NATSEDGE_ENV="K=V,K=V" adds variables to their environment only, say BUN_JSC_reportCompileTimes=1 (with
 *   NATSEDGE_STDERR) to list what the JIT compiles and how long each took, without the benchmark's own process
 *   reporting too.
 */
function childEnv(): NodeJS.ProcessEnv {
  const extra = process.env.NATSEDGE_ENV;
  if (!extra) return process.env;
  return { ...process.env, ...Object.fromEntries(extra.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])) };
}

function keepStderr(child: ChildProcess, file: string): void {
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop()!;
    const now = Date.now();
    appendFileSync(file, lines.map((l) => `${now} ${l}\n`).join(""));
  });
}

/** NATSEDGE_CPU_PROF=DIR profiles each natsedge started (bun --cpu-prof, a sample each 200 µs), written to DIR when it exits. */
function bunFlags(): string[] {
  const dir = process.env.NATSEDGE_CPU_PROF;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=200"] : [];
}

/** Starts `kind` with `conf` (anything but the client listen address) and resolves once it accepts. */
export async function startProc(kind: Kind, conf: string, dir: string, port?: number): Promise<Proc> {
  const p = port ?? (await freePort());
  const file = join(dir, `${kind}.conf`);
  writeFileSync(file, `listen: "127.0.0.1:${p}"\n${conf}\n`);
  const child: ChildProcess = kind === "natsedge"
    ? spawn(process.execPath, [...bunFlags(), MAIN, "-c", file], { stdio: ["ignore", "ignore", process.env.NATSEDGE_STDERR ? "pipe" : "ignore"], env: childEnv() })
    : spawn("nats-server", ["-c", file], { stdio: "ignore" });
  if (kind === "natsedge" && process.env.NATSEDGE_STDERR) keepStderr(child, process.env.NATSEDGE_STDERR);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(p, "127.0.0.1", () => (s.end(), r(true)));
      s.once("error", () => r(false));
    });
    if (ok) break;
    await Bun.sleep(25);
  }
  return { port: p, pid: child.pid ?? 0, stop: async () => (child.kill("SIGTERM"), await exited) };
}

export async function until(cond: () => Promise<boolean>, ms: number, what = "the condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
