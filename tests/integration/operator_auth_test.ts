// Operator mode's config errors and the user JWT features beyond the basics, as nats-server 2.9.10 has them
// (run against it with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): a user signed by an account signing
// key (issuer_account), a bearer token without a nonce signature, JWT permissions, the account's default
// permissions, and a connection that ends when its user JWT expires. Modelled on nats-server's
// server/jwt_test.go (TestJWTAccountSigningKey-style cases, TestJWTUserExpired..., TestJWTBearerToken,
// TestJWTUserPermissionClaims) and server/opts_test.go's operator cases.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createUser, encodeUser, fmtCreds } from "@nats-io/jwt";
import { credsAuthenticator, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs, startupError } from "../_helpers/conf_server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { infoOf, rawOpen } from "../_helpers/raw.ts";
import { type JwtAccount, OperatorSetup, UNLIMITED, credsConnections } from "../_helpers/operator.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-opauth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
function confFile(text: string): string {
  const file = join(dir, `c${seq++}.conf`);
  writeFileSync(file, text);
  return file;
}

/** The connection's first asynchronous error, or "none" when 3 seconds pass without one. */
async function firstError(nc: NatsConnection): Promise<string> {
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("none"), 3000));
  const error = (async () => {
    for await (const s of nc.status()) if (s.type === "error") return String((s as { error?: Error }).error?.message);
    return "closed";
  })();
  return Promise.race([error, timeout]);
}

const as = (srv: TestServer, creds: Uint8Array, opts = {}) => client(srv, { authenticator: credsAuthenticator(creds), ...opts });

describe("operator config errors", () => {
  let setup: OperatorSetup;
  beforeAll(async () => {
    setup = await OperatorSetup.create();
  });

  const cases: [string, () => string, RegExp][] = [
    // nats-server makes a URL resolver of the operator's account_server_url (here none, so it cannot fetch);
    // natsedge has no URL resolver and says that one is required.
    ["an operator without a resolver", () => `operator: ${setup.operatorJwt}`, REFERENCE_SERVER === "" ? /operators require an account resolver to be configured/ : /could not fetch/],
    ["an operator with accounts {}", () => `${setup.conf("memory")}\naccounts { A {} }`, /operators do not allow Accounts to be configured directly/],
    ["an operator with users", () => `${setup.conf("memory")}\nauthorization { users: [{user: a, password: b}] }`, /operators do not allow users to be configured directly/],
    ["a full resolver without a dir", () => `operator: ${setup.operatorJwt}\nresolver: { type: full }`, /:2:\d+: dir has no value and needs to point to a directory/],
    ["a preload that is not an account JWT", () => `operator: ${setup.operatorJwt}\nresolver: MEMORY\nresolver_preload: { ${setup.sys.pub}: "nope" }`, /:3:\d+: invalid account JWT/],
    ["a resolver that is neither MEMORY nor a map", () => `operator: ${setup.operatorJwt}\nresolver: BOGUS`, /:2:\d+: error parsing account resolver, should be MEM or/],
    ["an operator file that does not exist", () => `operator: ${join(dir, "missing.jwt")}\nresolver: MEMORY`, /:1:\d+: error parsing operator JWT: open .*missing\.jwt: no such file or directory/],
    ["a trusted key that is not an operator key", () => `trusted: [ ${setup.sys.pub} ]`, /:1:\d+: trust key ".*" required to be a valid public operator nkey/],
  ];
  for (const [name, text, want] of cases) {
    test(`${name} stops the server with nats-server's words`, async () => {
      expect(await startupError(["-c", confFile(text())])).toMatch(want);
    });
  }

  test("an operator file (nsc-decorated) and a full resolver dir are accepted", async () => {
    const jwtFile = join(dir, "op.jwt");
    writeFileSync(jwtFile, `-----BEGIN NATS OPERATOR JWT-----\n${setup.operatorJwt}\n------END NATS OPERATOR JWT------\n`);
    const text = setup.conf({ dir: join(dir, "jwt-file") }).replace(`operator: ${setup.operatorJwt}`, `operator: ${JSON.stringify(jwtFile)}`);
    expect(await startupError(["-c", confFile(text)])).toBeNull();
  });
});

