// The system account's requests beyond PING/VARZ/CONNZ/SUBSZ/HEALTHZ, as nats-server 2.9.10 answers them (run
// against it with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): PING.{JSZ,ACCOUNTZ,LEAFZ,ROUTEZ,GATEWAYZ}
// with their JSON options, the same addressed to the server's id, and $SYS.REQ.ACCOUNT.<acc>.{SUBSZ,LEAFZ,JSZ,
// STATZ,CONNS}, field names and types included, and a leaf connection counted in its bound account. Modelled on nats-server's server/events_test.go
// (TestServerEventsPingMonitorz, TestAccountReqMonitoring, TestAccountReqInfo).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs, startupError } from "../_helpers/conf_server.ts";
import { freePort, until } from "../_helpers/leaf.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-sysreq-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

/** Each field's JSON type, to compare an answer's shape with nats-server's. */
function types(o: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(o as Json).map(([k, v]) => [k, v === null ? "null" : Array.isArray(v) ? "array" : typeof v]));
}

const SERVER_INFO = { name: "string", host: "string", id: "string", ver: "string", seq: "number", jetstream: "boolean", time: "string" };

describe("system account requests", () => {
  let srv: TestServer;
  let sys: NatsConnection;
  let a: NatsConnection;
  let id: string;
  beforeAll(async () => {
    const file = join(dir, "server.conf");
    writeFileSync(file, `
server_name: sysreq
jetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }
accounts {
  A: { users: [ {user: a, password: a} ], jetstream: enabled }
  B: { users: [ {user: b, password: b} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`);
    srv = await runServerFromArgs(["-c", file]);
    sys = await client(srv, { user: "sys", pass: "sys" });
    a = await client(srv, { user: "a", pass: "a" });
    a.subscribe("a.only");
    await a.flush();
    id = ((await ask("$SYS.REQ.SERVER.PING")).server as Json).id as string;
  });
  afterAll(async () => {
    await a.close();
    await sys.close();
    await srv.close();
  });

  const ask = async (subject: string, body = ""): Promise<Json> => (await sys.request(subject, body, { timeout: 3000 })).json<Json>();

  /**
   * Whether a request on `subject` is answered. Silence is shown without waiting out a timeout: the server
   * answers system requests in order, so once a PING sent after it is answered, an answer would have come.
   */
  async function answered(subject: string, body = ""): Promise<Msg | null> {
    const inbox = createInbox();
    const got: Msg[] = [];
    const sub = sys.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
    sys.publish(subject, body, { reply: inbox });
    await ask("$SYS.REQ.SERVER.PING");
    await sys.flush();
    sub.unsubscribe();
    return got[0] ?? null;
  }

  test("PING.JSZ answers JetStream's totals, and with {accounts: true} each account's", async () => {
    const r = await ask("$SYS.REQ.SERVER.PING.JSZ");
    expect(types(r.server)).toEqual(SERVER_INFO);
    const d = r.data as Json;
    expect(d.server_id).toBe(id);
    for (const k of ["memory", "storage", "reserved_memory", "reserved_storage", "accounts", "ha_assets", "streams", "consumers", "messages", "bytes"]) {
      expect(typeof d[k]).toBe("number");
    }
    expect(Object.keys(d.config as Json).sort()).toEqual(["max_memory", "max_storage", "store_dir"]);
    expect(d.account_details).toBeUndefined();
    const withAccounts = (await ask("$SYS.REQ.SERVER.PING.JSZ", JSON.stringify({ accounts: true }))).data as Json;
    const details = withAccounts.account_details as Json[];
    expect(details.map((x) => x.name)).toEqual(["A"]);
    expect(types(details[0])).toEqual({
      name: "string", id: "string", memory: "number", storage: "number", reserved_memory: "number", reserved_storage: "number",
      accounts: "number", ha_assets: "number", api: "object",
    });
  });

  test("PING.ACCOUNTZ lists the accounts, details one with {account}, and answers 500 for an unknown one", async () => {
    const all = (await ask("$SYS.REQ.SERVER.PING.ACCOUNTZ")).data as Json;
    expect(all.system_account).toBe("SYS");
    expect((all.accounts as string[]).sort()).toEqual(["$G", "A", "B", "SYS"]);
    const one = ((await ask("$SYS.REQ.SERVER.PING.ACCOUNTZ", JSON.stringify({ account: "A" }))).data as Json).account_detail as Json;
    expect(one).toMatchObject({ account_name: "A", jetstream_enabled: true, client_connections: 1 });
    const none = await ask("$SYS.REQ.SERVER.PING.ACCOUNTZ", JSON.stringify({ account: "NOPE" }));
    expect(none.data).toBeNull();
    expect(none.error).toEqual({ code: 500, description: "Account NOPE does not exist" });
  });

  test("PING.LEAFZ, PING.ROUTEZ and PING.GATEWAYZ answer with nothing to list", async () => {
    const leafz = (await ask("$SYS.REQ.SERVER.PING.LEAFZ")).data as Json;
    expect(leafz.server_id).toBe(id);
    expect(leafz.leafnodes).toBe(0);
    expect(leafz.leafs ?? []).toEqual([]);
    const routez = (await ask("$SYS.REQ.SERVER.PING.ROUTEZ")).data as Json;
    expect(routez).toMatchObject({ server_id: id, num_routes: 0, routes: [] });
    const gatewayz = (await ask("$SYS.REQ.SERVER.PING.GATEWAYZ")).data as Json;
    expect(types(gatewayz)).toEqual({ server_id: "string", now: "string", outbound_gateways: "object", inbound_gateways: "object" });
    expect(gatewayz).toMatchObject({ outbound_gateways: {}, inbound_gateways: {} });
  });

  test("the same requests addressed to the server's id are answered; 2.9.10 has no IDZ", async () => {
    for (const type of ["JSZ", "ACCOUNTZ", "LEAFZ", "ROUTEZ", "GATEWAYZ"]) {
      expect(((await ask(`$SYS.REQ.SERVER.${id}.${type}`)).data as Json).server_id).toBe(id);
    }
    await expect(sys.request("$SYS.REQ.SERVER.PING.IDZ", "", { timeout: 3000 })).rejects.toThrow(/no responders/i);
  });

  test("each request reads its own options' JSON names and ignores others, as Go's json.Unmarshal does", async () => {
    const conns = async (body: object) => ((await ask("$SYS.REQ.SERVER.PING.CONNZ", JSON.stringify(body))).data as Json).num_connections;
    // ConnzOptions names the account `acc`; `account` is another struct's name for it.
    expect(await conns({ acc: "A" })).toBe(1);
    expect(await conns({ account: "A" })).toBe(2);
    // JSzOptions names it `account`.
    expect(((await ask("$SYS.REQ.SERVER.PING.JSZ", JSON.stringify({ acc: "A" }))).data as Json).account_details).toBeUndefined();
    expect(((await ask("$SYS.REQ.SERVER.PING.JSZ", JSON.stringify({ account: "A" }))).data as Json).account_details).toHaveLength(1);
    // ConnState as a number: 1 is closed.
    const closer = await client(srv, { user: "b", pass: "b" });
    // The server has closed it once its disconnect advisory is out.
    const gone = new Promise<void>((resolve) => void sys.subscribe("$SYS.ACCOUNT.B.DISCONNECT", { max: 1, callback: () => resolve() }));
    await sys.flush();
    await closer.close();
    await gone;
    const closed = (await ask("$SYS.REQ.SERVER.PING.CONNZ", JSON.stringify({ state: 1 }))).data as Json;
    expect((closed.connections as Json[]).every((c) => typeof c.stop === "string")).toBe(true);
    expect(closed.num_connections as number).toBeGreaterThan(0);
  });

  test("a request whose filter leaves the server out is not answered", async () => {
    const asked = async (body: object) => (await answered("$SYS.REQ.SERVER.PING.VARZ", JSON.stringify(body))) !== null;
    // server_name, host and cluster match as substrings; tags and domain must all be there.
    expect(await asked({ server_name: "sysr" })).toBe(true);
    expect(await asked({ server_name: "other" })).toBe(false);
    expect(await asked({ host: "nowhere" })).toBe(false);
    expect(await asked({ cluster: "c1" })).toBe(false);
    expect(await asked({ tags: ["t1"] })).toBe(false);
    expect(await asked({ domain: "d1" })).toBe(false);
    expect(await answered("$SYS.REQ.SERVER.PING", JSON.stringify({ server_name: "other" }))).toBeNull();
    expect(await answered(`$SYS.REQ.SERVER.${id}.STATSZ`, JSON.stringify({ server_name: "other" }))).toBeNull();
    // Account requests take the same filter.
    for (const type of ["SUBSZ", "CONNZ", "LEAFZ", "JSZ", "INFO"]) {
      expect(await answered(`$SYS.REQ.ACCOUNT.A.${type}`, JSON.stringify({ server_name: "other" }))).toBeNull();
      expect(await answered(`$SYS.REQ.ACCOUNT.A.${type}`, JSON.stringify({ server_name: "sysreq" }))).not.toBeNull();
    }
    expect(await answered("$SYS.REQ.ACCOUNT.A.STATZ", JSON.stringify({ server_name: "other", include_unused: true }))).toBeNull();
  });

  test("options that are not JSON are answered 400", async () => {
    const r = await ask("$SYS.REQ.SERVER.PING.JSZ", "{not json");
    expect((r.error as Json).code).toBe(400);
    expect(r.data).toBeUndefined();
  });

  test("PING.SUBSZ sums every account's subscriptions in its full form, and lists one account's when asked", async () => {
    const all = (await ask("$SYS.REQ.SERVER.PING.SUBSZ")).data as Json;
    expect(all).toMatchObject({ server_id: id, total: 0, offset: 0, limit: 1024 });
    expect(all.subscriptions_list).toBeUndefined();
    const onlyA = (await ask("$SYS.REQ.SERVER.PING.SUBSZ", JSON.stringify({ subscriptions: true, account: "A" }))).data as Json;
    const list = onlyA.subscriptions_list as Json[];
    expect(new Set(list.map((s) => s.account))).toEqual(new Set(["A"]));
    expect(list.map((s) => s.subject)).toContain("a.only");
    expect(onlyA.num_subscriptions).toBe(list.length);
    // The sum over the accounts is more than A's alone: the system account's own services are in it.
    expect(all.num_subscriptions as number).toBeGreaterThan(onlyA.num_subscriptions as number);
    const tested = (await ask("$SYS.REQ.SERVER.PING.SUBSZ", JSON.stringify({ subscriptions: true, account: "A", test: "a.only" }))).data as Json;
    expect((tested.subscriptions_list as Json[]).map((s) => s.subject)).toEqual(["a.only"]);
  });

  test("ACCOUNT.<acc>.SUBSZ lists the account's subscriptions; an unknown account has none", async () => {
    const r = (await ask("$SYS.REQ.ACCOUNT.A.SUBSZ")).data as Json;
    const list = r.subscriptions_list as Json[];
    expect(list.map((s) => s.subject)).toContain("a.only");
    expect(types(list.find((s) => s.subject === "a.only"))).toEqual({ account: "string", subject: "string", sid: "string", msgs: "number", cid: "number" });
    const none = (await ask("$SYS.REQ.ACCOUNT.NOPE.SUBSZ")).data as Json;
    expect(none).toMatchObject({ num_subscriptions: 0, total: 0 });
  });

  test("ACCOUNT.<acc>.LEAFZ answers the account's leaf connections", async () => {
    const r = (await ask("$SYS.REQ.ACCOUNT.A.LEAFZ")).data as Json;
    expect(r.leafnodes).toBe(0);
    expect(r.server_id).toBe(id);
  });

  test("ACCOUNT.<acc>.JSZ answers the account's JetStream usage, and 500 for accounts without it", async () => {
    const r = (await ask("$SYS.REQ.ACCOUNT.A.JSZ")).data as Json;
    expect(r).toMatchObject({ name: "A", id: "A", memory: 0, storage: 0, api: { total: 0, errors: 0 } });
    const b = await ask("$SYS.REQ.ACCOUNT.B.JSZ");
    expect(b.data).toBeNull();
    expect(b.error).toEqual({ code: 500, description: 'account "B" not jetstream enabled' });
    const none = await ask("$SYS.REQ.ACCOUNT.NOPE.JSZ");
    expect(none.error).toEqual({ code: 500, description: 'account "NOPE" not found' });
  });

  test("ACCOUNT.<acc>.STATZ is silent for an account without connections unless include_unused asks", async () => {
    expect(await answered("$SYS.REQ.ACCOUNT.B.STATZ")).toBeNull();
    const unused = (await answered("$SYS.REQ.ACCOUNT.B.STATZ", JSON.stringify({ include_unused: true })))?.json<Json>();
    expect(((unused?.data as Json).account_statz as Json[])[0]).toMatchObject({ acc: "B", conns: 0 });
    const used = ((await ask("$SYS.REQ.ACCOUNT.A.STATZ")).data as Json).account_statz as Json[];
    expect(used[0]).toMatchObject({ acc: "A", conns: 1 });
  });

  test("ACCOUNT.<acc>.CONNS is answered with the account's connection counts while it has connections", async () => {
    const r = (await answered("$SYS.REQ.ACCOUNT.A.CONNS"))?.json<Json>();
    expect(types(r)).toEqual({
      type: "string", id: "string", timestamp: "string", server: "object", acc: "string", conns: "number", leafnodes: "number",
      total_conns: "number", sent: "object", received: "object", slow_consumers: "number",
    });
    expect(r).toMatchObject({ type: "io.nats.server.advisory.v1.account_connections", acc: "A", conns: 1, leafnodes: 0, total_conns: 1 });
    expect(await answered("$SYS.REQ.ACCOUNT.B.CONNS")).toBeNull();
    expect(await answered("$SYS.REQ.ACCOUNT.NOPE.CONNS")).toBeNull();
  });
});

