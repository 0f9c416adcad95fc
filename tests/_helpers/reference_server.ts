/**
 * Differential mode: with NATSEDGE_REFERENCE_SERVER=/path/to/nats-server in the environment, `runServer`
 * starts that binary instead of natsedge, so the same wire tests can be run against the reference server to
 * check that what they assert is what nats-server does. Only the options the integration tests use are
 * translated; anything else is refused so a test can't silently run with a different configuration.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StartOptions } from "../../mod.ts";

export const REFERENCE_SERVER = process.env.NATSEDGE_REFERENCE_SERVER ?? "";

export interface ReferenceHandle {
  port: number;
  host: string;
  logs: string[];
  close(): Promise<void>;
}

const q = (s: string) => JSON.stringify(s);
const seconds = (ms: number) => String(ms / 1000);

function toConf(opts: StartOptions): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(opts)) {
    switch (k) {
      case "logSink":
        break;
      case "host":
        lines.push(`host: ${q(String(v))}`);
        break;
      case "port":
        lines.push(`port: ${Number(v)}`);
        break;
      case "max_payload":
      case "max_connections":
      case "max_subscriptions":
      case "max_pending":
      case "max_control_line":
      case "ping_max":
        lines.push(`${k}: ${Number(v)}`);
        break;
      case "ping_interval":
      case "write_deadline":
        lines.push(`${k}: "${Number(v)}ms"`);
        break;
      case "authorization": {
        const a = v as NonNullable<StartOptions["authorization"]>;
        const body: string[] = [];
        if (a.user !== undefined) body.push(`user: ${q(a.user)}`);
        if (a.password !== undefined) body.push(`password: ${q(a.password)}`);
        if (a.token !== undefined) body.push(`token: ${q(a.token)}`);
        if (a.timeout !== undefined) body.push(`timeout: ${seconds(a.timeout)}`);
        lines.push(`authorization { ${body.join(", ")} }`);
        break;
      }
      default:
        throw new Error(`reference mode cannot translate option ${k}`);
    }
  }
  return lines.join("\n") + "\n";
}

export async function runReferenceServer(opts: StartOptions): Promise<ReferenceHandle> {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-ref-"));
  const conf = join(dir, "server.conf");
  writeFileSync(conf, toConf(opts));
  const proc = Bun.spawn([REFERENCE_SERVER, "-c", conf], { stdout: "ignore", stderr: "pipe" });
  const logs: string[] = [];
  let listening: (port: number) => void = () => {};
  const port = new Promise<number>((resolve, reject) => {
    listening = resolve;
    void proc.exited.then((code) => reject(new Error(`reference server exited (${code}): ${logs.join("\n")}`)));
  });
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stderr) {
      rest += decoder.decode(chunk);
      let nl: number;
      while ((nl = rest.indexOf("\n")) !== -1) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        logs.push(line);
        const m = /Listening for client connections on .*:(\d+)$/.exec(line);
        if (m) listening(Number(m[1]));
      }
    }
  })();
  const p = await port;
  return {
    port: p,
    host: String(opts.host ?? "127.0.0.1"),
    logs,
    async close() {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
