/**
 * A real nats-server (the one on PATH, or NATS_SERVER) with a config of the test's own, on a random port,
 * for what natsedge has to interoperate with rather than imitate. node:child_process, so Deno-run tests can
 * use it too.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { scratchDir } from "./certs.ts";

export interface NatsServerProcess {
  port: number;
  pid: number;
  logs: string[];
  close(): Promise<void>;
}

const LISTENING = /Listening for client connections on .*:(\d+)$/;

/** Starts nats-server with `conf` (anything but the listen address) and waits until it listens. */
export function startNatsServer(conf: string): Promise<NatsServerProcess> {
  const dir = scratchDir("natsedge-nats-server-");
  const file = join(dir, "server.conf");
  writeFileSync(file, `listen: "127.0.0.1:-1"\n${conf}\n`);
  const proc = spawn(process.env.NATS_SERVER ?? "nats-server", ["-c", file], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    let rest = "";
    proc.once("error", reject);
    void exited.then(() => reject(new Error(`nats-server exited: ${logs.join("\n")}`)));
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf("\n")) !== -1) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        logs.push(line);
        const m = LISTENING.exec(line);
        if (m) {
          resolve({
            port: Number(m[1]),
            pid: proc.pid!,
            logs,
            async close() {
              proc.kill();
              await exited;
              rmSync(dir, { recursive: true, force: true });
            },
          });
        }
      }
    });
  });
}
