// JetStream per account, as nats-server 2.9.10 runs it (run the same file against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): with accounts configured only those with `jetstream` have
// it, $G and the others are answered "JetStream not enabled for account"; each account's streams are its own
// (the same name in two accounts, a store folder per account, both recovered after a restart); an account's
// limits refuse streams, consumers and messages with nats-server's errors; $JS.API.INFO, /jsz and /varz per
// account. Modelled on nats-server's server/jetstream_test.go (TestJetStreamSystemLimits,
// TestJetStreamAccountImportBasics' account setup) and jetstream_jwt_test.go's limit checks.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, JetStreamApiError, jetstreamManager, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { freePort } from "../_helpers/leaf.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-jsacct-"));
const store = join(dir, "store");
let httpPort = 0;
let srv: TestServer;
const conns: NatsConnection[] = [];

function conf(): string {
  const file = join(dir, "js.conf");
  writeFileSync(file, `
jetstream { store_dir: ${JSON.stringify(store)} }
http_port: ${httpPort}
accounts {
  A: { users: [{user: a, password: a}], jetstream: { max_mem: 1000000, max_file: 10000000, max_streams: 2, max_consumers: 1 } }
  B: { users: [{user: b, password: b}], jetstream: enabled }
  C: { users: [{user: c, password: c}] }
  D: { users: [{user: d, password: d}], jetstream: { max_streams: 5 } }
  E: { users: [{user: e, password: e}], jetstream: { max_bytes_required: true, mem_max_stream_bytes: 1000, disk_max_stream_bytes: 2000, max_ack_pending: 10 } }
}
authorization { users: [ {user: g, password: g} ] }
`);
  return file;
}

async function as(user: string): Promise<NatsConnection> {
  const nc = await client(srv, { user, pass: user });
  conns.push(nc);
  return nc;
}

async function closeAll(): Promise<void> {
  for (const nc of conns.splice(0)) await nc.close();
}

beforeAll(async () => {
  httpPort = await freePort();
  srv = await runServerFromArgs(["-c", conf()]);
});

afterAll(async () => {
  await closeAll();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The JetStream API error a promise rejects with: nats-server's err_code, code and description. */
async function apiError(p: Promise<unknown>): Promise<{ err_code: number; code: number; description: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof JetStreamApiError) return { err_code: err.code, code: err.status, description: err.message };
    throw err;
  }
  throw new Error("expected a JetStream API error, the request succeeded");
}

