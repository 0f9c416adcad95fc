/**
 * The natsedge command line as a child process (`bun src/main.ts ...`, or deno run under deno test), for what only a process can show:
 * signals, the pid and ports files, exit codes. Waits on log lines and exits, never on fixed sleeps.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type Child, natsedgeCommand, sleep, spawn } from "./spawn.ts";
import { REFERENCE_SERVER } from "./reference_server.ts";


export class CliChild {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  readonly exited: Promise<number>;

  private constructor(readonly proc: Child) {
    this.exited = proc.exited;
    void this.pump();
  }

  /** Starts `natsedge <args>` and resolves once it logged "Server is ready" (rejects if it exits first). */
  static start(args: string[], env: Record<string, string> = {}): Promise<CliChild> {
    return CliChild.startCommand([...natsedgeCommand(), ...args], env);
  }

  /**
   * Starts `natsedge <args>`, or in reference mode (NATSEDGE_REFERENCE_SERVER) nats-server with the same
   * arguments: both log to stderr, say "Server is ready" and take the same signals.
   */
  static startServer(args: string[], env: Record<string, string> = {}): Promise<CliChild> {
    return REFERENCE_SERVER !== "" ? CliChild.startCommand([REFERENCE_SERVER, ...args], env) : CliChild.start(args, env);
  }

  private static async startCommand(command: string[], env: Record<string, string>): Promise<CliChild> {
    const proc = spawn(command, {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, ...env },
    });
    const c = new CliChild(proc);
    await c.waitLog(/Server is ready/);
    return c;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** The client port from "Listening for client connections on host:port". */
  get port(): number {
    for (const l of this.lines) {
      const m = /Listening for client connections on .*:(\d+)$/.exec(l);
      if (m) return Number(m[1]);
    }
    throw new Error("no listening line logged");
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of this.proc.stderr) {
      rest += decoder.decode(chunk);
      let nl: number;
      while ((nl = rest.indexOf("\n")) !== -1) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        this.lines.push(line);
        const idx = this.lines.length - 1;
        this.waiters = this.waiters.filter((w) => {
          if (idx >= w.from && w.re.test(line)) {
            w.resolve(line);
            return false;
          }
          return true;
        });
      }
    }
  }

  /** Resolves with the first line from index `from` on that matches; rejects on exit or after `ms`. */
  waitLog(re: RegExp, from = 0, ms = 10_000): Promise<string> {
    const seen = this.lines.slice(from).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line ${re} in:\n${this.lines.join("\n")}`)), ms);
      void this.exited.then((code) => reject(new Error(`exited (${code}) before logging ${re}:\n${this.lines.join("\n")}`)));
      this.waiters.push({
        re,
        from,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.proc.pid, sig);
  }

  /** Rewrites the config `file` with `text` and sends SIGHUP; resolves with the reload's outcome line. */
  reloadWith(file: string, text: string): Promise<string> {
    const from = this.lines.length;
    writeFileSync(file, text);
    this.signal("SIGHUP");
    return this.waitLog(/Reloaded server configuration|Failed to reload server configuration/, from);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
  }
}

/** Waits until `pred` holds for a file's state, checking on an interval (a condition, not a fixed delay). */
export async function waitForFile(path: string, pred: (text: string | null) => boolean, ms = 10_000): Promise<string | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (pred(text)) return text;
    if (Date.now() > deadline) throw new Error(`${path}: condition not met; last content ${JSON.stringify(text)}`);
    await sleep(20);
  }
}