test("a leaf connection bound to an account is that account's in LEAFZ, STATZ and CONNS, and advised as kind Leafnode", async () => {
  const leafPort = await freePort();
  const hubConf = join(dir, "hub.conf");
  writeFileSync(hubConf, `
server_name: hub
leafnodes { listen: "127.0.0.1:${leafPort}" }
accounts {
  A: { users: [ {user: a, password: a} ] }
  B: { users: [ {user: b, password: b} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`);
  const leafConf = join(dir, "leaf.conf");
  writeFileSync(leafConf, `server_name: leaf\nleafnodes { remotes: [ { url: "nats-leaf://a:a@127.0.0.1:${leafPort}" } ] }`);
  const hub = await runServerFromArgs(["-c", hubConf]);
  const sys = await client(hub, { user: "sys", pass: "sys" });
  const events: Msg[] = [];
  let wake: (() => void) | null = null;
  sys.subscribe("$SYS.ACCOUNT.A.>", {
    callback: (_e, m) => {
      events.push(m);
      wake?.();
    },
  });
  await sys.flush();
  const event = async (subject: string, test: (j: Json) => boolean = () => true) => {
    for (;;) {
      const m = events.find((e) => e.subject === subject && test(e.json<Json>()));
      if (m !== undefined) return m.json<Json>();
      await new Promise<void>((r) => (wake = r));
    }
  };
  let leaf: TestServer | null = await runServerFromArgs(["-c", leafConf]);
  try {
    // A leaf that connected here is advised like a client, kind Leafnode, and counts in its account.
    const up = await event("$SYS.ACCOUNT.A.CONNECT");
    expect(up.client).toMatchObject({ acc: "A", user: "a", name: "leaf", kind: "Leafnode" });
    expect((up.client as Json).client_type).toBeUndefined();
    expect(await event("$SYS.ACCOUNT.A.SERVER.CONNS", (j) => j.leafnodes === 1)).toMatchObject({ conns: 0, leafnodes: 1, total_conns: 1 });
    const ask = async (subject: string, body = "") => (await sys.request(subject, body, { timeout: 3000 })).json<Json>().data as Json;
    await until(async () => (await ask("$SYS.REQ.ACCOUNT.A.LEAFZ")).leafnodes === 1, "the leaf connection");
    expect((await ask("$SYS.REQ.ACCOUNT.B.LEAFZ")).leafnodes).toBe(0);
    expect((await ask("$SYS.REQ.SERVER.PING.LEAFZ", JSON.stringify({ account: "A" }))).leafnodes).toBe(1);
    expect((await ask("$SYS.REQ.SERVER.PING.LEAFZ", JSON.stringify({ account: "B" }))).leafnodes).toBe(0);
    // STATZ counts only client connections towards being in use, so it has to be asked for.
    const statz = ((await ask("$SYS.REQ.ACCOUNT.A.STATZ", JSON.stringify({ include_unused: true }))).account_statz as Json[])[0];
    expect(statz).toMatchObject({ acc: "A", conns: 0, leafnodes: 1, total_conns: 1 });
    const detail = (await ask("$SYS.REQ.SERVER.PING.ACCOUNTZ", JSON.stringify({ account: "A" }))).account_detail as Json;
    expect(detail.leafnode_connections).toBe(1);
    await leaf.close();
    leaf = null;
    const down = await event("$SYS.ACCOUNT.A.DISCONNECT");
    expect(down.client).toMatchObject({ acc: "A", name: "leaf", kind: "Leafnode" });
    expect(typeof (down.client as Json).stop).toBe("string");
    expect(await event("$SYS.ACCOUNT.A.SERVER.CONNS", (j) => j.leafnodes === 0)).toMatchObject({ leafnodes: 0, total_conns: 0 });
  } finally {
    await sys.close();
    await leaf?.close();
    await hub.close();
  }
});

