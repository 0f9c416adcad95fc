// Authentication beyond the single user and token of protocol_errors_test.ts, as nats-server 2.9.10 does it
// (checked with NATSEDGE_REFERENCE_SERVER): users lists, bcrypt passwords and tokens ($2a$, $2b$, $2y$),
// --user/--pass/--auth, no_auth_user, the authorization timeout, the log lines of failures and the rule that no
// secret reaches logs, traces or INFO. Ported from nats-server test/auth_test.go (TestBadBcryptPassword,
// TestGoodBcryptPassword, TestBadBcryptToken, TestGoodBcryptToken), test/client_auth_test.go
// (TestMultipleUserAuth, TestTokenInConfig), server/auth_test.go (TestNoAuthUser, TestNoAuthUserNoConnectProto),
// server/client_test.go (TestAuthorizationTimeout), against security.md §3.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errors, type NatsConnection } from "@nats-io/transport-node";
import bcrypt from "bcryptjs";
import { client, type RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { exchange, infoOf, rawConnect, rawOpen } from "../_helpers/raw.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { errorsOf, expectRoundTrip, natsedgeOnly, refused, tryPublish, waitForLog } from "../_helpers/security.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";

const own = useCleanup();

/** A raw connection that has read INFO and sent nothing. */
async function silent(srv: TestServer): Promise<RawConn> {
  const c = own(await rawOpen(srv));
  c.clear();
  return c;
}

/** Sends a CONNECT (plus PING) and returns what came back: "PONG\r\n" when accepted. */
async function connectWith(srv: TestServer, creds: Record<string, unknown>): Promise<string> {
  const c = await silent(srv);
  c.send(`CONNECT ${JSON.stringify({ verbose: false, ...creds })}\r\nPING\r\n`);
  await c.waitUntil((s) => s.includes("PONG\r\n") || s.includes("-ERR"), "PONG or -ERR", 4000);
  if (c.received.includes("-ERR")) {
    await c.waitClosed(4000);
  }
  return c.received;
}

const VIOLATION = "-ERR 'Authorization Violation'\r\n";

// Cost 4 keeps the suite fast; the server must honour the cost written in the hash.
const PASSWORD = "s3cret-Pa55";
const HASH_2B = bcrypt.hashSync(PASSWORD, 4);
const withPrefix = (p: string) => HASH_2B.replace(/^\$2[aby]\$/, p);

describe("a users list", () => {
  let srv: TestServer;
  let bystander: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({
      authorization: {
        users: [
          { user: "alice", password: "alice-pw" },
          { user: "bob", password: "bob-pw" },
        ],
      },
    });
    bystander = await client(srv, { user: "alice", pass: "alice-pw" });
  });
  afterAll(async () => {
    await bystander.close();
    await srv.close();
  });

  test("INFO says auth_required and carries no nonce without nkey users", async () => {
    const c = own(await rawOpen(srv));
    expect(infoOf(c).auth_required).toBe(true);
    expect(infoOf(c).nonce).toBeUndefined();
  });

  test("each user connects with its own password", async () => {
    expect(await connectWith(srv, { user: "alice", pass: "alice-pw" })).toBe("PONG\r\n");
    expect(await connectWith(srv, { user: "bob", pass: "bob-pw" })).toBe("PONG\r\n");
    await expectRoundTrip(own(await client(srv, { user: "bob", pass: "bob-pw" })));
  });

  test.each([
    ["another user's password", { user: "alice", pass: "bob-pw" }],
    ["an unknown user", { user: "carol", pass: "alice-pw" }],
    ["no password", { user: "alice" }],
    ["no credentials", {}],
    ["a token instead", { auth_token: "alice-pw" }],
  ])("%s gets -ERR 'Authorization Violation' and is closed", async (_name, creds) => {
    expect(await connectWith(srv, creds)).toBe(VIOLATION);
    await expectRoundTrip(bystander);
  });

  test("the real client with a wrong password is refused with an AuthorizationError", async () => {
    expect(await refused(client(srv, { user: "bob", pass: "alice-pw" }))).toBeInstanceOf(errors.AuthorizationError);
  });
});

