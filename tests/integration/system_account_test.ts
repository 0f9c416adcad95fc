// The system account as nats-server 2.9.10 serves it (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): $SYS.REQ.SERVER.PING and its VARZ, CONNZ, SUBSZ, HEALTHZ
// and STATSZ variants answered by the server, connect and disconnect advisories for another account's client,
// and nothing of it visible outside the system account. Modelled on nats-server's server/events_test.go
// (TestSystemAccountConnectionUpdates, TestServerEventsPingStatsZ, TestServerEventsPingMonitorz).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-sys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

async function start(conf: string): Promise<TestServer> {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  return runServerFromArgs(["-c", file]);
}

describe("a configured system account", () => {
  let srv: TestServer;
  let sys: NatsConnection;
  const conns: NatsConnection[] = [];
  beforeAll(async () => {
    srv = await start(`
accounts {
  A: { users: [ {user: a, password: a} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`);
    sys = await client(srv, { user: "sys", pass: "sys" });
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await sys.close();
    await srv.close();
  });

  const ask = async (subject: string, body = ""): Promise<Json> => (await sys.request(subject, body, { timeout: 2000 })).json<Json>();

  test("$SYS.REQ.SERVER.PING is answered with the server and its statsz", async () => {
    const r = await ask("$SYS.REQ.SERVER.PING");
    expect(Object.keys(r.server as Json).sort()).toEqual(["host", "id", "jetstream", "name", "seq", "time", "ver"]);
    const s = r.statsz as Json;
    for (const k of ["start", "mem", "cores", "connections", "total_connections", "active_accounts", "subscriptions", "sent", "received", "slow_consumers", "active_servers"]) {
      expect(s).toHaveProperty(k);
    }
    expect(s.connections).toBe(1);
  });

  test("PING.VARZ, PING.CONNZ, PING.SUBSZ and PING.HEALTHZ carry the monitor's data", async () => {
    const v = await ask("$SYS.REQ.SERVER.PING.VARZ");
    expect((v.data as Json).server_id).toBe((v.server as Json).id);
    const h = await ask("$SYS.REQ.SERVER.PING.HEALTHZ");
    expect(h.data).toEqual({ status: "ok" });
    const s = await ask("$SYS.REQ.SERVER.PING.SUBSZ");
    expect(s.data).toHaveProperty("num_subscriptions");
    const a = await client(srv, { user: "a", pass: "a" });
    conns.push(a);
    const all = (await ask("$SYS.REQ.SERVER.PING.CONNZ")).data as Json;
    expect(all.num_connections).toBe(2);
    const onlyA = (await ask("$SYS.REQ.SERVER.PING.CONNZ", JSON.stringify({ acc: "A" }))).data as Json;
    expect(onlyA.num_connections).toBe(1);
  });

  test("a server answers requests addressed to its own id", async () => {
    const id = ((await ask("$SYS.REQ.SERVER.PING")).server as Json).id as string;
    const h = await ask(`$SYS.REQ.SERVER.${id}.HEALTHZ`);
    expect(h.data).toEqual({ status: "ok" });
  });

  test("another account's client connecting and leaving is advised on $SYS.ACCOUNT.<acc>.CONNECT/DISCONNECT", async () => {
    const events: Msg[] = [];
    const sub = sys.subscribe("$SYS.ACCOUNT.A.*", { callback: (_e, m) => void events.push(m) });
    await sys.flush();
    const a = await client(srv, { user: "a", pass: "a", name: "advised" });
    a.publish("x", "12345");
    await a.flush();
    await a.close();
    // The disconnect advisory follows the close; a PING round trip behind it bounds the wait.
    const deadline = Date.now() + 3000;
    while (!events.some((m) => m.subject.endsWith(".DISCONNECT")) && Date.now() < deadline) await sys.flush();
    sub.unsubscribe();
    const connect = events.find((m) => m.subject === "$SYS.ACCOUNT.A.CONNECT")?.json<Json>();
    const disconnect = events.find((m) => m.subject === "$SYS.ACCOUNT.A.DISCONNECT")?.json<Json>();
    expect(connect?.type).toBe("io.nats.server.advisory.v1.client_connect");
    expect(connect?.client).toMatchObject({ acc: "A", user: "a", name: "advised", kind: "Client", client_type: "nats" });
    expect(disconnect?.type).toBe("io.nats.server.advisory.v1.client_disconnect");
    expect(disconnect?.client).toMatchObject({ acc: "A", user: "a", name: "advised" });
    // The connect-time RTT estimate: not known yet when the connect advisory goes out, in nanoseconds after.
    expect((connect?.client as Json).rtt).toBeUndefined();
    expect(Number.isInteger((disconnect?.client as Json).rtt)).toBe(true);
    expect(disconnect?.sent).toEqual({ msgs: 1, bytes: 5 });
    expect(disconnect?.reason).toBe("Client Closed");
  });

  test("an account's client asks about its own account through the imported $SYS.REQ.ACCOUNT.PING.* requests", async () => {
    const a = await client(srv, { user: "a", pass: "a" });
    conns.push(a);
    const onlyMine = async (subject: string) => ((await a.request(subject, "", { timeout: 2000 })).json<Json>()).data as Json;
    const mine = await onlyMine("$SYS.REQ.ACCOUNT.PING.CONNZ");
    const conns2 = (await ask("$SYS.REQ.SERVER.PING.CONNZ")).data as Json;
    expect(mine.num_connections).toBe((conns2.num_connections as number) - 1);
    expect((await onlyMine("$SYS.REQ.SERVER.PING.CONNZ")).num_connections).toBe(mine.num_connections);
    const statz = (await onlyMine("$SYS.REQ.ACCOUNT.PING.STATZ")).account_statz as Json[];
    expect(statz.map((s) => s.acc)).toEqual(["A"]);
    const info = (await ask("$SYS.REQ.ACCOUNT.A.INFO")).data as Json;
    expect(info.account_name).toBe("A");
  });

  test("the system account's subjects are not reachable from another account", async () => {
    const a = await client(srv, { user: "a", pass: "a" });
    conns.push(a);
    await expect(a.request("$SYS.REQ.SERVER.PING", "", { timeout: 1000 })).rejects.toThrow(/no responders/i);
  });
});

test("$SYS is the system account when none is named, and its users can ask it", async () => {
  const srv = await start(`accounts { $SYS: { users: [ {user: s, password: s} ] } }`);
  try {
    const nc = await client(srv, { user: "s", pass: "s" });
    const r = (await nc.request("$SYS.REQ.SERVER.PING.HEALTHZ", "", { timeout: 2000 })).json<Json>();
    expect(r.data).toEqual({ status: "ok" });
    await nc.close();
  } finally {
    await srv.close();
  }
});