test("the server block names the JetStream domain", async () => {
  const file = join(dir, "domain.conf");
  writeFileSync(file, `jetstream { store_dir: ${JSON.stringify(join(dir, "js-domain"))}, domain: edge }
accounts { SYS: { users: [ {user: sys, password: sys} ] } }
system_account: SYS`);
  const srv = await runServerFromArgs(["-c", file]);
  const sys = await client(srv, { user: "sys", pass: "sys" });
  try {
    const server = (await sys.request("$SYS.REQ.SERVER.PING", "", { timeout: 3000 })).json<Json>().server as Json;
    expect(server).toMatchObject({ domain: "edge", jetstream: true });
  } finally {
    await sys.close();
    await srv.close();
  }
});

test("an account's detail lists its exports and imports as nats-server's ExtExport and ExtImport", async () => {
  const file = join(dir, "exports.conf");
  writeFileSync(file, `
accounts {
  A: { users: [ {user: a, password: a} ], exports: [
    {stream: "ev.>"}
    {stream: "priv.>", accounts: [B]}
    {service: "svc.>", latency: { sampling: 50, subject: "lat.svc" }}
    {service: "chunk.>", response_type: chunked}
  ] }
  B: { users: [ {user: b, password: b} ], imports: [
    {stream: {account: A, subject: "ev.>"}, prefix: "fromA"}
    {stream: {account: A, subject: "priv.x"}, to: "px"}
    {service: {account: A, subject: "svc.x"}, to: "sx", share: true}
    {service: {account: A, subject: "chunk.>"}}
  ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`);
  const srv = await runServerFromArgs(["-c", file]);
  const sys = await client(srv, { user: "sys", pass: "sys" });
  try {
    const bySubject = (list: unknown) => [...(list as Json[])].sort((x, y) => `${x.subject}`.localeCompare(`${y.subject}`));
    const a = (await sys.request("$SYS.REQ.ACCOUNT.A.INFO", "", { timeout: 3000 })).json<Json>().data as Json;
    expect(bySubject(a.exports)).toEqual([
      { subject: "chunk.>", type: "service", response_type: "Chunked" },
      { subject: "ev.>", type: "stream" },
      { subject: "priv.>", type: "stream", approved_accounts: ["B"] },
      { subject: "svc.>", type: "service", response_type: "Singleton", service_latency: { sampling: 50, results: "lat.svc" } },
    ]);
    const b = ((await sys.request("$SYS.REQ.SERVER.PING.ACCOUNTZ", JSON.stringify({ account: "B" }), { timeout: 3000 })).json<Json>().data as Json).account_detail as Json;
    expect(b.exports).toBeUndefined();
    const common = { invalid: false, share: false, tracking: false };
    expect(bySubject(b.imports)).toEqual([
      { subject: "$SYS.REQ.ACCOUNT.PING.CONNZ", account: "SYS", to: "$SYS.REQ.ACCOUNT.B.CONNZ", type: "service", ...common },
      { subject: "$SYS.REQ.ACCOUNT.PING.STATZ", account: "SYS", to: "$SYS.REQ.ACCOUNT.B.STATZ", type: "service", ...common },
      { subject: "$SYS.REQ.SERVER.PING.CONNZ", account: "SYS", to: "$SYS.REQ.ACCOUNT.B.CONNZ", type: "service", ...common },
      { subject: "chunk.>", account: "A", to: "chunk.>", type: "service", ...common },
      { subject: "ev.>", account: "A", local_subject: "fromA.ev.>", type: "stream", ...common },
      { subject: "priv.x", account: "A", local_subject: "px", type: "stream", ...common },
      { subject: "sx", account: "A", to: "svc.x", type: "service", ...common, share: true, latency: { sampling: 50, results: "lat.svc" } },
    ]);
    const s = ((await sys.request("$SYS.REQ.SERVER.PING.ACCOUNTZ", JSON.stringify({ account: "SYS" }), { timeout: 3000 })).json<Json>().data as Json).account_detail as Json;
    expect(s.is_system).toBe(true);
  } finally {
    await sys.close();
    await srv.close();
  }
});