describe("user JWT features", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let acc: JwtAccount;
  const signer = createAccount();
  const { open, closeAll } = credsConnections(() => srv);
  beforeAll(async () => {
    setup = await OperatorSetup.create();
    acc = await setup.account("A", { signing_keys: [signer.getPublicKey()], default_permissions: { pub: { deny: ["forbidden.>"] } } });
    srv = await runServerFromArgs(["-c", confFile(setup.conf("memory"))]);
  });
  afterAll(async () => {
    await closeAll();
    await srv.close();
  });

  test("a user signed by one of the account's signing keys (issuer_account) connects; an unknown signer does not", async () => {
    const kp = createUser();
    const jwt = await encodeUser("s", kp, acc.kp, {}, { signer });
    const nc = await open(fmtCreds(jwt, kp));
    await nc.flush();
    const rogue = createUser();
    const bad = await encodeUser("r", rogue, acc.kp, {}, { signer: createAccount() });
    await expect(as(srv, fmtCreds(bad, rogue))).rejects.toThrow(/authorization violation/i);
  });

  test("a bearer token connects without a nonce signature", async () => {
    const kp = createUser();
    const jwt = await encodeUser("b", kp, acc.kp, { bearer_token: true });
    const nc = await client(srv, { authenticator: jwtAuthenticator(jwt) });
    await nc.flush();
    await nc.close();
    const signed = createUser();
    const needsSig = await encodeUser("n", signed, acc.kp);
    await expect(client(srv, { authenticator: jwtAuthenticator(needsSig) })).rejects.toThrow(/authorization violation/i);
  });

  test("the JWT's permissions apply; without any, the account's default permissions do", async () => {
    const limited = await open((await setup.user(acc, { pub: { allow: ["ok.>"] }, sub: { allow: ["ok.>", "_INBOX.>"] } })).creds);
    const errors: string[] = [];
    (async () => {
      for await (const s of limited.status()) if (s.type === "error") errors.push(String((s as { error?: Error }).error?.message));
    })();
    const sub = limited.subscribe("ok.x", { max: 1 });
    limited.publish("nope.x");
    limited.publish("ok.x", "fine");
    for await (const m of sub) expect(m.string()).toBe("fine");
    expect(errors.join()).toMatch(/permissions violation for publish to "nope\.x"/i);

    const plain = await open((await setup.user(acc)).creds);
    const denied = firstError(plain);
    plain.publish("forbidden.x");
    expect(await denied).toMatch(/permissions violation for publish to "forbidden\.x"/i);
  });

  test("INFO carries a nonce; CONNECT without a JWT, with garbage or with a JWT of the wrong type is refused, and the server lives on", async () => {
    const noNats = await setup.user(acc);
    const [h, , sig] = noNats.jwt.split(".");
    const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    for (const connect of [{}, { jwt: "garbage", sig: "x" }, { jwt: acc.jwt, sig: "x" }, { jwt: `${h}.${b64({ sub: noNats.pub, iss: acc.pub, type: "user" })}.${sig}` }]) {
      const c = await rawOpen(srv);
      expect(typeof infoOf(c).nonce).toBe("string");
      c.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...connect })}\r\nPING\r\n`);
      await c.waitFor("-ERR 'Authorization Violation'");
      await c.waitClosed();
    }
    const nc = await open(noNats.creds);
    await nc.flush();
  });

  test("a connection ends with 'User Authentication Expired' when its user JWT expires", async () => {
    const u = await setup.user(acc, {}, Math.floor(Date.now() / 1000) + 2);
    const nc = await as(srv, u.creds);
    const errors: string[] = [];
    (async () => {
      for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: Error }).error?.message));
    })();
    await nc.closed();
    expect(errors.join()).toMatch(/user authentication expired/i);
  }, 10_000);
});

describe("account connection limits", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let one: JwtAccount;
  let none: JwtAccount;
  beforeAll(async () => {
    setup = await OperatorSetup.create();
    one = await setup.account("ONE", { limits: { ...UNLIMITED, conn: 1 } });
    // No limits at all: nats-server reads the missing conn limit as 0.
    none = await setup.account("NONE", { limits: {} });
    srv = await runServerFromArgs(["-c", confFile(setup.conf("memory"))]);
  });
  afterAll(() => srv.close());

  // nats-server closes right after its -ERR, so the client may see the broken pipe first.
  const refusedForLimit = /maximum account active connections exceeded|EPIPE|ECONNRESET/i;

  test("limits.conn caps the account's connections; a JWT without limits allows none", async () => {
    const first = await as(srv, (await setup.user(one)).creds);
    await first.flush();
    await expect(as(srv, (await setup.user(one)).creds)).rejects.toThrow(refusedForLimit);
    await expect(as(srv, (await setup.user(none)).creds)).rejects.toThrow(refusedForLimit);
    await first.close();
  });
});
