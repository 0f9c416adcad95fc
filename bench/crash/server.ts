/**
 * The broker under test as a child process on a fixed port and store directory: started, killed with
 * SIGKILL, started again on the same directory. Both natsedge and nats-server get the same configuration
 * file, and their log lines (same format, microseconds) give the startup milestones.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

export type ServerKind = "natsedge" | "nats-server";

export interface ServerSpec {
  readonly kind: ServerKind;
  readonly encrypted: boolean;
  readonly dir: string;
  readonly port: number;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NATS_SERVER = process.env.NATS_SERVER ?? "nats-server";
/** Same key and cipher for both servers (AES-GCM: natsedge's default on x86-64). */
const KEY = "crash-loop-bench-key";
const CIPHER = process.env.CIPHER ?? "aes";

export function writeConf(s: ServerSpec): string {
  const js = [`store_dir: ${JSON.stringify(join(s.dir, "store"))}`];
  if (s.encrypted) js.push(`key: ${JSON.stringify(KEY)}`, `cipher: ${CIPHER}`);
  const conf = [`host: "127.0.0.1"`, `port: ${s.port}`, `jetstream { ${js.join(", ")} }`].join("\n") + "\n";
  const path = join(s.dir, "server.conf");
  writeFileSync(path, conf);
  return path;
}

/** A log line's time (local, as both servers write it; nats-server 2.9 has no logtime_utc) in epoch ms. */
function lineTime(line: string): number | null {
  const m = /^\[\d+\] (\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}) /.exec(line);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
  return new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime() + us! / 1000;
}

/** Startup milestones, in milliseconds after spawn, from the log. */
export interface Milestones {
  firstLine?: number;
  jetstream?: number;
  restored?: number;
  listening?: number;
  ready?: number;
}

const MILESTONES: [keyof Milestones, RegExp][] = [
  ["jetstream", /\[INF\] Starting JetStream/],
  ["restored", /\[INF\]\s+Restored [\d,]+ messages for stream/],
  ["listening", /\[INF\] Listening for client connections/],
  ["ready", /\[INF\] Server is ready/],
];

export class ServerProcess {
  readonly milestones: Milestones = {};
  readonly spawnedAt: number;
  readonly spawnedPerf: number;
  /** Last lines of output, for a failure report. */
  readonly tail: string[] = [];
  readonly exited: Promise<void>;
  readonly #child: ChildProcess;

  constructor(spec: ServerSpec, conf: string) {
    const [cmd, args] = spec.kind === "natsedge"
      ? [process.execPath, [join(ROOT, "src/main.ts"), "-c", conf]]
      : [NATS_SERVER, ["-c", conf]];
    this.spawnedPerf = performance.now();
    this.spawnedAt = Date.now();
    this.#child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
    this.exited = new Promise((r) => this.#child.once("exit", () => r()));
    let partial = "";
    const onData = (d: Buffer) => {
      const lines = (partial + d.toString("utf8")).split("\n");
      partial = lines.pop()!;
      for (const line of lines) this.#onLine(line);
    };
    this.#child.stdout!.on("data", onData);
    this.#child.stderr!.on("data", onData);
  }

  #onLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    const t = lineTime(line);
    if (t === null) return;
    const at = t - this.spawnedAt;
    this.milestones.firstLine ??= at;
    for (const [name, re] of MILESTONES) if (re.test(line)) this.milestones[name] = at;
  }

  kill(): Promise<void> {
    this.#child.kill("SIGKILL");
    return this.exited;
  }
}
