// The system account's events as nats-server 2.9.10 sends them (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): STATSZ pushes on their doubling schedule, the account
// connection events on both subjects, the authentication-error event, the shutdown event; and a config whose
// only account is the system account, where 2.9.10 lets clients without credentials into $G. Modelled on
// nats-server's server/events_test.go (TestServerEventsStatsZ, TestAccountConnsEvents, TestServerEventsAuthErr,
// TestSystemAccountNoAuthUser).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { CliChild } from "../_helpers/cli_child.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-sysev-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

const WITH_A = `
accounts {
  A: { users: [ {user: a, password: a} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`;

async function start(conf: string): Promise<TestServer> {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  return runServerFromArgs(["-c", file]);
}

/** The next `n` messages on `subject`, whatever else happens meanwhile. */
function next(nc: NatsConnection, subject: string, n = 1): Promise<Msg[]> {
  const got: Msg[] = [];
  return new Promise((resolve) => {
    const sub = nc.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m);
        if (got.length === n) {
          sub.unsubscribe();
          resolve(got);
        }
      },
    });
  });
}

async function serverId(sys: NatsConnection): Promise<string> {
  return ((await sys.request("$SYS.REQ.SERVER.PING", "", { timeout: 3000 })).json<Json>().server as Json).id as string;
}

describe("system events", () => {
  test("$SYS.SERVER.<id>.STATSZ is pushed with the server's statsz, each interval longer than the last at first", async () => {
    const srv = await start(WITH_A);
    const sys = await client(srv, { user: "sys", pass: "sys" });
    try {
      const id = await serverId(sys);
      // Pushes come 250 ms after start, then 500 ms, 1 s, 2 s ... later: two within a few seconds.
      const pushes = next(sys, `$SYS.SERVER.${id}.STATSZ`, 2);
      await sys.flush();
      const [first, second] = (await pushes).map((m) => m.json<Json>());
      expect(Object.keys(first!.statsz as Json).sort()).toEqual([
        "active_accounts", "active_servers", "connections", "cores", "cpu", "mem", "received", "sent", "slow_consumers", "start",
        "subscriptions", "total_connections",
      ]);
      expect((first!.statsz as Json).connections).toBe(1);
      const at = (m: Json) => Date.parse((m.server as Json).time as string);
      // The schedule doubles from 250 ms, so no two pushes are closer than 500 ms; timers are never early.
      expect(at(second!) - at(first!)).toBeGreaterThanOrEqual(490);
    } finally {
      await sys.close();
      await srv.close();
    }
  });

  test("an account's client coming and going is counted on $SYS.ACCOUNT.<acc>.SERVER.CONNS and the old $SYS.SERVER.ACCOUNT.<acc>.CONNS", async () => {
    const srv = await start(WITH_A);
    const sys = await client(srv, { user: "sys", pass: "sys" });
    try {
      const fresh = next(sys, "$SYS.ACCOUNT.A.SERVER.CONNS", 2);
      const old = next(sys, "$SYS.SERVER.ACCOUNT.A.CONNS", 2);
      await sys.flush();
      const a = await client(srv, { user: "a", pass: "a" });
      a.publish("x", "12345");
      await a.flush();
      await a.close();
      const [up, down] = (await fresh).map((m) => m.json<Json>());
      expect(up).toMatchObject({ type: "io.nats.server.advisory.v1.account_connections", acc: "A", conns: 1, leafnodes: 0, total_conns: 1 });
      expect(Object.keys(up!).sort()).toEqual(["acc", "conns", "id", "leafnodes", "received", "sent", "server", "slow_consumers", "timestamp", "total_conns", "type"]);
      // The account's traffic counts its closed connections too.
      expect(down).toMatchObject({ acc: "A", conns: 0, total_conns: 0, received: { msgs: 1, bytes: 5 } });
      const [oldUp, oldDown] = (await old).map((m) => m.json<Json>());
      // The same event on both subjects.
      expect(oldUp!.id).toBe(up!.id);
      expect(oldDown!.id).toBe(down!.id);
    } finally {
      await sys.close();
      await srv.close();
    }
  });

  test("a client refused at CONNECT is reported on $SYS.SERVER.<id>.CLIENT.AUTH.ERR", async () => {
    const srv = await start(WITH_A);
    const sys = await client(srv, { user: "sys", pass: "sys" });
    try {
      const id = await serverId(sys);
      const ev = next(sys, `$SYS.SERVER.${id}.CLIENT.AUTH.ERR`);
      await sys.flush();
      await expect(client(srv, { user: "a", pass: "wrong", name: "refused", reconnect: false })).rejects.toThrow(/authorization violation/i);
      const [m] = await ev;
      const e = m!.json<Json>();
      expect(e.type).toBe("io.nats.server.advisory.v1.client_disconnect");
      expect(e.reason).toBe("Authentication Failure");
      expect(e.client).toMatchObject({ acc: "$G", user: "a", name: "refused", kind: "Client", client_type: "nats" });
      expect(e.sent).toEqual({ msgs: 0, bytes: 0 });
    } finally {
      await sys.close();
      await srv.close();
    }
  });

  test("$SYS.SERVER.<id>.SHUTDOWN carries the server block and reaches a system client before it is closed", async () => {
    const srv = await start(WITH_A);
    const sys = await client(srv, { user: "sys", pass: "sys", reconnect: false });
    const id = await serverId(sys);
    const ev = next(sys, `$SYS.SERVER.${id}.SHUTDOWN`);
    await sys.flush();
    await srv.close();
    const [m] = await Promise.race([ev, sys.closed().then(() => [] as Msg[])]);
    const body = m?.json<Json>();
    expect(body).toMatchObject({ id, ver: "2.9.10", jetstream: false });
    expect(Object.keys(body ?? {}).sort()).toEqual(["host", "id", "jetstream", "name", "seq", "time", "ver"]);
    await sys.closed();
  });
});