describe("bcrypt passwords and tokens", () => {
  test("a bcrypt single-user password accepts the password, and refuses a wrong one and the hash itself", async () => {
    const srv = own(await runServer({ authorization: { user: "derek", password: withPrefix("$2a$") } }));
    expect(await connectWith(srv, { user: "derek", pass: PASSWORD })).toBe("PONG\r\n");
    expect(await connectWith(srv, { user: "derek", pass: "wrong" })).toBe(VIOLATION);
    expect(await connectWith(srv, { user: "derek", pass: withPrefix("$2a$") })).toBe(VIOLATION);
    await expectRoundTrip(own(await client(srv, { user: "derek", pass: PASSWORD })));
    expect(await refused(client(srv, { user: "derek", pass: "wrong" }))).toBeInstanceOf(errors.AuthorizationError);
  });

  test.each(["$2a$", "$2b$", "$2y$"])("a users-list password hashed with the %s prefix verifies, and a wrong one does not", async (prefix) => {
    const srv = own(await runServer({ authorization: { users: [{ user: "u", password: withPrefix(prefix) }, { user: "plain", password: "p" }] } }));
    expect(await connectWith(srv, { user: "u", pass: PASSWORD })).toBe("PONG\r\n");
    expect(await connectWith(srv, { user: "u", pass: PASSWORD + "x" })).toBe(VIOLATION);
  });

  test("a bcrypt token accepts the token, and refuses a wrong one and the hash itself", async () => {
    const srv = own(await runServer({ authorization: { token: withPrefix("$2a$") } }));
    expect(await connectWith(srv, { auth_token: PASSWORD })).toBe("PONG\r\n");
    expect(await connectWith(srv, { auth_token: "nope" })).toBe(VIOLATION);
    expect(await connectWith(srv, { auth_token: withPrefix("$2a$") })).toBe(VIOLATION);
    await expectRoundTrip(own(await client(srv, { token: PASSWORD })));
    expect(await refused(client(srv, { token: "nope" }))).toBeInstanceOf(errors.AuthorizationError);
  });

  test("a plaintext token with the real client: right token connects, wrong one is refused", async () => {
    const srv = own(await runServer({ authorization: { token: "plain-t0ken" } }));
    await expectRoundTrip(own(await client(srv, { token: "plain-t0ken" })));
    expect(await refused(client(srv, { token: "plain-t0ken-x" }))).toBeInstanceOf(errors.AuthorizationError);
  });

  test("startup warns about plaintext passwords, and not when every password is a bcrypt hash", async () => {
    const plain = own(await runServer({ authorization: { users: [{ user: "a", password: "plain" }] } }));
    await waitForLog(plain, /\[WRN\] Plaintext passwords detected, use nkeys or bcrypt$/);
    const hashed = own(await runServer({ authorization: { users: [{ user: "a", password: withPrefix("$2a$") }] } }));
    await expectRoundTrip(own(await client(hashed, { user: "a", pass: PASSWORD })));
    expect(hashed.logs.some((l) => l.includes("Plaintext passwords detected"))).toBe(false);
  });
});

describe("command-line credentials", () => {
  test("--user and --pass require that user and password", async () => {
    const srv = own(await runServerFromArgs(["-a", "127.0.0.1", "--user", "cli", "--pass", "cli-pw"]));
    await expectRoundTrip(own(await client(srv, { user: "cli", pass: "cli-pw" })));
    expect(await refused(client(srv, { user: "cli", pass: "other" }))).toBeInstanceOf(errors.AuthorizationError);
    expect(await refused(client(srv))).toBeInstanceOf(errors.AuthorizationError);
  });

  test("--auth requires that token", async () => {
    const srv = own(await runServerFromArgs(["-a", "127.0.0.1", "--auth", "cli-token"]));
    await expectRoundTrip(own(await client(srv, { token: "cli-token" })));
    expect(await refused(client(srv, { token: "other" }))).toBeInstanceOf(errors.AuthorizationError);
  });
});