test("server_tags are trimmed and lower-cased, carried in the server block and /varz, and filter requests", async () => {
  const file = join(dir, "tags.conf");
  writeFileSync(file, `server_tags: ["Az:East", " Rack1 ", "az:east"]
accounts { SYS: { users: [ {user: sys, password: sys} ] } }
system_account: SYS`);
  const srv = await runServerFromArgs(["-c", file]);
  const sys = await client(srv, { user: "sys", pass: "sys" });
  try {
    const ask = async (body: object) => {
      const inbox = createInbox();
      const got: Msg[] = [];
      const sub = sys.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
      sys.publish("$SYS.REQ.SERVER.PING.VARZ", JSON.stringify(body), { reply: inbox });
      await sys.request("$SYS.REQ.SERVER.PING", "", { timeout: 3000 });
      await sys.flush();
      sub.unsubscribe();
      return got[0]?.json<Json>() ?? null;
    };
    const r = await ask({});
    expect((r!.server as Json).tags).toEqual(["az:east", "rack1"]);
    expect((r!.data as Json).tags).toEqual(["az:east", "rack1"]);
    expect(await ask({ tags: ["AZ:EAST", "rack1"] })).not.toBeNull();
    expect(await ask({ tags: ["az:east", "az:west"] })).toBeNull();
  } finally {
    await sys.close();
    await srv.close();
  }
});

