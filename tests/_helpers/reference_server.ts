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
import { spawn } from "./spawn.ts";

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
        if (a.users !== undefined) body.push(`users: [ ${a.users.map(userConf).join(", ")} ]`);
        if (a.default_permissions !== undefined) body.push(`default_permissions: ${permissionsConf(a.default_permissions)}`);
        lines.push(`authorization { ${body.join(", ")} }`);
        break;
      }
      case "tls":
        lines.push(`tls ${tlsConf(v as NonNullable<StartOptions["tls"]>)}`);
        break;
      case "no_auth_user":
        lines.push(`no_auth_user: ${q(String(v))}`);
        break;
      case "debug":
      case "trace":
        lines.push(`${k}: ${Boolean(v)}`);
        break;
      case "jetstream": {
        const js = v as NonNullable<StartOptions["jetstream"]>;
        const body: string[] = [];
        if (js.store_dir !== undefined) body.push(`store_dir: ${q(js.store_dir)}`);
        if (js.domain !== undefined) body.push(`domain: ${q(js.domain)}`);
        if (js.key !== undefined) body.push(`key: ${q(js.key)}`);
        if (js.cipher !== undefined) body.push(`cipher: ${js.cipher}`);
        lines.push(js.enabled ? `jetstream { ${body.join(", ")} }` : "jetstream: disabled");
        break;
      }
      default:
        throw new Error(`reference mode cannot translate option ${k}`);
    }
  }
  return lines.join("\n") + "\n";
}

type Perms = NonNullable<NonNullable<StartOptions["authorization"]>["default_permissions"]>;
type User = NonNullable<NonNullable<StartOptions["authorization"]>["users"]>[number];
type TLS = NonNullable<StartOptions["tls"]>;

const list = (xs: string[]) => `[${xs.map(q).join(", ")}]`;

function subjectPermConf(p: NonNullable<Perms["publish"]>): string {
  const body: string[] = [];
  if (p.allow !== undefined) body.push(`allow: ${list(p.allow)}`);
  if (p.deny !== undefined) body.push(`deny: ${list(p.deny)}`);
  return `{ ${body.join(", ")} }`;
}

function permissionsConf(p: Perms): string {
  const body: string[] = [];
  if (p.publish !== undefined) body.push(`publish: ${subjectPermConf(p.publish)}`);
  if (p.subscribe !== undefined) body.push(`subscribe: ${subjectPermConf(p.subscribe)}`);
  if (p.allow_responses !== undefined) {
    body.push(`allow_responses: { max: ${p.allow_responses.max}, expires: "${p.allow_responses.expires}ms" }`);
  }
  return `{ ${body.join(", ")} }`;
}

function userConf(u: User): string {
  const body: string[] = [];
  for (const [k, v] of Object.entries(u)) {
    switch (k) {
      case "user":
      case "password":
      case "nkey":
      case "account":
        body.push(`${k}: ${q(String(v))}`);
        break;
      case "permissions":
        body.push(`permissions: ${permissionsConf(v as Perms)}`);
        break;
      case "allowed_connection_types":
        body.push(`allowed_connection_types: ${list(v as string[])}`);
        break;
      default:
        throw new Error(`reference mode cannot translate user option ${k}`);
    }
  }
  return `{ ${body.join(", ")} }`;
}

function tlsConf(t: TLS): string {
  const body: string[] = [];
  for (const [k, v] of Object.entries(t)) {
    switch (k) {
      case "cert_file":
      case "key_file":
      case "ca_file":
        body.push(`${k}: ${q(String(v))}`);
        break;
      case "verify":
      case "verify_and_map":
      case "insecure":
        body.push(`${k}: ${Boolean(v)}`);
        break;
      case "cipher_suites":
      case "curve_preferences":
        body.push(`${k}: ${list(v as string[])}`);
        break;
      case "timeout":
        body.push(`timeout: ${seconds(Number(v))}`);
        break;
      case "handshake_first":
        // nats-server 2.9 has no handshake_first: it refuses the key, so such tests are natsedge-only.
        body.push(`handshake_first: ${typeof v === "boolean" ? v : `"${Number(v)}ms"`}`);
        break;
      default:
        throw new Error(`reference mode cannot translate tls option ${k}`);
    }
  }
  return `{ ${body.join(", ")} }`;
}

export async function runReferenceServer(opts: StartOptions): Promise<ReferenceHandle> {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-ref-"));
  const conf = join(dir, "server.conf");
  writeFileSync(conf, toConf(opts));
  return spawnReference(["-c", conf], String(opts.host ?? "127.0.0.1"), () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * Starts the reference server with a command line of the caller's (a config file of its own, flags as a
 * seed document writes them); it must listen on a port it reports in its log (pass `-p -1` for a random one).
 */
export function runReferenceServerWithArgs(args: string[]): Promise<ReferenceHandle> {
  return spawnReference(args, "127.0.0.1", () => {});
}

async function spawnReference(args: string[], host: string, cleanup: () => void): Promise<ReferenceHandle> {
  const proc = spawn([REFERENCE_SERVER, ...args], { stdout: "ignore", stderr: "pipe" });
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
    host,
    logs,
    async close() {
      proc.kill();
      await proc.exited;
      cleanup();
    },
  };
}
