// NKey users, as nats-server 2.9.10 authenticates them (checked with NATSEDGE_REFERENCE_SERVER): INFO carries a
// fresh `nonce` when nkey users exist, the client signs the nonce's ASCII bytes with its seed and sends `nkey`
// and `sig` (base64url, or standard base64), and the server verifies the ed25519 signature. Ported from
// nats-server server/nkey_test.go (TestServerInfoNonce, TestNkeyClientConnect, TestMixedClientConnect) and
// server/opts_test.go (TestNkeyUsersConfig, TestBadNkeyConfig, TestNkeyWithPassConfig,
// TestNkeyUsersWithPermsConfig), against security.md §4.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errors, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { createAccount, createUser, type KeyPair } from "@nats-io/nkeys";
import { client, type RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { infoOf, rawOpen } from "../_helpers/raw.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { errorsOf, expectRoundTrip, refused, tryPublish, waitForLog } from "../_helpers/security.ts";
import { startupError } from "../_helpers/conf_server.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const own = useCleanup();
const VIOLATION = "-ERR 'Authorization Violation'\r\n";

const alice = createUser();
const restricted = createUser();
const stranger = createUser();

const encoder = new TextEncoder();
const sign = (kp: KeyPair, nonce: string, encoding: "base64url" | "base64" = "base64url") =>
  Buffer.from(kp.sign(encoder.encode(nonce))).toString(encoding);

/** A raw connection with its INFO read; the INFO stays in `received` until `clear`. */
async function opened(srv: TestServer): Promise<{ c: RawConn; nonce: string }> {
  const c = own(await rawOpen(srv));
  const nonce = infoOf(c).nonce as string;
  c.clear();
  return { c, nonce };
}

/** Sends CONNECT + PING and returns the answer: "PONG\r\n", or the -ERR once the server has closed. */
async function connectRaw(c: RawConn, fields: Record<string, unknown>): Promise<string> {
  c.send(`CONNECT ${JSON.stringify({ verbose: false, ...fields })}\r\nPING\r\n`);
  await c.waitUntil((s) => s.includes("PONG\r\n") || s.includes("-ERR"), "PONG or -ERR", 4000);
  if (c.received.includes("-ERR")) await c.waitClosed(4000);
  return c.received;
}

describe("nkey users", () => {
  let srv: TestServer;
  let watcher: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({
      debug: true,
      authorization: {
        users: [
          { nkey: alice.getPublicKey() },
          { nkey: restricted.getPublicKey(), permissions: { publish: { allow: ["nk.allowed.>"] } } },
          { user: "classic", password: "classic-pw" },
        ],
      },
    });
    watcher = await client(srv, { authenticator: nkeyAuthenticator(alice.getSeed()) });
  });
  afterAll(async () => {
    await watcher.close();
    await srv.close();
  });

  test("INFO carries auth_required and a 15-character base64url nonce, different on every connection", async () => {
    const a = await opened(srv);
    const b = await opened(srv);
    expect(a.nonce).toMatch(/^[A-Za-z0-9_-]{15}$/);
    expect(b.nonce).toMatch(/^[A-Za-z0-9_-]{15}$/);
    expect(a.nonce).not.toBe(b.nonce);
  });

  test("the real client with nkeyAuthenticator connects; with an unknown key it is refused", async () => {
    await expectRoundTrip(own(await client(srv, { authenticator: nkeyAuthenticator(alice.getSeed()) })));
    const err = await refused(client(srv, { authenticator: nkeyAuthenticator(stranger.getSeed()) }));
    expect(err).toBeInstanceOf(errors.AuthorizationError);
  });

  test("a base64url signature of the nonce is accepted, and so is standard base64", async () => {
    const a = await opened(srv);
    expect(await connectRaw(a.c, { nkey: alice.getPublicKey(), sig: sign(alice, a.nonce) })).toBe("PONG\r\n");
    const b = await opened(srv);
    expect(await connectRaw(b.c, { nkey: alice.getPublicKey(), sig: sign(alice, b.nonce, "base64") })).toBe("PONG\r\n");
  });

  test.each([
    ["a signature of another connection's nonce", (nonce: string, other: string) => ({ nkey: alice.getPublicKey(), sig: sign(alice, other) })],
    ["a signature by another key", (nonce: string) => ({ nkey: alice.getPublicKey(), sig: sign(stranger, nonce) })],
    ["no signature", () => ({ nkey: alice.getPublicKey() })],
    ["a garbage signature", () => ({ nkey: alice.getPublicKey(), sig: "not-a-signature" })],
    ["a valid signature by a key that is not a user", (nonce: string) => ({ nkey: stranger.getPublicKey(), sig: sign(stranger, nonce) })],
    ["no credentials", () => ({})],
  ])("%s gets -ERR 'Authorization Violation' and is closed", async (_name, fields) => {
    const other = (await opened(srv)).nonce;
    const a = await opened(srv);
    expect(await connectRaw(a.c, fields(a.nonce, other))).toBe(VIOLATION);
    await expectRoundTrip(watcher);
  });

  test("a failed signature logs `authentication error - Nkey \"<key>\"`", async () => {
    const a = await opened(srv);
    expect(await connectRaw(a.c, { nkey: restricted.getPublicKey(), sig: sign(stranger, a.nonce) })).toBe(VIOLATION);
    await waitForLog(srv, new RegExp(`\\[ERR\\] 127\\.0\\.0\\.1:\\d+ - cid:\\d+ - authentication error - Nkey "${restricted.getPublicKey()}"$`));
  });

  test("an nkey user's permissions apply", async () => {
    const nc = own(await client(srv, { authenticator: nkeyAuthenticator(restricted.getSeed()) }));
    const errs = errorsOf(nc);
    expect(await tryPublish(nc, errs, watcher, "nk.allowed.x")).toEqual({ delivered: true, violation: false });
    expect(await tryPublish(nc, errs, watcher, "nk.denied")).toEqual({ delivered: false, violation: true });
  });

  test("user/password users work alongside nkey users", async () => {
    const a = await opened(srv);
    expect(await connectRaw(a.c, { user: "classic", pass: "classic-pw" })).toBe("PONG\r\n");
    const b = await opened(srv);
    expect(await connectRaw(b.c, { user: "classic", pass: "wrong" })).toBe(VIOLATION);
    await expectRoundTrip(own(await client(srv, { user: "classic", pass: "classic-pw" })));
  });
});