test("server_tags that are not strings stop the server with nats-server's words", async () => {
  const conf = (value: string) => {
    const file = join(dir, `tags-${Math.random().toString(36).slice(2)}.conf`);
    // A comment first: nats-server reports column 0 for a key on the first line.
    writeFileSync(file, `# tags\nserver_tags: ${value}\n`);
    return file;
  };
  expect(await startupError(["-c", conf("[ 1 ]")])).toMatch(/:2:1: error parsing tags: unsupported type \*conf\.token where string is expected/);
  expect(await startupError(["-c", conf("5")])).toMatch(/:2:1: error parsing tags: unsupported type int64/);
  expect(await startupError(["-c", conf('"solo"')])).toBeNull();
});

test("an account's detail lists its mappings as nats-server's ExtMap: the source for what is left, weights cumulative", async () => {
  const file = join(dir, "mappings.conf");
  writeFileSync(file, `
accounts {
  A: { users: [ {user: a, password: a} ], mappings: {
    "m.*": "mapped.$1"
    "w": [ {destination: "w1", weight: 40%}, {destination: "w2", weight: 60%} ]
    "p": [ {destination: "p1", weight: 30%} ]
    "q.*": [ {destination: "q2.$1", weight: 20%} ]
    "c": [ {destination: "c1", weight: 100%, cluster: x} ]
  } }
  SYS: { users: [ {user: sys, password: sys} ] }
}
mappings: { "g": "g2" }
system_account: SYS`);
  const srv = await runServerFromArgs(["-c", file]);
  const sys = await client(srv, { user: "sys", pass: "sys" });
  try {
    const info = async (acc: string) => (await sys.request(`$SYS.REQ.ACCOUNT.${acc}.INFO`, "", { timeout: 3000 })).json<Json>().data as Json;
    expect((await info("A")).mappings).toEqual({
      "m.*": [{ subject: "mapped.$1", weight: 100 }],
      w: [{ subject: "w1", weight: 40 }, { subject: "w2", weight: 100 }],
      p: [{ subject: "p1", weight: 30 }, { subject: "p", weight: 100 }],
      "q.*": [{ subject: "q2.$1", weight: 20 }, { subject: "q.$1", weight: 100 }],
      c: [{ subject: "c", weight: 100 }, { subject: "c1", weight: 100, cluster: "x" }],
    });
    expect((await info("$G")).mappings).toEqual({ g: [{ subject: "g2", weight: 100 }] });
    expect((await info("SYS")).mappings).toBeUndefined();
  } finally {
    await sys.close();
    await srv.close();
  }
});
