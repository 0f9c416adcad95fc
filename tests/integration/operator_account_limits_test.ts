// An account JWT's limits beyond `conn`, as nats-server 2.9.10 applies them (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): `subs` and `payload` cap each connection of the account
// (the user's own cap when lower; a leaf link's LS+ too), `leaf` caps the account's leaf node links, which
// `conn` counts with the clients, and an account JWT with more
// imports or exports than its limits allow, or wildcard exports without `wildcards`, is not valid, so its users
// are refused. Modelled on nats-server's server/jwt_test.go (TestJWTAccountLimitsSubs,
// TestJWTAccountLimitsMaxPayload, TestJWTLeafnodeLimits-style cases, TestJWTAccountImportExportLimits).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, encodeUser, type User } from "@nats-io/jwt";
import { credsAuthenticator } from "@nats-io/transport-node";
import { client, type RawConn, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { freePort } from "../_helpers/leaf.ts";
import { type JwtAccount, OperatorSetup, UNLIMITED, jwtConnectLine, rawJwtConnect, rawJwtOpen } from "../_helpers/operator.ts";
import { exchange } from "../_helpers/raw.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-acclimits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("account JWT limits", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let leafPort: number;
  const acc: Record<string, JwtAccount> = {};
  const open: RawConn[] = [];

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    acc.subs = await setup.account("SUBS", { limits: { ...UNLIMITED, subs: 2 } });
    acc.payload = await setup.account("PAYLOAD", { limits: { ...UNLIMITED, payload: 4 } });
    // Left out of the JWT, subs and payload are 0.
    acc.noSubs = await setup.account("NOSUBS", { limits: { ...UNLIMITED, subs: undefined } });
    acc.noPayload = await setup.account("NOPAYLOAD", { limits: { ...UNLIMITED, payload: undefined } });
    acc.noLeaf = await setup.account("NOLEAF", { limits: { ...UNLIMITED, leaf: 0 } });
    acc.oneLeaf = await setup.account("ONELEAF", { limits: { ...UNLIMITED, leaf: 1 } });
    acc.twoConns = await setup.account("TWOCONNS", { limits: { ...UNLIMITED, conn: 2, leaf: 1 } });
    acc.leafSubs = await setup.account("LEAFSUBS", { limits: { ...UNLIMITED, subs: 2 } });
    const exporter = await setup.account("EXP", { exports: [{ name: "e", subject: "e", type: "stream" }] });
    const imp = (n: string) => ({ name: n, subject: n, account: exporter.pub, type: "stream" as const });
    acc.imports = await setup.account("IMPORTS", { limits: { ...UNLIMITED, imports: 1 }, imports: [imp("e"), imp("e2")] });
    acc.exports = await setup.account("EXPORTS", {
      limits: { ...UNLIMITED, exports: 1 },
      exports: [{ name: "a", subject: "a", type: "stream" }, { name: "b", subject: "b", type: "stream" }],
    });
    acc.wildcards = await setup.account("WILD", { limits: { ...UNLIMITED, exports: 5, wildcards: false }, exports: [{ name: "w", subject: "w.>", type: "stream" }] });
    leafPort = await freePort();
    const file = join(dir, "server.conf");
    writeFileSync(file, `${setup.conf("memory")}\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
    srv = await runServerFromArgs(["-c", file]);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await srv.close();
  });

  const raw = async (a: JwtAccount, claims: Partial<User> = {}, port = srv.port, extra = {}) => {
    const kp = createUser();
    const c = await rawJwtConnect(port, await encodeUser("u", kp, a.kp, claims), kp, extra);
    open.push(c);
    return c;
  };

  test("subs caps each connection of the account; a user's lower cap wins", async () => {
    const c = await raw(acc.subs!);
    expect(await exchange(c, "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n")).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    // Another connection of the account has its own two.
    const d = await raw(acc.subs!);
    expect(await exchange(d, "SUB a 1\r\nSUB b 2\r\n")).toBe("PONG\r\n");
    const e = await raw(acc.subs!, { subs: 1 });
    expect(await exchange(e, "SUB a 1\r\nSUB b 2\r\n")).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
  });

  test("payload caps a message of the account's connections: a larger one closes the connection", async () => {
    const c = await raw(acc.payload!);
    expect(await exchange(c, "SUB a 1\r\nPUB a 4\r\n1234\r\n")).toBe("MSG a 1 4\r\n1234\r\nPONG\r\n");
    c.send("PUB a 5\r\n12345\r\n");
    await c.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await c.waitClosed();
  });

  test("subs left out (0): the connection gets -ERR 'maximum subscriptions exceeded' once its CONNECT is accepted, and is closed", async () => {
    const kp = createUser();
    const c = await rawJwtOpen(srv.port);
    open.push(c);
    const line = jwtConnectLine(c, await encodeUser("u", kp, acc.noSubs!.kp), kp);
    c.clear();
    c.send(`${line}PING\r\n`);
    await c.waitFor("-ERR 'maximum subscriptions exceeded'\r\n");
    await c.waitClosed();
    // CONNECT itself was accepted: its PING was answered (nats-server's -ERR comes from a goroutine, so the
    // order of the two is not fixed there).
    expect(c.received).toContain("PONG\r\n");
  });

  test("payload left out (0): an empty message passes, any other is a violation", async () => {
    const c = await raw(acc.noPayload!);
    expect(await exchange(c, "SUB a 1\r\nPUB a 0\r\n\r\n")).toBe("MSG a 1 0\r\n\r\nPONG\r\n");
    c.send("PUB a 1\r\nx\r\n");
    await c.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await c.waitClosed();
  });

  test("leaf caps the account's leaf node links with 'maximum account active connections exceeded'", async () => {
    const leaf = { name: "edge", headers: true };
    await expect(raw(acc.noLeaf!, {}, leafPort, leaf)).rejects.toThrow(/maximum account active connections exceeded/);
    await raw(acc.oneLeaf!, {}, leafPort, leaf);
    await expect(raw(acc.oneLeaf!, {}, leafPort, { ...leaf, name: "edge2" })).rejects.toThrow(/maximum account active connections exceeded/);
    // The leaf limit is not the client limit: the account's clients still connect.
    const nc = await client(srv, { authenticator: credsAuthenticator((await setup.user(acc.oneLeaf!)).creds) });
    await nc.close();
  });

  test("conn counts the account's leaf links with its clients: with one link up, conn 2 admits one client", async () => {
    await raw(acc.twoConns!, {}, leafPort, { name: "edge-conns", headers: true });
    await raw(acc.twoConns!);
    await expect(raw(acc.twoConns!)).rejects.toThrow(/maximum account active connections exceeded/);
  });

  test("subs caps a leaf link's LS+: the one past the cap gets -ERR and is dropped, the link stays", async () => {
    const leaf = await raw(acc.leafSubs!, {}, leafPort, { name: "edge-subs", headers: true });
    const got = await exchange(leaf, "LS+ a\r\nLS+ b\r\nLS+ c\r\nPING\r\n");
    expect(got.match(/-ERR 'maximum subscriptions exceeded'\r\n/g)?.length).toBe(1);
    // A subject the link holds is delivered to it, the dropped one is not: `b` after `c` fences it.
    const nc = await client(srv, { authenticator: credsAuthenticator((await setup.user(acc.leafSubs!)).creds) });
    try {
      nc.publish("c", "dropped");
      nc.publish("b", "kept");
      await nc.flush();
      const msgs = await leaf.waitUntil((r) => r.includes("LMSG b "), "LMSG b");
      expect(msgs).not.toContain("LMSG c ");
      expect(await exchange(leaf, "PING\r\n")).toContain("PONG\r\n");
    } finally {
      await nc.close();
    }
  });

  test("an account JWT over its imports or exports limit, or with wildcard exports it may not have, is not valid", async () => {
    for (const a of [acc.imports!, acc.exports!, acc.wildcards!]) {
      await expect(client(srv, { authenticator: credsAuthenticator((await setup.user(a)).creds) })).rejects.toThrow(/authorization violation/i);
    }
  });
});