describe("servers without nkey users", () => {
  test("INFO has no nonce with a user/password users list, nor without authorization", async () => {
    const users = own(await runServer({ authorization: { users: [{ user: "a", password: "b" }] } }));
    expect(infoOf(own(await rawOpen(users))).nonce).toBeUndefined();
    const open = own(await runServer());
    expect(infoOf(own(await rawOpen(open))).nonce).toBeUndefined();
  });
});

describe("nkey users in a config file", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "natsedge-nkey-conf-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const conf = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    return file;
  };

  test("an nkey user with a password is a config error", async () => {
    const file = conf("pass.conf", `authorization {\n  users = [\n    { nkey: "${alice.getPublicKey()}", password: "x" }\n  ]\n}\n`);
    expect(await startupError(["-c", file])).toContain("Nkey users do not take usernames or passwords");
  });

  test.each([
    ["not a key at all", "NOTAKEY"],
    ["an account key", createAccount().getPublicKey()],
  ])("an nkey that is %s is a config error", async (_name, key) => {
    const file = conf(`bad-${key.slice(0, 3)}.conf`, `authorization {\n  users = [\n    { nkey: "${key}" }\n  ]\n}\n`);
    expect(await startupError(["-c", file])).toContain("Not a valid public nkey for a user");
  });

  test("a valid nkey user with permissions starts", async () => {
    const file = conf(
      "good.conf",
      `authorization {\n  users = [\n    { nkey: "${alice.getPublicKey()}", permissions: { publish: "a.>" } }\n  ]\n}\n`,
    );
    expect(await startupError(["-c", file])).toBeNull();
  });
});
