/**
 * Child processes for tests that run under both `bun test` and `deno test`: the part of Bun.spawn and
 * Bun.spawnSync the tests use, over node:child_process, which both runtimes provide. `natsedgeCommand`
 * starts src/main.ts on the runtime running the tests, so a Deno-run test exercises natsedge on Deno.
 */
import { spawn as nodeSpawn, spawnSync as nodeSpawnSync, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { delimiter, join } from "node:path";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";

export const ROOT = join(import.meta.dirname!, "..", "..");
export const MAIN = join(ROOT, "src", "main.ts");
const DENO = "Deno" in globalThis;

/** argv that runs `script` (default src/main.ts) on this runtime: `bun script` or `deno run -A script`. */
export function natsedgeCommand(script = MAIN): string[] {
  return DENO ? [process.execPath, "run", "-A", "--no-check", `--config=${join(ROOT, "deno.json")}`, script] : [process.execPath, script];
}

type Stdio = "ignore" | "pipe" | "inherit";

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: Stdio;
  stdout?: Stdio;
  stderr?: Stdio;
}

export interface Child {
  readonly pid: number;
  readonly stdin: Writable;
  /** Readable streams: `for await` yields Uint8Array chunks; `text()` reads one to the end. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The exit code, or 128 + the signal's number for a process a signal ended (as a shell reports it). */
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  kill(signal?: NodeJS.Signals | number): void;
}

function env(e: Record<string, string | undefined> | undefined): Record<string, string> | undefined {
  if (e === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = v;
  return out;
}

const code = (c: number | null, sig: NodeJS.Signals | null): number =>
  c ?? 128 + ((sig !== null ? (constants.signals as Record<string, number>)[sig] : undefined) ?? 0);

export function spawn(cmd: string[], opts: SpawnOptions = {}): Child {
  const p: ChildProcess = nodeSpawn(cmd[0]!, cmd.slice(1), {
    cwd: opts.cwd,
    env: env(opts.env),
    stdio: [opts.stdin ?? "ignore", opts.stdout ?? "pipe", opts.stderr ?? "inherit"],
  });
  const exited = new Promise<number>((resolve, reject) => {
    p.once("error", reject);
    p.once("exit", (c, sig) => resolve(code(c, sig)));
  });
  return {
    get pid() {
      return p.pid ?? -1;
    },
    stdin: p.stdin!,
    stdout: p.stdout!,
    stderr: p.stderr!,
    exited,
    get exitCode() {
      return p.exitCode;
    },
    get signalCode() {
      return p.signalCode;
    },
    // process.kill rather than p.kill: Deno's ChildProcess then reports the signal it sent as the cause of
    // exit even when the child handled it and exited 0.
    kill: (signal = "SIGTERM") => {
      if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) process.kill(p.pid, signal);
    },
  };
}

export interface SyncResult {
  exitCode: number;
  success: boolean;
  stdout: Buffer;
  stderr: Buffer;
}

export function spawnSync(cmd: string[], opts: SpawnOptions = {}): SyncResult {
  const r = nodeSpawnSync(cmd[0]!, cmd.slice(1), {
    cwd: opts.cwd,
    env: env(opts.env),
    stdio: [opts.stdin ?? "ignore", opts.stdout ?? "pipe", opts.stderr ?? "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const exitCode = r.error !== undefined ? 127 : code(r.status, r.signal);
  return { exitCode, success: exitCode === 0, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr ?? Buffer.alloc(0) };
}

/** Everything a child wrote to one of its streams. */
export async function text(stream: Readable | null): Promise<string> {
  if (stream === null) return "";
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c as Uint8Array);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The first match of `re` in what a child writes to `stream`; rejects with the text read if the stream ends
 * first. Reads on afterwards (data events, not for await, whose exit would destroy the stream and leave the
 * child to die of SIGPIPE at its next line), so a full pipe never blocks the child.
 */
export function firstMatch(stream: Readable, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let log = "";
    let found = false;
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      if (found) return;
      log += chunk;
      const m = re.exec(log);
      if (m !== null) {
        found = true;
        resolve(m);
      }
    });
    stream.once("end", () => reject(new Error(`ended before ${re}:\n${log}`)));
  });
}

/** The executable `name` on PATH, or null (Bun.which). */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir !== "" && existsSync(p)) return p;
  }
  return null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