describe("no_auth_user", () => {
  let srv: TestServer;
  let admin: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({
      authorization: {
        users: [
          { user: "guest", password: "guest-pw", permissions: { publish: { allow: ["public.>"] } } },
          { user: "admin", password: "admin-pw" },
        ],
        timeout: 300,
      },
      no_auth_user: "guest",
    });
    admin = await client(srv, { user: "admin", pass: "admin-pw" });
  });
  afterAll(async () => {
    await admin.close();
    await srv.close();
  });

  test("INFO does not say auth_required", async () => {
    const c = own(await rawOpen(srv));
    expect(infoOf(c).auth_required).toBeUndefined();
  });

  test("a client without credentials is the no_auth_user, with its permissions", async () => {
    const nc = own(await client(srv));
    const errs = errorsOf(nc);
    expect(await tryPublish(nc, errs, admin, "public.news")).toEqual({ delivered: true, violation: false });
    expect(await tryPublish(nc, errs, admin, "private.news")).toEqual({ delivered: false, violation: true });
  });

  test("a client with another user's credentials is that user", async () => {
    const nc = own(await client(srv, { user: "admin", pass: "admin-pw" }));
    const errs = errorsOf(nc);
    expect(await tryPublish(nc, errs, admin, "private.news")).toEqual({ delivered: true, violation: false });
  });

  test("wrong credentials are refused, not downgraded to the no_auth_user", async () => {
    expect(await connectWith(srv, { user: "admin", pass: "wrong" })).toBe(VIOLATION);
    expect(await connectWith(srv, { user: "guest", pass: "wrong" })).toBe(VIOLATION);
    expect(await refused(client(srv, { user: "admin", pass: "wrong" }))).toBeInstanceOf(errors.AuthorizationError);
  });

  test("a client may skip CONNECT: SUB and PUB work with the default verbose mode (+OK)", async () => {
    const c = await silent(srv);
    const got = await exchange(c, "SUB public.direct 1\r\nPUB public.direct 2\r\nhi\r\n");
    // Without CONNECT the connection keeps nats-server's default options, verbose included.
    expect(got).toBe("+OK\r\n+OK\r\nMSG public.direct 1 2\r\nhi\r\nPONG\r\n");
  });

  test("a client that sends nothing is still timed out with -ERR 'Authentication Timeout'", async () => {
    const c = await silent(srv);
    await c.waitClosed(2000);
    expect(c.received).toBe("-ERR 'Authentication Timeout'\r\n");
  });
});