test("STATSZ lists the server's routes with their traffic, and every member answers a PING", async () => {
  const clusterPort = await freePort();
  const member = (name: string, listen: number, routes: string) =>
    start(`server_name: ${name}\n${WITH_A}\ncluster { name: sys, listen: "127.0.0.1:${listen}", routes: [${routes}] }`);
  const one = await member("one", clusterPort, "");
  const two = await member("two", -1, `"nats-route://127.0.0.1:${clusterPort}"`);
  const sys = await client(one, { user: "sys", pass: "sys" });
  try {
    // Every member answers a PING through the route, once the route carries the system account's interest.
    const servers = new Map<string, Json>();
    await until(async () => {
      const answers = await sys.requestMany("$SYS.REQ.SERVER.PING", "", { strategy: "count", maxMessages: 2, maxWait: 1000 });
      for await (const m of answers) {
        const server = m.json<Json>().server as Json;
        servers.set(server.name as string, server);
      }
      return servers.size === 2;
    }, "both members' answers");
    expect([...servers.keys()].sort()).toEqual(["one", "two"]);
    const answer = (await sys.request(`$SYS.REQ.SERVER.${servers.get("one")!.id}.STATSZ`, "", { timeout: 3000 })).json<Json>();
    expect((answer.server as Json).cluster).toBe("sys");
    const routes = (answer.statsz as Json).routes as Json[];
    expect(routes.length).toBe(1);
    expect(Object.keys(routes[0]!).sort()).toEqual(["name", "pending", "received", "rid", "sent"]);
    expect(routes[0]).toMatchObject({ name: "two" });
    expect(typeof routes[0]!.rid).toBe("number");
  } finally {
    await sys.close();
    await two.close();
    await one.close();
  }
});

