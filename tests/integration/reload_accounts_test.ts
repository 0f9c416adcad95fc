/**
 * Reloading accounts on SIGHUP, through the server's own command line: the config file is rewritten, the
 * process is signalled and the test waits for "Reloaded server configuration" (or the refusal) in its log.
 * nats.js clients see what changed: users added, removed or moved to another account, accounts added and
 * removed, stream imports wired and unwired for subscribers already there, mappings (for connections already
 * there too), JetStream per account,
 * and what nats-server 2.9.10 refuses (no_auth_user, system_account) leaving the old config running. In
 * reference mode (NATSEDGE_REFERENCE_SERVER) the same tests run against nats-server.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { wsconnect } from "@nats-io/nats-core";
import { CliChild } from "../_helpers/cli_child.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { natsedgeOnly, refused } from "../_helpers/security.ts";
import { runServer } from "../_helpers/server.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, httpLeafz, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, routeInterest } from "../_helpers/route.ts";

let child: CliChild | null = null;
let dir = "";
const conns: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  await child?.close();
  child = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

/** Starts the server on `text`; returns how to rewrite the file and reload, resolving with the outcome line. */
async function serve(text: string): Promise<(next: string) => Promise<string>> {
  dir = scratchDir("natsedge-reload-accounts-");
  const file = join(dir, "server.conf");
  writeFileSync(file, text);
  child = await CliChild.startServer(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
  return (next) => child!.reloadWith(file, next);
}

async function login(user: string): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${child!.port}`, user, pass: user, reconnect: false });
  conns.push(nc);
  return nc;
}

/** A subscription's messages as `subject:payload`; `until(subject)` gives those since the last call, through the first on `subject`. */
function collect(nc: NatsConnection, subject: string): { until(last: string): Promise<string[]> } {
  const seen: string[] = [];
  let wake: (() => void) | null = null;
  nc.subscribe(subject, {
    callback: (_err, m: Msg) => {
      seen.push(`${m.subject}:${m.string()}`);
      wake?.();
    },
  });
  return {
    async until(last) {
      for (;;) {
        const i = seen.findIndex((l) => l.startsWith(`${last}:`));
        if (i !== -1) return seen.splice(0, i + 1);
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

const accounts = (body: string, extra = "") => `${extra}\naccounts {\n${body}\n}\n`;
const A = `A: { users: [ {user: a, password: a} ], exports: [ {stream: "s.>"} ] }`;
const B = (imports = "") => `B: { users: [ {user: b, password: b} ]${imports} }`;
const IMPORT_S = `, imports: [ {stream: {account: A, subject: "s.>"}} ]`;

describe("reloading accounts (SIGHUP)", () => {
  test("a user added to an account can connect, a removed user is disconnected, the others stay", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const a = await login("a");
    const b = await login("b");
    const bClosed = b.closed();
    expect(await reload(accounts(`${A}\nB: { users: [ {user: b2, password: b2} ] }`))).toContain("Reloaded server configuration");
    expect(await bClosed).toBeUndefined();
    const b2 = await login("b2");
    await b2.flush();
    await a.flush();
    expect(a.isClosed()).toBe(false);
    await refused(connect({ servers: `127.0.0.1:${child!.port}`, user: "b", pass: "b", reconnect: false }));
  });

  test("a user moved to another account is disconnected and reconnects into the new one", async () => {
    const reload = await serve(accounts(`${A}\n${B()}\nC: { users: [ {user: c, password: c} ] }`));
    const c = await login("c");
    const closed = c.closed();
    expect(await reload(accounts(`${A}\nB: { users: [ {user: b, password: b}, {user: c, password: c} ] }`))).toContain("Reloaded server configuration");
    expect(await closed).toBeUndefined();
    const b = await login("b");
    const sub = collect(b, "moved");
    await b.flush();
    const again = await login("c");
    again.publish("moved", "into B");
    await again.flush();
    expect(await sub.until("moved")).toEqual(["moved:into B"]);
  });

  test("a stream import added on reload delivers to a subscriber already there; removed, it stops", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const a = await login("a");
    const b = await login("b");
    const sub = collect(b, "s.>");
    await b.flush();
    expect(await reload(accounts(`${A}\n${B(IMPORT_S)}`))).toContain("Reloaded server configuration");
    a.publish("s.one", "imported");
    await a.flush();
    b.publish("s.mark", "1");
    expect(await sub.until("s.mark")).toEqual(["s.one:imported", "s.mark:1"]);

    expect(await reload(accounts(`${A}\n${B()}`))).toContain("Reloaded server configuration");
    a.publish("s.two", "not any more");
    await a.flush();
    b.publish("s.mark", "2");
    expect(await sub.until("s.mark")).toEqual(["s.mark:2"]);
  });

  test("a renaming stream import added on reload reaches wildcard subscribers already there; its `to` changed, the new subject's", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const a = await login("a");
    const b = await login("b");
    const renamed = collect(b, "t.>");
    const prefixed = collect(b, "p.*.>");
    await b.flush();
    expect(await reload(accounts(`${A}\n${B(`, imports: [ {stream: {account: A, subject: "s.>"}, to: "t.>"} ]`)}`))).toContain("Reloaded server configuration");
    a.publish("s.one", "1");
    await a.flush();
    b.publish("t.mark", "1");
    expect(await renamed.until("t.mark")).toEqual(["t.one:1", "t.mark:1"]);

    expect(await reload(accounts(`${A}\n${B(`, imports: [ {stream: {account: A, subject: "s.>"}, prefix: "p"} ]`)}`))).toContain("Reloaded server configuration");
    a.publish("s.two", "2");
    await a.flush();
    b.publish("t.mark", "2");
    b.publish("p.s.mark", "2");
    expect(await renamed.until("t.mark")).toEqual(["t.mark:2"]);
    expect(await prefixed.until("p.s.mark")).toEqual(["p.s.two:2", "p.s.mark:2"]);
  });

  test("$G's JetStream stops when accounts are added on reload and starts again when they are all removed", async () => {
    const store = scratchDir("natsedge-reload-jsg-");
    const g = `jetstream { store_dir: "${store}" }\nauthorization { users: [ {user: g, password: g} ] }\n`;
    const info = async (user: string) => {
      const nc = await login(user);
      return JSON.parse((await nc.request("$JS.API.INFO", "", { timeout: 5000 })).string()) as { error?: { err_code: number }; limits?: unknown };
    };
    try {
      const reload = await serve(g);
      expect((await info("g")).limits).toBeDefined();
      expect(await reload(`${g}accounts { A: { users: [ {user: a, password: a} ], jetstream: enabled } }`)).toContain("Reloaded server configuration");
      expect((await info("g")).error?.err_code).toBe(10039);
      expect((await info("a")).limits).toBeDefined();
      expect(await reload(g)).toContain("Reloaded server configuration");
      expect((await info("g")).limits).toBeDefined();
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  test("the first accounts block, added on reload, comes with the system account's services", async () => {
    const reload = await serve("authorization { users: [ {user: g, password: g} ] }");
    expect(await reload(accounts(`A: { users: [ {user: a, password: a} ] }`, "authorization { users: [ {user: g, password: g} ] }"))).toContain("Reloaded server configuration");
    const a = await login("a");
    const connz = JSON.parse((await a.request("$SYS.REQ.ACCOUNT.PING.CONNZ", "", { timeout: 5000 })).string()) as { data?: { num_connections?: number } };
    expect(connz.data?.num_connections).toBe(1);
  });

  test("a service import added on reload answers requests; removed, requests find no responders", async () => {
    const SVC_A = `A: { users: [ {user: a, password: a} ], exports: [ {service: "svc.>"} ] }`;
    const SVC_IMPORT = `, imports: [ {service: {account: A, subject: "svc.time"}, to: "time"} ]`;
    const reload = await serve(accounts(`${SVC_A}\n${B()}`));
    const a = await login("a");
    a.subscribe("svc.time", { callback: (_e, m) => void m.respond(`now for ${m.subject}`) });
    await a.flush();
    const b = await login("b");
    await expect(b.request("time", "", { timeout: 2000 })).rejects.toThrow();
    expect(await reload(accounts(`${SVC_A}\n${B(SVC_IMPORT)}`))).toContain("Reloaded server configuration");
    expect((await b.request("time", "", { timeout: 5000 })).string()).toBe("now for svc.time");
    expect(await reload(accounts(`${SVC_A}\n${B()}`))).toContain("Reloaded server configuration");
    await expect(b.request("time", "", { timeout: 2000 })).rejects.toThrow(/503|no responders/i);
  });

  test("an account added on reload gets users and imports; a removed one takes its users with it", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const b = await login("b");
    const bClosed = b.closed();
    const C = `C: { users: [ {user: c, password: c} ]${IMPORT_S} }`;
    expect(await reload(accounts(`${A}\n${C}`))).toContain("Reloaded server configuration");
    expect(await bClosed).toBeUndefined();
    const c = await login("c");
    const sub = collect(c, "s.>");
    await c.flush();
    const a = await login("a");
    a.publish("s.x", "to C");
    await a.flush();
    c.publish("s.mark", "");
    expect(await sub.until("s.mark")).toEqual(["s.x:to C", "s.mark:"]);
    // Like every account, it asks the system account about itself through its own imports.
    const connz = JSON.parse((await c.request("$SYS.REQ.ACCOUNT.PING.CONNZ", "", { timeout: 5000 })).string()) as { data?: { num_connections?: number } };
    expect(connz.data?.num_connections).toBe(1);
    await refused(connect({ servers: `127.0.0.1:${child!.port}`, user: "b", pass: "b", reconnect: false }));
  });

  test("changed permissions of an account user apply to its connection", async () => {
    const withPerms = (allow: string) => accounts(`A: { users: [ {user: a, password: a, permissions: { publish: { allow: ${allow} } } } ] }`);
    const reload = await serve(withPerms(`[">"]`));
    const a = await login("a");
    const sub = collect(a, "open.>");
    await a.flush();
    expect(await reload(withPerms(`["open.>"]`))).toContain("Reloaded server configuration");
    const errors: string[] = [];
    void (async () => {
      for await (const s of a.status()) if (s.type === "error") errors.push(String((s as { error?: unknown }).error));
    })();
    a.publish("closed.x", "no");
    a.publish("open.x", "yes");
    expect(await sub.until("open.x")).toEqual(["open.x:yes"]);
    await a.flush();
    expect(errors.join("\n")).toContain("closed.x");
  });

  test("a subscription an account user may no longer hold is removed with nats-server's error", async () => {
    const withPerms = (allow: string) => accounts(`A: { users: [ {user: a, password: a, permissions: { subscribe: { allow: ${allow} } } } ] }`);
    const reload = await serve(withPerms(`[">"]`));
    const a = await login("a");
    const priv = a.subscribe("priv.x", { callback: () => {} });
    const pub = collect(a, "pub.>");
    await a.flush();
    expect(await reload(withPerms(`["pub.>"]`))).toContain("Reloaded server configuration");
    expect(String(await priv.closed)).toContain('Permissions Violation for Subscription to "priv.x"');
    a.publish("priv.x", "gone");
    a.publish("pub.x", "kept");
    expect(await pub.until("pub.x")).toEqual(["pub.x:kept"]);
    expect(a.isClosed()).toBe(false);
  });

  // nats-server 2.9.10 decides per read of a connection whether its publishes are mapped, from the account as
  // the connection's previous read saw it: the first read after a reload that gives an account its first
  // mappings goes unmapped. natsedge maps from the reload on; the publishers here flush (one read) first.
  test("mappings added, changed and removed on reload apply to the next publishes of connections already there, in an account and at the top level", async () => {
    const withMappings = (m: string, top = "") => accounts(`A: { users: [ {user: a, password: a} ]${m} }`, `${top}\nauthorization { users: [ {user: g, password: g} ] }`);
    const reload = await serve(withMappings(""));
    const sub = collect(await login("a"), "to.>");
    const gsub = collect(await login("g"), "to.>");
    const a = await login("a");
    const g = await login("g");
    const publishes = async (pub: NatsConnection, from: string, into: typeof sub) => {
      await pub.flush();
      pub.publish(from, "m");
      pub.publish("to.end", "");
      return (await into.until("to.end")).slice(0, -1);
    };
    for (const [m, top, a1, g1] of [
      [`, mappings: { "to.from": "to.a" }`, `mappings: { "to.from": "to.g" }`, "to.a:m", "to.g:m"],
      [`, mappings: { "to.from": "to.a2" }`, `mappings: { "to.from": "to.g2" }`, "to.a2:m", "to.g2:m"],
      ["", "", "to.from:m", "to.from:m"],
    ] as const) {
      expect(await reload(withMappings(m, top))).toContain("Reloaded server configuration");
      expect(await publishes(a, "to.from", sub)).toEqual([a1]);
      expect(await publishes(g, "to.from", gsub)).toEqual([g1]);
    }
  });

  test("over WebSocket with the block's own no_auth_user, a user added to an account logs in and a removed one is closed", async () => {
    const ws = `websocket { listen: "127.0.0.1:-1", no_tls: true, no_auth_user: a }`;
    const reload = await serve(accounts(`${A}\n${B()}`, ws));
    const port = Number(/Listening for websocket clients on ws:\/\/.*:(\d+)$/.exec(await child!.waitLog(/Listening for websocket clients/))![1]);
    const wsLogin = async (user: string) => {
      const nc = await wsconnect({ servers: `ws://127.0.0.1:${port}`, user, pass: user, reconnect: false });
      conns.push(nc);
      return nc;
    };
    const b = await wsLogin("b");
    const bClosed = b.closed();
    expect(await reload(accounts(`${A}\nB: { users: [ {user: b2, password: b2} ] }`, ws))).toContain("Reloaded server configuration");
    expect(await bClosed).toBeUndefined();
    await (await wsLogin("b2")).flush();
  });

  test("no_auth_user cannot be set on reload: refused in nats-server's words, the old config stays", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const line = await reload(accounts(`${A}\n${B()}\nC: { users: [ {user: c, password: c} ] }`, "no_auth_user: a"));
    expect(line).toContain("Failed to reload server configuration: config reload not supported for NoAuthUser: old=, new=a");
    await refused(connect({ servers: `127.0.0.1:${child!.port}`, user: "c", pass: "c", reconnect: false }));
    await (await login("a")).flush();
  });

  test("no_auth_user goes with its user, and stays while its user does", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`, "no_auth_user: b"));
    const anon = await connect({ servers: `127.0.0.1:${child!.port}`, reconnect: false });
    conns.push(anon);
    await anon.flush();
    expect(await reload(accounts(`${A}\n${B()}`))).toContain("Failed to reload server configuration: config reload not supported for NoAuthUser: old=b, new=");
    const closed = anon.closed();
    expect(await reload(accounts(`${A}\nB: { users: [ {user: b2, password: b2} ] }`))).toContain("Reloaded server configuration");
    expect(await closed).toBeUndefined();
  });

  test("an account the leafnodes block names cannot be removed: refused in nats-server's words", async () => {
    const leafnodes = `leafnodes { listen: "127.0.0.1:-1", authorization { users: [ { user: leafb, password: pw, account: B } ] } }`;
    const reload = await serve(accounts(`${A}\n${B()}`, leafnodes));
    const line = await reload(accounts(A, leafnodes));
    expect(line).toContain('Failed to reload server configuration: cannot find local account "B" specified in leafnode authorization');
    await (await login("b")).flush();
  });

  test("system_account cannot change on reload", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const line = await reload(accounts(`${A}\n${B()}`, "system_account: A"));
    expect(line).toContain("Failed to reload server configuration: config reload not supported for SystemAccount: old=, new=A");
  });

  test("an import the exporter does not allow fails the reload with the account's error, nothing changes", async () => {
    const reload = await serve(accounts(`${A}\n${B()}`));
    const bad = `B: { users: [ {user: b, password: b} ], imports: [ {stream: {account: A, subject: "t.>"}} ] }\nC: { users: [ {user: c, password: c} ] }`;
    const line = await reload(accounts(`${A}\n${bad}`));
    expect(line).toContain('Error adding stream import "t.>": stream import not authorized');
    await refused(connect({ servers: `127.0.0.1:${child!.port}`, user: "c", pass: "c", reconnect: false }));
  });

  test("JetStream follows each account's jetstream on reload: enabled, limits changed, disabled", async () => {
    const store = scratchDir("natsedge-reload-js-");
    const js = (a: string, b: string) =>
      accounts(`A: { users: [ {user: a, password: a} ]${a} }\nB: { users: [ {user: b, password: b} ]${b} }`, `jetstream { store_dir: "${store}" }`);
    const info = async (user: string) => {
      const nc = await login(user);
      return JSON.parse((await nc.request("$JS.API.INFO", "", { timeout: 5000 })).string()) as { error?: { err_code: number }; limits?: { max_memory: number } };
    };
    try {
      const reload = await serve(js(", jetstream: enabled", ""));
      expect((await info("a")).limits).toBeDefined();
      expect((await info("b")).error?.err_code).toBe(10039);
      expect(await reload(js("", ", jetstream: { max_mem: 1M }"))).toContain("Reloaded server configuration");
      expect((await info("a")).error?.err_code).toBe(10039);
      expect((await info("b")).limits?.max_memory).toBe(1_000_000);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});

// Links of a removed account, through the embedding API's reload (the same path as SIGHUP). natsedge only:
// nats-server 2.9.10 re-checks only client connections on a reload and keeps such a leaf link up, bound to the
// account no longer configured; natsedge closes it, and withdraws the removed account's interest from routes.
describe("reloading accounts with links", () => {
  const own = useCleanup();
  const LINKED = (b: string) => `accounts {\n A: { users: [ {user: a, password: a} ] }\n ${b}\n}`;
  const B_USERS = `B: { users: [ {user: b, password: b} ] }`;

  natsedgeOnly("a leaf link whose user's account a reload removes is closed, and refused until the account is back", async () => {
    const leafPort = await freePort();
    // No leafnodes authorization: a leaf logs in as one of the accounts' users, as a client would.
    const hubConf = (b: string) => `server_name: hub\n${LINKED(b)}\nleafnodes { listen: "127.0.0.1:${leafPort}" }`;
    const hub = own(await runServer({ config: hubConf(B_USERS) }));
    const http = await freePort();
    own(await startNatsServer(`server_name: leaf1\nhttp: "127.0.0.1:${http}"\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://b:b@127.0.0.1:${leafPort}" } ] }`));
    await until(() => edgeLeafz(hub).length === 1, "the link in account B");
    expect(edgeLeafz(hub)[0]!.account).toBe("B");
    await hub.reload({ config: hubConf("") });
    await until(() => hub.logs.some((l) => l.includes('Leafnode connection closed: account "B" was removed')), "the link closed");
    await until(() => hub.logs.some((l) => l.includes("authentication error")), "the leaf refused on redial");
    expect(edgeLeafz(hub)).toEqual([]);
    await hub.reload({ config: hubConf(B_USERS) });
    await until(async () => edgeLeafz(hub).length === 1 && (await httpLeafz(http)).length === 1, "the link back once B is");
  });

  natsedgeOnly("an account added on reload on both members is carried by the route already up", async () => {
    const C_USERS = `C: { users: [ {user: c, password: c} ] }`;
    const clusterConf = (name: string, c: string, routes: number[]) =>
      `server_name: ${name}\n${LINKED(c)}\ncluster { name: rl, listen: "127.0.0.1:-1", routes = [${routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ")}] }`;
    const one = own(await runServer({ config: clusterConf("one", "", []) }));
    const two = own(await runServer({ config: clusterConf("two", "", [edgeClusterPort(one)]) }));
    await until(() => edgeRoutez(one).length === 1 && edgeRoutez(two).length === 1, "the route");
    await one.reload({ config: clusterConf("one", C_USERS, []) });
    await two.reload({ config: clusterConf("two", C_USERS, [edgeClusterPort(one)]) });
    const sub = own(await connect({ servers: `127.0.0.1:${two.port}`, user: "c", pass: "c", reconnect: false }));
    const got = collect(sub, "in.c");
    await sub.flush();
    await until(() => routeInterest(edgeRoutez(one), "in.c"), "C's interest at one");
    const pub = own(await connect({ servers: `127.0.0.1:${one.port}`, user: "c", pass: "c", reconnect: false }));
    pub.publish("in.c", "across");
    expect(await got.until("in.c")).toEqual(["in.c:across"]);
    expect(edgeRoutez(one).length).toBe(1);
  });

  natsedgeOnly("the interest of a removed account is withdrawn from the routes", async () => {
    const clusterConf = (name: string, b: string, routes: number[]) =>
      `server_name: ${name}\n${LINKED(b)}\ncluster { name: rl, listen: "127.0.0.1:-1", routes = [${routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ")}] }`;
    const one = own(await runServer({ config: clusterConf("one", B_USERS, []) }));
    const two = own(await runServer({ config: clusterConf("two", B_USERS, [edgeClusterPort(one)]) }));
    await until(() => edgeRoutez(one).length === 1 && edgeRoutez(two).length === 1, "the route");
    const b = own(await connect({ servers: `127.0.0.1:${two.port}`, user: "b", pass: "b", reconnect: false }));
    b.subscribe("in.b");
    const a = own(await connect({ servers: `127.0.0.1:${two.port}`, user: "a", pass: "a", reconnect: false }));
    a.subscribe("in.a");
    await b.flush();
    await a.flush();
    await until(() => routeInterest(edgeRoutez(one), "in.b") && routeInterest(edgeRoutez(one), "in.a"), "both accounts' interest at one");
    const peerSubsInB = () => one.server.accounts.get("B")!.router.sublist.all().filter((s) => s.client.remote === true);
    expect(peerSubsInB().length).toBeGreaterThan(1);
    await two.reload({ config: clusterConf("two", "", [edgeClusterPort(one)]) });
    await until(() => !routeInterest(edgeRoutez(one), "in.b"), "B's interest withdrawn");
    // What B had besides its clients (JetStream's "not enabled" answers, the system imports) went too.
    expect(peerSubsInB()).toEqual([]);
    expect(routeInterest(edgeRoutez(one), "in.a")).toBe(true);
    expect(edgeRoutez(one).length).toBe(1);
  });
});