describe("the authorization timeout", () => {
  test("a users-list server closes a silent client with -ERR 'Authentication Timeout' after `timeout`; clients that authenticated are unaffected", async () => {
    const srv = own(await runServer({ authorization: { users: [{ user: "a", password: "a" }], timeout: 300 } }));
    const early = own(await client(srv, { user: "a", pass: "a" }));
    const started = Date.now();
    const c = await silent(srv);
    await c.waitClosed(2000);
    expect(c.received).toBe("-ERR 'Authentication Timeout'\r\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await expectRoundTrip(early);
  });

  test("a client that sends CONNECT but no PING in time is authenticated, not timed out", async () => {
    const srv = own(await runServer({ authorization: { users: [{ user: "a", password: "a" }], timeout: 200 } }));
    const c = await silent(srv);
    c.send('CONNECT {"verbose":false,"user":"a","pass":"a"}\r\n');
    // A second client's timeout is the clock: once it has fired, the first one's has too.
    const late = await silent(srv);
    await late.waitClosed(2000);
    expect(late.received).toBe("-ERR 'Authentication Timeout'\r\n");
    expect(await exchange(c, "")).toBe("PONG\r\n");
  });

  test("debug logs the timeout and the close reason", async () => {
    const srv = own(await runServer({ debug: true, authorization: { user: "a", password: "a", timeout: 200 } }));
    const c = await silent(srv);
    await c.waitClosed(2000);
    await waitForLog(srv, /\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - Authentication Timeout$/);
    await waitForLog(srv, /\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - Client connection closed: Authentication Timeout$/);
  });
});

describe("failures in the log, and secrets nowhere", () => {
  test("a wrong password logs `authentication error - User \"<user>\"` and the close reason, never the password", async () => {
    const srv = own(await runServer({ debug: true, trace: true, authorization: { users: [{ user: "alice", password: "pw-Secret-1" }] } }));
    expect(await connectWith(srv, { user: "alice", pass: "pw-Wrong-2" })).toBe(VIOLATION);
    await waitForLog(srv, /\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - authentication error - User "alice"$/);
    await waitForLog(srv, /- Client connection closed: Authentication Failure$/);
    expect(await connectWith(srv, { user: "alice", pass: "pw-Secret-1" })).toBe("PONG\r\n");
    const log = srv.logs.join("\n");
    expect(log).not.toContain("pw-Secret-1");
    expect(log).not.toContain("pw-Wrong-2");
  });

  test("with -DV, passwords and bcrypt hashes appear neither in the log nor in INFO", async () => {
    const hash = withPrefix("$2a$");
    const srv = own(await runServer({ debug: true, trace: true, authorization: { users: [{ user: "alice", password: hash }, { user: "bob", password: "bob-Secret-3" }] } }));
    const info = own(await rawOpen(srv)).received;
    expect(await connectWith(srv, { user: "alice", pass: PASSWORD })).toBe("PONG\r\n");
    expect(await connectWith(srv, { user: "alice", pass: "alice-Wrong-4" })).toBe(VIOLATION);
    expect(await connectWith(srv, { user: "bob", pass: "bob-Secret-3" })).toBe("PONG\r\n");
    const nc = own(await client(srv, { user: "bob", pass: "bob-Secret-3" }));
    await nc.flush();
    await waitForLog(srv, /authentication error - User "alice"$/);
    const log = srv.logs.join("\n");
    for (const secret of [PASSWORD, hash, "alice-Wrong-4", "bob-Secret-3"]) {
      expect(log).not.toContain(secret);
      expect(info).not.toContain(secret);
    }
    expect(log).toContain('"pass":"[REDACTED]"');
  });

  // nats-server 2.9.10 traces `auth_token` in the clear (`<<- [CONNECT {"auth_token":"..."}]`); natsedge
  // redacts it like the password.
  natsedgeOnly("with -DV, tokens (right, wrong, or sent to a users-list server) appear neither in the log nor in INFO", async () => {
    const tok = own(await runServer({ debug: true, trace: true, authorization: { token: "tok-Secret-6" } }));
    const info = own(await rawOpen(tok)).received;
    expect(await connectWith(tok, { auth_token: "tok-Secret-6" })).toBe("PONG\r\n");
    expect(await connectWith(tok, { auth_token: "tok-Wrong-7" })).toBe(VIOLATION);
    const users = own(await runServer({ debug: true, trace: true, authorization: { users: [{ user: "bob", password: "b" }] } }));
    expect(await connectWith(users, { user: "bob", pass: "b", auth_token: "tok-Secret-5" })).toBe("PONG\r\n");
    for (const secret of ["tok-Secret-5", "tok-Secret-6", "tok-Wrong-7"]) {
      expect(tok.logs.join("\n")).not.toContain(secret);
      expect(users.logs.join("\n")).not.toContain(secret);
      expect(info).not.toContain(secret);
    }
    expect(tok.logs.join("\n")).toContain('"auth_token":"[REDACTED]"');
  });
});