async function jsz(query: string): Promise<Record<string, unknown>> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/jsz?${query}`);
  return (await r.json()) as Record<string, unknown>;
}

test("each account with JetStream reports its own limits in $JS.API.INFO, -1 where none is set", async () => {
  const unset = { max_ack_pending: -1, memory_max_stream_bytes: -1, storage_max_stream_bytes: -1, max_bytes_required: false };
  const a = await (await jetstreamManager(await as("a"))).getAccountInfo();
  expect(a.limits).toEqual({ max_memory: 1_000_000, max_storage: 10_000_000, max_streams: 2, max_consumers: 1, ...unset });
  const b = await (await jetstreamManager(await as("b"))).getAccountInfo();
  expect(b.limits).toEqual({ max_memory: -1, max_storage: -1, max_streams: -1, max_consumers: -1, ...unset });
  const d = await (await jetstreamManager(await as("d"))).getAccountInfo();
  expect(d.limits).toMatchObject({ max_memory: -1, max_storage: -1, max_streams: 5, max_consumers: -1 });
  expect([a.streams, b.streams, d.streams]).toEqual([0, 0, 0]);
});

test("an account without JetStream, $G among them once accounts are configured, is told so on every API request", async () => {
  const notEnabled = { code: 503, err_code: 10039, description: "JetStream not enabled for account" };
  for (const user of ["c", "g"]) {
    const nc = await as(user);
    await expect(jetstreamManager(nc)).rejects.toThrow("JetStream not enabled for account");
    for (const [subject, body] of [["$JS.API.INFO", ""], ["$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x"] })]] as const) {
      const reply = (await nc.request(subject, body, { timeout: 2000 })).json<{ type: string; error: unknown }>();
      expect(reply.error).toEqual(notEnabled);
    }
  }
});

test("streams are the account's own: the same name and subjects in two accounts hold their own messages", async () => {
  const [b, d] = [await as("b"), await as("d")];
  const [jsmB, jsmD] = [await jetstreamManager(b), await jetstreamManager(d)];
  await jsmB.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  await jsmD.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  await jetstream(b).publish("orders.1", "b1");
  for (const n of [1, 2, 3]) await jetstream(d).publish(`orders.${n}`, `d${n}`);
  expect((await jsmB.streams.info("ORDERS")).state.messages).toBe(1);
  expect((await jsmD.streams.info("ORDERS")).state.messages).toBe(3);
  expect((await jsmB.streams.getMessage("ORDERS", { seq: 1 }))!.string()).toBe("b1");
  expect((await jsmD.streams.getMessage("ORDERS", { seq: 1 }))!.string()).toBe("d1");
  await jsmB.consumers.add("ORDERS", { durable_name: "ship" });
  expect((await jsmD.consumers.list("ORDERS").next()).length).toBe(0);
  // Each account's streams are in a folder of its own, as nats-server lays them out.
  expect(existsSync(join(store, "jetstream", "B", "streams", "ORDERS"))).toBe(true);
  expect(existsSync(join(store, "jetstream", "D", "streams", "ORDERS"))).toBe(true);
  await jsmB.streams.add({ name: "GONE", subjects: ["gone"] });
  await jsmB.streams.delete("GONE");
  await expect(jsmD.streams.info("GONE")).rejects.toThrow("stream not found");
});

test("an account's limits refuse streams, consumers and messages with nats-server's errors", async () => {
  const nc = await as("a");
  const jsm = await jetstreamManager(nc);
  // A stream reserves its max_bytes of the account's memory or file storage.
  expect(await apiError(jsm.streams.add({ name: "S1", subjects: ["s1"], storage: StorageType.Memory, max_bytes: 2_000_000 })))
    .toEqual({ code: 500, err_code: 10028, description: "insufficient memory resources available" });
  expect(await apiError(jsm.streams.add({ name: "S2", subjects: ["s2"], max_bytes: 20_000_000 })))
    .toEqual({ code: 500, err_code: 10047, description: "insufficient storage resources available" });
  expect(await apiError(jsm.streams.add({ name: "S2", subjects: ["s2"], max_consumers: 5 })))
    .toEqual({ code: 400, err_code: 10026, description: "maximum consumers limit reached" });
  await jsm.streams.add({ name: "S1", subjects: ["s1"], storage: StorageType.Memory });
  await jsm.streams.add({ name: "S2", subjects: ["s2"] });
  expect(await apiError(jsm.streams.add({ name: "S3", subjects: ["s3"] })))
    .toEqual({ code: 400, err_code: 10027, description: "maximum number of streams reached" });
  // max_consumers holds per stream.
  await jsm.consumers.add("S2", { durable_name: "one" });
  expect(await apiError(jsm.consumers.add("S2", { durable_name: "two" })))
    .toEqual({ code: 400, err_code: 10026, description: "maximum consumers limit reached" });
  await jsm.consumers.add("S1", { durable_name: "one" });
  // A message that would take the account past max_mem is refused; the stream keeps what it had.
  const js = jetstream(nc);
  const big = new Uint8Array(600_000);
  await js.publish("s1", big);
  expect(await apiError(js.publish("s1", big))).toEqual({ code: 400, err_code: 10002, description: "resource limits exceeded for account" });
  const info = await jsm.getAccountInfo();
  expect({ streams: info.streams, consumers: info.consumers }).toEqual({ streams: 2, consumers: 2 });
  expect(info.memory).toBeGreaterThan(600_000);
  expect(info.memory).toBeLessThan(1_000_000);
});

test("an account's per-stream and per-consumer limits: max_bytes required and capped, max_ack_pending capped and the default", async () => {
  const jsm = await jetstreamManager(await as("e"));
  expect((await jsm.getAccountInfo()).limits).toMatchObject({ max_ack_pending: 10, memory_max_stream_bytes: 1000, storage_max_stream_bytes: 2000, max_bytes_required: true });
  const required = { code: 400, err_code: 10113, description: "account requires a stream config to have max bytes set" };
  const capped = { code: 400, err_code: 10122, description: "stream max bytes exceeds account limit max stream bytes" };
  expect(await apiError(jsm.streams.add({ name: "E", subjects: ["e"] }))).toEqual(required);
  expect(await apiError(jsm.streams.add({ name: "E", subjects: ["e"], storage: StorageType.Memory, max_bytes: 2000 }))).toEqual(capped);
  expect(await apiError(jsm.streams.add({ name: "E", subjects: ["e"], max_bytes: 3000 }))).toEqual(capped);
  await jsm.streams.add({ name: "E", subjects: ["e"], max_bytes: 2000 });
  expect(await apiError(jsm.streams.update("E", { max_bytes: 2500 }))).toEqual(capped);
  expect(await apiError(jsm.streams.update("E", { max_bytes: -1 }))).toEqual(required);
  expect(await apiError(jsm.consumers.add("E", { durable_name: "many", ack_policy: AckPolicy.Explicit, max_ack_pending: 20 })))
    .toEqual({ code: 400, err_code: 10121, description: "consumer max ack pending exceeds system limit of 10" });
  expect((await jsm.consumers.add("E", { durable_name: "dflt", ack_policy: AckPolicy.Explicit })).config.max_ack_pending).toBe(10);
  expect((await jsm.consumers.add("E", { durable_name: "few", ack_policy: AckPolicy.Explicit, max_ack_pending: 5 })).config.max_ack_pending).toBe(5);
  // A consumer that does not ack gets no max_ack_pending (nats-server leaves it out, natsedge reports -1).
  expect((await jsm.consumers.add("E", { durable_name: "noack", ack_policy: AckPolicy.None })).config.max_ack_pending ?? -1).toBe(-1);
});

test("/jsz details each account with JetStream, /varz sums them", async () => {
  const all = await jsz("accounts=true");
  expect(all.accounts).toBe(4);
  expect(all.streams).toBe(5);
  const details = all.account_details as { name: string; reserved_memory: number; reserved_storage: number }[];
  expect(details.map((a) => a.name).sort()).toEqual(["A", "B", "D", "E"]);
  const a = details.find((x) => x.name === "A")!;
  expect([a.reserved_memory, a.reserved_storage]).toEqual([1_000_000, 10_000_000]);
  expect(details.find((x) => x.name === "B")!.reserved_memory).toBe(2 ** 64 - 1);
  const d = await jsz("acc=D&streams=true");
  const only = d.account_details as { name: string; stream_detail: { name: string; state: { messages: number } }[] }[];
  expect(only.map((x) => x.name)).toEqual(["D"]);
  expect(only[0]!.stream_detail.map((s) => [s.name, s.state.messages])).toEqual([["ORDERS", 3]]);
  expect((await jsz("acc=C")).account_details).toBeUndefined();
  const varz = (await (await fetch(`http://127.0.0.1:${httpPort}/varz`)).json()) as { jetstream: { stats: { accounts: number } } };
  expect(varz.jetstream.stats.accounts).toBe(4);
});

test("after a restart each account gets its own streams back", async () => {
  await closeAll();
  await srv.close();
  srv = await runServerFromArgs(["-c", conf()]);
  const [jsmB, jsmD] = [await jetstreamManager(await as("b")), await jetstreamManager(await as("d"))];
  expect((await jsmB.streams.info("ORDERS")).state.messages).toBe(1);
  expect((await jsmD.streams.info("ORDERS")).state.messages).toBe(3);
  expect((await jsmB.consumers.info("ORDERS", "ship")).name).toBe("ship");
  expect((await (await jetstreamManager(await as("a"))).getAccountInfo()).streams).toBe(1);
});
