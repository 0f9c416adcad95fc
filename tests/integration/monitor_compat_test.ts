/**
 * Field compatibility with nats-server 2.9.10: the same traffic against natsedge and /usr/sbin/nats-server
 * (both with monitoring on a random port), then every endpoint's top-level field names and JSON types must
 * match, and those of a /connz connection entry. Deliberate differences are listed in DIFFERENCES, each with
 * its reason. Skipped where nats-server is not installed.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { RawConn, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { sleep, spawn } from "../_helpers/spawn.ts";

const NATS_SERVER = "/usr/sbin/nats-server";
const own = useCleanup();

/** "path field": why natsedge differs from nats-server 2.9.10 there. */
const DIFFERENCES: Record<string, string> = {
  "/accountz?acc=$G account_detail.imports": "the $SYS service imports nats-server adds to $G do not exist",
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

/** With JetStream running on both: its /jsz details and /varz block. */
const JS_DIFFERENCES: Record<string, string> = {};

const JS_PATHS = ["/varz", "/jsz", "/jsz?accounts=true&streams=true&consumers=true&config=true", "/jsz?acc=$G&streams=true", "/healthz"];

type Json = Record<string, unknown>;

/** The nested objects whose fields are compared too, by their path from the body. */
const NESTED = [
  "connections[0]",
  "account_detail",
  "jetstream",
  "jetstream.config",
  "jetstream.stats",
  "config",
  "api",
  "account_details[0]",
  "account_details[0].api",
  "account_details[0].stream_detail[0]",
  "account_details[0].stream_detail[0].cluster",
  "account_details[0].stream_detail[0].state",
  "account_details[0].stream_detail[0].consumer_detail[0]",
  "account_details[0].stream_detail[0].consumer_detail[0].delivered",
  "account_details[0].stream_detail[0].consumer_detail[0].ack_floor",
];

function at(body: Json, path: string): Json | undefined {
  let v: unknown = body;
  for (const step of path.split(".")) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(step)!;
    v = (v as Json | undefined)?.[m[1]!];
    if (m[2] !== undefined) v = (v as unknown[] | undefined)?.[Number(m[2])];
  }
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
}

/** "field:kind" for each top-level field, plus those of the NESTED objects present. */
function shape(path: string, body: Json): Map<string, string> {
  const out = new Map<string, string>();
  const add = (prefix: string, o: Json) => {
    for (const [k, v] of Object.entries(o)) out.set(`${path} ${prefix}${k}`, kind(v));
  };
  add("", body);
  for (const n of NESTED) {
    const o = at(body, n);
    if (o) add(`${n}.`, o);
  }
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

/** A stream holding three messages and a durable consumer that has received none. */
async function jsTraffic(port: number): Promise<void> {
  const nc = await connect({ port });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
    await jsm.consumers.add("ORDERS", { durable_name: "proc", ack_policy: AckPolicy.Explicit, description: "worker" });
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish("orders.new", `o${i}`);
  } finally {
    await nc.close();
  }
}

/** nats-server on random ports, found through its ports file: its client port and monitoring URL. */
async function startReference(extra: string[]): Promise<{ port: number; base: string }> {
  const dir = scratchDir("natsedge-ref-mon-");
  const proc = spawn([NATS_SERVER, "-a", "127.0.0.1", "-p", "-1", "-m", "-1", "--ports_file_dir", dir, ...extra], { stdout: "ignore", stderr: "ignore" });
  own({ close: async () => {
    proc.kill();
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  } });
  await waitFor(async () => readdirSync(dir).filter((f) => f.endsWith(".ports")).length, (n) => n === 1);
  const name = readdirSync(dir).find((f) => f.endsWith(".ports"))!;
  const ports = JSON.parse(readFileSync(join(dir, name), "utf8")) as { nats: string[]; monitoring: string[] };
  return { port: Number(new URL(ports.nats[0]!).port), base: ports.monitoring[0]! };
}

function compare(ref: Map<string, string>, ours: Map<string, string>, differences: Record<string, string>): void {
  const mismatches: string[] = [];
  for (const key of new Set([...ref.keys(), ...ours.keys()])) {
    if (ref.get(key) === ours.get(key) || differences[key] !== undefined) continue;
    mismatches.push(`${key}: nats-server ${ref.get(key) ?? "absent"}, natsedge ${ours.get(key) ?? "absent"}`);
  }
  expect(mismatches).toEqual([]);
  // Each listed difference is real (a stale entry would hide a field natsedge has since gained).
  for (const key of Object.keys(differences)) expect([key, ref.get(key) !== ours.get(key)]).toEqual([key, true]);
}

async function fetchAll(base: string, closedReady: () => Promise<void>, paths = PATHS): Promise<Map<string, string>> {
  await closedReady();
  const all = new Map<string, string>();
  for (const p of paths) {
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
    await sleep(10);
  }
}

const closedCount = (base: string) => async () => {
  await waitFor(async () => ((await (await fetch(`${base}/connz?state=closed`)).json()) as { total: number }).total, (n) => n >= 1);
};

describe.skipIf(!existsSync(NATS_SERVER))("monitoring fields vs nats-server 2.9.10", () => {
  test("same top-level fields and types on every endpoint, except the listed differences", async () => {
    const reference = await startReference([]);
    await traffic(reference.port);
    const ref = await fetchAll(reference.base, closedCount(reference.base));

    const srv = own(await runServer({ http_port: -1 }));
    const base = `http://127.0.0.1:${srv.server.lifecycle.httpPort}`;
    await traffic(srv.port);
    const ours = await fetchAll(base, closedCount(base));
    compare(ref, ours, DIFFERENCES);
  });

  test("with JetStream running on both: /jsz details and /varz jetstream match", async () => {
    const refDir = scratchDir("natsedge-ref-js-");
    own({ close: () => rmSync(refDir, { recursive: true, force: true }) });
    const reference = await startReference(["-js", "-sd", refDir]);
    await jsTraffic(reference.port);
    const ref = await fetchAll(reference.base, async () => {}, JS_PATHS);

    const dir = scratchDir("natsedge-js-mon-");
    own({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const srv = own(await runServer({ http_port: -1, jetstream: { enabled: true, store_dir: dir } }));
    const base = `http://127.0.0.1:${srv.server.lifecycle.httpPort}`;
    await jsTraffic(srv.port);
    const ours = await fetchAll(base, async () => {}, JS_PATHS);
    compare(ref, ours, JS_DIFFERENCES);
    // Go decodes these into uint64: they must be written as integers it can hold.
    const text = await (await fetch(`${base}/jsz?accounts=true`)).text();
    expect(text).toContain(`"reserved_memory": 18446744073709551615`);
  });
});
