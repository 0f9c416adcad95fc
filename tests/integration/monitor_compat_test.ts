/**
 * Field compatibility with nats-server 2.9.10: the same traffic against natsedge and /usr/sbin/nats-server
 * (both with monitoring on a random port), then every endpoint's top-level field names and JSON types must
 * match, and those of a /connz connection entry. Deliberate differences are listed in DIFFERENCES, each with
 * its reason. Skipped where nats-server is not installed.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RawConn, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { scratchDir } from "../_helpers/certs.ts";

const NATS_SERVER = "/usr/sbin/nats-server";
const own = useCleanup();

/** "path field": why natsedge differs from nats-server 2.9.10 there. */
const DIFFERENCES: Record<string, string> = {
  "/varz system_account": "natsedge has no system account ($SYS)",
  "/accountz system_account": "natsedge has no system account ($SYS)",
  "/accountz?acc=$G system_account": "natsedge has no system account ($SYS)",
  "/accountz?acc=$G account_detail.imports": "the $SYS service imports nats-server adds to $G do not exist",
  "/connz?subs=1 connections[0].rtt": "natsedge does not measure RTT; nats-server omits rtt until it has one",
  "/connz?state=closed connections[0].rtt": "natsedge does not measure RTT",
  "/leafz leafs": "nats-server writes null for no leaf nodes (a nil Go slice), natsedge an empty list",
};

const PATHS = [
  "/varz",
  "/connz?subs=1",
  "/connz?state=closed",
  "/subsz",
  "/subsz?subs=1",
  "/jsz",
  "/jsz?streams=true&config=true",
  "/healthz",
  "/healthz?js-enabled-only=true",
  "/routez",
  "/leafz",
  "/accountz",
  "/accountz?acc=$G",
];

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** "field:kind" for each top-level field, plus nested fields of the first connection and account_detail. */
function shape(path: string, body: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (prefix: string, o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) out.set(`${path} ${prefix}${k}`, kind(v));
  };
  add("", body);
  const conns = body.connections as Record<string, unknown>[] | undefined;
  if (conns?.[0]) add("connections[0].", conns[0]);
  const detail = body.account_detail as Record<string, unknown> | undefined;
  if (detail) add("account_detail.", detail);
  return out;
}

/** The same traffic on either server: a named subscriber that stays, a publisher that leaves. */
async function traffic(port: number): Promise<void> {
  const a = own(await RawConn.open(port));
  await a.waitFor("INFO ");
  a.send(`CONNECT {"verbose":false,"protocol":1,"name":"stay","lang":"raw","version":"1.0"}\r\nSUB foo 1\r\n`);
  await a.sync();
  const b = await RawConn.open(port);
  await b.waitFor("INFO ");
  b.send(`CONNECT {"verbose":false,"protocol":1,"name":"leave","lang":"raw","version":"1.0"}\r\nPUB foo 2\r\nhi\r\n`);
  await a.waitFor("MSG foo 1 2");
  b.close();
  await b.waitClosed();
}

async function fetchAll(base: string, closedReady: () => Promise<void>): Promise<Map<string, string>> {
  await closedReady();
  const all = new Map<string, string>();
  for (const p of PATHS) {
    const r = await fetch(base + p);
    expect([p, r.status, r.headers.get("content-type")]).toEqual([p, 200, "application/json"]);
    for (const [k, v] of shape(p, (await r.json()) as Record<string, unknown>)) all.set(k, v);
  }
  return all;
}

async function waitFor<T>(get: () => Promise<T>, ok: (v: T) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok(await get())) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await Bun.sleep(10);
  }
}

const closedCount = (base: string) => async () => {
  await waitFor(async () => ((await (await fetch(`${base}/connz?state=closed`)).json()) as { total: number }).total, (n) => n >= 1);
};

describe.skipIf(!existsSync(NATS_SERVER))("monitoring fields vs nats-server 2.9.10", () => {
  test("same top-level fields and types on every endpoint, except the listed differences", async () => {
    // nats-server, on random ports, found through its ports file.
    const dir = scratchDir("natsedge-ref-mon-");
    const proc = Bun.spawn([NATS_SERVER, "-a", "127.0.0.1", "-p", "-1", "-m", "-1", "--ports_file_dir", dir], { stdout: "ignore", stderr: "ignore" });
    own({ close: async () => {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    } });
    await waitFor(async () => readdirSync(dir).filter((f) => f.endsWith(".ports")).length, (n) => n === 1);
    const ports = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), "utf8")) as { nats: string[]; monitoring: string[] };
    const refPort = Number(new URL(ports.nats[0]!).port);
    const refBase = ports.monitoring[0]!;
    await traffic(refPort);
    const ref = await fetchAll(refBase, closedCount(refBase));

    const srv = own(await runServer({ http_port: -1 }));
    const base = `http://127.0.0.1:${srv.server.lifecycle.httpPort}`;
    await traffic(srv.port);
    const ours = await fetchAll(base, closedCount(base));

    const mismatches: string[] = [];
    for (const key of new Set([...ref.keys(), ...ours.keys()])) {
      if (ref.get(key) === ours.get(key) || DIFFERENCES[key] !== undefined) continue;
      mismatches.push(`${key}: nats-server ${ref.get(key) ?? "absent"}, natsedge ${ours.get(key) ?? "absent"}`);
    }
    expect(mismatches).toEqual([]);
    // Each listed difference is real (a stale entry would hide a field natsedge has since gained).
    for (const key of Object.keys(DIFFERENCES)) expect([key, ref.get(key) !== ours.get(key)]).toEqual([key, true]);
  });
});
