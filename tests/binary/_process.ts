/** A natsedge executable as a child process: its log, the port it bound, signals, and its exit. */
import { spawn, type ChildProcess } from "node:child_process";

export interface Running {
  readonly proc: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Resolves with the client port from "Listening for client connections on host:port". */
  port(ms?: number): Promise<number>;
  waitFor(needle: string | RegExp, ms?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Running {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.on("exit", (code, sig) => {
      ended = true;
      for (const w of waiters.splice(0)) w();
      resolve(code ?? sig ?? "unknown");
    });
  });
  const waitFor = (needle: string | RegExp, ms = 15000): Promise<string> => {
    const test = () => (typeof needle === "string" ? out.includes(needle) : needle.test(out));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${String(needle)}; output:\n${out}`)), ms);
      const check = () => {
        if (test()) {
          clearTimeout(timer);
          resolve(out);
        } else if (ended) {
          clearTimeout(timer);
          reject(new Error(`process exited before ${String(needle)}; output:\n${out}`));
        } else waiters.push(check);
      };
      check();
    });
  };
  return {
    proc,
    output: () => out,
    exited,
    waitFor,
    async port(ms?: number) {
      const text = await waitFor(/Listening for client connections on \S+:(\d+)/, ms);
      return Number(/Listening for client connections on \S+:(\d+)/.exec(text)![1]);
    },
    kill(signal: NodeJS.Signals = "SIGTERM") {
      // process.kill rather than proc.kill: Deno's ChildProcess then reports the signal it sent as the cause
      // of exit even when the child handled it and exited 0.
      if (!ended && proc.pid !== undefined) process.kill(proc.pid, signal);
    },
  };
}