describe("a config whose only account is the system account", () => {
  test("lets a client without credentials into $G, still says auth is required, and refuses wrong credentials", async () => {
    const srv = await start(`accounts { SYS: { users: [ {user: sys, password: sys} ] } }\nsystem_account: SYS`);
    const anon = await client(srv);
    const sys = await client(srv, { user: "sys", pass: "sys" });
    try {
      expect(anon.info?.auth_required).toBe(true);
      const got = next(anon, "g.x");
      await anon.flush();
      anon.publish("g.x", "hi");
      expect((await got)[0]!.string()).toBe("hi");
      const conns = ((await sys.request("$SYS.REQ.SERVER.PING.CONNZ", JSON.stringify({ auth: true }), { timeout: 3000 })).json<Json>().data as Json).connections as Json[];
      const users = conns.map((c) => c.authorized_user as string);
      expect(users).toContain("sys");
      // nats-server names the user it makes up for $G "nats-" and eight random digits.
      expect(users.filter((u) => u !== "sys")).toEqual([expect.stringMatching(/^nats-[0-9A-Za-z]{8}$/)]);
      await expect(client(srv, { user: "sys", pass: "wrong", reconnect: false })).rejects.toThrow(/authorization violation/i);
      await expect(client(srv, { user: "x", pass: "y", reconnect: false })).rejects.toThrow(/authorization violation/i);
      await expect(client(srv, { token: "t", reconnect: false })).rejects.toThrow(/authorization violation/i);
    } finally {
      await anon.close();
      await sys.close();
      await srv.close();
    }
  });

  test("2.9.10 does so beside an authorization block's users too", async () => {
    const srv = await start(`authorization { users: [ {user: g, password: g} ] }\naccounts { SYS: { users: [ {user: sys, password: sys} ] } }\nsystem_account: SYS`);
    try {
      const anon = await client(srv);
      await anon.flush();
      await anon.close();
    } finally {
      await srv.close();
    }
  });

  test("a second account keeps clients without credentials out", async () => {
    const srv = await start(WITH_A);
    try {
      await expect(client(srv, { reconnect: false })).rejects.toThrow(/authorization violation/i);
    } finally {
      await srv.close();
    }
  });

  test("keeps the made-up user's name across a reload, so the clients in under it stay as they are (and takes new server_tags)", async () => {
    const file = join(dir, "reload.conf");
    const conf = (users: string) => `accounts { SYS: { users: [ ${users} ] } }\nsystem_account: SYS\n`;
    writeFileSync(file, conf("{user: sys, password: sys}"));
    const child = await CliChild.startServer(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
    const url = `127.0.0.1:${child.port}`;
    const anon = await connect({ servers: url, reconnect: false });
    const sys = await connect({ servers: url, user: "sys", pass: "sys", reconnect: false });
    try {
      const madeUp = async () => {
        const data = (await sys.request("$SYS.REQ.SERVER.PING.CONNZ", JSON.stringify({ auth: true }), { timeout: 3000 })).json<Json>().data as Json;
        return (data.connections as Json[]).map((c) => c.authorized_user as string).filter((u) => u !== "sys");
      };
      const before = await madeUp();
      expect(before).toEqual([expect.stringMatching(/^nats-/)]);
      const from = child.lines.length;
      expect(await child.reloadWith(file, `server_tags: ["t1"]\n${conf("{user: sys, password: sys}, {user: sys2, password: sys2}")}`)).toContain("Reloaded");
      expect(await madeUp()).toEqual(before);
      // The tags came with the reload, as nats-server's "Reloaded: tags".
      expect(child.lines.slice(from).some((l) => l.includes("Reloaded: tags"))).toBe(true);
      const server = (await sys.request("$SYS.REQ.SERVER.PING", "", { timeout: 3000 })).json<Json>().server as Json;
      expect(server.tags).toEqual(["t1"]);
      await anon.flush();
    } finally {
      await anon.close().catch(() => {});
      await sys.close().catch(() => {});
      await child.close();
    }
  });
});
