/**
 * A config account's `limits {}` (max_connections, max_subscriptions, max_payload, max_leafnodes), applied
 * as nats-server 2.9.10 applies them: clients past max_connections (leaf links counted) and leaf links past
 * max_leafnodes are refused with 'maximum account active connections exceeded', each connection's
 * subscriptions (a leaf link's LS+ too) and payload are capped, the payload cap reaches the client in the INFO
 * after its first PONG, and a reload (SIGHUP) applies changed limits to connections already there (a lowered
 * max_leafnodes only to the links that come next). In
 * reference mode (NATSEDGE_REFERENCE_SERVER) the same tests run against nats-server.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { CliChild } from "../_helpers/cli_child.ts";
import { scratchDir } from "../_helpers/certs.ts";
import type { RawConn, TestServer } from "../_helpers/server.ts";
import { exchange, INFO_LINE, rawOpen } from "../_helpers/raw.ts";
import { freePort } from "../_helpers/leaf.ts";
import { natsedgeOnly } from "../_helpers/security.ts";

let child: CliChild | null = null;
let dir = "";
const conns: NatsConnection[] = [];
const raws: RawConn[] = [];
afterEach(async () => {
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  for (const c of raws.splice(0)) c.close();
  await child?.close();
  child = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

const conf = (limits: string, others = "") => `accounts {\n  A: {\n    users: [ {user: a, password: a} ]\n    limits: { ${limits} }\n  }\n${others}}\n`;

/** Starts the server on `text`; returns how to rewrite the file and reload, resolving with the outcome line. */
async function serve(text: string): Promise<(next: string) => Promise<string>> {
  dir = scratchDir("natsedge-accounts-limits-");
  const file = join(dir, "server.conf");
  writeFileSync(file, text);
  child = await CliChild.startServer(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
  return (next) => child!.reloadWith(file, next);
}

async function login(): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${child!.port}`, user: "a", pass: "a", reconnect: false });
  conns.push(nc);
  return nc;
}

/** A raw connection of user a: CONNECT and PING answered, everything received so far kept. */
async function raw(): Promise<RawConn> {
  const c = await rawOpen({ port: child!.port } as TestServer);
  raws.push(c);
  c.send(`CONNECT ${JSON.stringify({ user: "a", pass: "a", verbose: false, pedantic: false, protocol: 1 })}\r\nPING\r\n`);
  await c.waitFor("PONG\r\n");
  return c;
}

/**
 * A raw CONNECT of user a that the account's connection limit refuses: nats-server's -ERR, then the close. Raw,
 * because nats.js may meet the reset of the closed socket before it reads the -ERR.
 */
async function refusedRaw(): Promise<void> {
  const c = await rawOpen({ port: child!.port } as TestServer);
  raws.push(c);
  c.send(`CONNECT ${JSON.stringify({ user: "a", pass: "a", verbose: false, pedantic: false, protocol: 1 })}\r\nPING\r\n`);
  await c.waitFor("-ERR 'maximum account active connections exceeded'\r\n");
  await c.waitClosed();
  expect(c.received).not.toContain("PONG");
}

/** The INFO lines the server sent on `c`, parsed. */
const infos = (c: RawConn) => c.received.split("\r\n").filter((l) => l.startsWith("INFO ")).map((l) => JSON.parse(INFO_LINE.exec(`${l}\r\n`)![1]!) as Record<string, unknown>);

describe("accounts' limits", () => {
  test("max_connections: the account's next client is refused with nats-server's -ERR; other accounts are not counted", async () => {
    await serve(conf("max_connections: 2", "  B: { users: [ {user: g, password: g} ] }\n"));
    await login();
    await login();
    await refusedRaw();
    const other = await connect({ servers: `127.0.0.1:${child!.port}`, user: "g", pass: "g", reconnect: false });
    conns.push(other);
    // Once one of the account's clients has gone, a new one is admitted.
    await conns.shift()!.close();
    for (;;) {
      const nc = await login().catch(() => null);
      if (nc !== null) break;
    }
  });

  test("max_subscriptions caps each connection; the SUB past it gets -ERR and the connection stays", async () => {
    await serve(conf("max_subs: 2"));
    const c = await raw();
    c.clear();
    expect(await exchange(c, "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n")).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    await child!.waitLog(/ - cid:\d+ - maximum subscriptions exceeded$/);
    // Another connection of the account has two of its own.
    const d = await raw();
    d.clear();
    expect(await exchange(d, "SUB a 1\r\nSUB b 2\r\n")).toBe("PONG\r\n");
  });

  test("max_subscriptions 0: the connection is told once its CONNECT is accepted, and closed", async () => {
    await serve(conf("max_subs: 0"));
    const c = await rawOpen({ port: child!.port } as TestServer);
    raws.push(c);
    c.send(`CONNECT ${JSON.stringify({ user: "a", pass: "a", verbose: false, protocol: 1 })}\r\nPING\r\n`);
    await c.waitFor("-ERR 'maximum subscriptions exceeded'\r\n");
    await c.waitClosed();
  });

  test("max_payload: the INFO after the first PONG carries it, nats.js holds to it, a larger PUB is a violation", async () => {
    await serve(conf("max_pay: 100"));
    const c = await raw();
    await c.waitUntil((s) => /PONG\r\nINFO /.test(s) && s.endsWith("\r\n"), "the INFO after the PONG");
    const [first, after] = infos(c);
    expect(first!.max_payload).toBe(1048576);
    expect(after!.max_payload).toBe(100);
    expect(after!.client_id).toBe(first!.client_id);
    c.clear();
    expect(await exchange(c, `SUB x 1\r\nPUB x 100\r\n${"p".repeat(100)}\r\n`)).toBe(`MSG x 1 100\r\n${"p".repeat(100)}\r\nPONG\r\n`);
    c.send(`PUB x 101\r\n${"p".repeat(101)}\r\n`);
    await c.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await c.waitClosed();

    const nc = await login();
    await nc.flush();
    expect(nc.info!.max_payload).toBe(100);
    expect(() => nc.publish("x", new Uint8Array(101))).toThrow(/max_payload|MAX_PAYLOAD/i);
  });

  test("reload: lowered max_subs closes a connection at it, lowered max_payload caps connections already there and the next INFO", async () => {
    const reload = await serve(conf("max_subs: 5, max_payload: 1000"));
    const subs = await raw();
    expect(await exchange(subs, "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n")).toContain("PONG\r\n");
    const pub = await raw();
    expect(await exchange(pub, "SUB a 1\r\n")).toContain("PONG\r\n");
    expect(await reload(conf("max_subs: 2, max_payload: 10"))).toContain("Reloaded server configuration");
    await subs.waitFor("-ERR 'maximum subscriptions exceeded'\r\n");
    await subs.waitClosed();
    pub.send(`PUB x 50\r\n${"y".repeat(50)}\r\n`);
    await pub.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await pub.waitClosed();
    const nc = await login();
    await nc.flush();
    expect(nc.info!.max_payload).toBe(10);
  });

  /** A raw leaf node CONNECT of user a on `port`, sent with a PING. */
  const leaf = async (port: number, name: string) => {
    const c = await rawOpen({ port } as TestServer);
    raws.push(c);
    c.clear();
    c.send(`CONNECT ${JSON.stringify({ user: "a", pass: "a", name, headers: true })}\r\nPING\r\n`);
    return c;
  };

  test("max_leafnodes: the account's next leaf link is refused with the same -ERR; max_subs caps a link's LS+", async () => {
    const leafPort = await freePort();
    await serve(`leafnodes { listen: "127.0.0.1:${leafPort}" }\n${conf("max_leafs: 1, max_subs: 1")}`);
    const first = await leaf(leafPort, "edge1");
    await first.waitFor("PONG\r\n");
    first.clear();
    // The link stays: its next PING is answered.
    expect(await exchange(first, "LS+ a\r\nLS+ b\r\n")).toContain("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    const second = await leaf(leafPort, "edge2");
    await second.waitFor("-ERR 'maximum account active connections exceeded'\r\n");
    await second.waitClosed();
    await login();
  });

  test("reload: lowered max_leafnodes leaves the links already up and refuses the next one, as 2.9.10 does", async () => {
    const leafPort = await freePort();
    const text = (max: number) => `leafnodes { listen: "127.0.0.1:${leafPort}" }\n${conf(`max_leafs: ${max}`)}`;
    const reload = await serve(text(2));
    const up: RawConn[] = [];
    for (const name of ["edge1", "edge2"]) {
      const c = await leaf(leafPort, name);
      await c.waitFor("PONG\r\n");
      up.push(c);
    }
    expect(await reload(text(1))).toContain("Reloaded server configuration");
    for (const c of up) {
      c.clear();
      expect(await exchange(c, "PING\r\n")).not.toContain("-ERR");
    }
    const third = await leaf(leafPort, "edge3");
    await third.waitFor("-ERR 'maximum account active connections exceeded'\r\n");
    await third.waitClosed();
  });

  test("the server's max_subscriptions caps a leaf link's LS+ as well, in $G without accounts", async () => {
    const leafPort = await freePort();
    await serve(`max_subscriptions: 1\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
    const c = await rawOpen({ port: leafPort } as TestServer);
    raws.push(c);
    c.send(`CONNECT ${JSON.stringify({ name: "edge", headers: true })}\r\nPING\r\n`);
    await c.waitFor("PONG\r\n");
    c.clear();
    expect(await exchange(c, "LS+ a\r\nLS+ b\r\n")).toContain("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
  });

  test("max_connections counts the account's leaf links, which it does not limit themselves", async () => {
    const leafPort = await freePort();
    await serve(`leafnodes { listen: "127.0.0.1:${leafPort}" }\n${conf("max_conn: 1")}`);
    await (await leaf(leafPort, "edge1")).waitFor("PONG\r\n");
    await refusedRaw();
    await (await leaf(leafPort, "edge2")).waitFor("PONG\r\n");
  });

  test("reload: raised max_connections admits more clients", async () => {
    const reload = await serve(conf("max_conn: 1"));
    await login();
    await refusedRaw();
    expect(await reload(conf("max_conn: 2"))).toContain("Reloaded server configuration");
    await login();
  });

  // nats-server 2.9.10 registers each client with the account again in random order: which ones it closes varies,
  // and it can close all of them. natsedge keeps the newest, as for a pushed account JWT's lower `conn`.
  natsedgeOnly("reload: lowered max_connections closes the account's oldest clients with nats-server's -ERR", async () => {
    const reload = await serve(conf("max_conn: 3"));
    const oldest = await raw();
    await raw();
    await raw();
    expect(await reload(conf("max_conn: 2"))).toContain("Reloaded server configuration");
    await oldest.waitFor("-ERR 'maximum account active connections exceeded'\r\n");
    await oldest.waitClosed();
    for (const c of raws.slice(1)) expect(await exchange(c, "PING\r\n")).toContain("PONG\r\n");
    await refusedRaw();
  });
});
