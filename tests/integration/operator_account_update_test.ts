// An account JWT pushed at run time applied to the account's open connections, as nats-server 2.9.10 does
// (updateAccountClaimsWithRefresh; run against it with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): a
// lower `conn` keeps the newest connections and closes the others, lower `subs` and `payload` caps reach
// open connections (one at or over its new subscription cap is closed), users of a signing key the JWT drops
// or whose scope it changes are disconnected, and bearer users once the account disallows bearer tokens; an
// account JWT that expires ends the account's connections. Modelled on nats-server's server/jwt_test.go
// (TestJWTAccountLimitsSubsButServerOverrides-style, TestJWTUserSigningKeyRemoved-style,
// TestJWTBearerWithBadIssuerToken-style and TestJWTAccountConnzAccessAfterClaimUpdate-style cases).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createUser, encodeAccount, encodeUser, fmtCreds, type KeyPair, newScopedSigner } from "@nats-io/jwt";
import { credsAuthenticator, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { client, type RawConn, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { type JwtAccount, OperatorSetup, UNLIMITED, rawJwtConnect } from "../_helpers/operator.ts";
import { exchange } from "../_helpers/raw.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-accupdate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

describe("a pushed account JWT and the account's open connections", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let sys: NatsConnection;
  const raws: RawConn[] = [];
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    const file = join(dir, "server.conf");
    // Accounts made per test are pushed to the full resolver before use.
    writeFileSync(file, setup.conf({ dir: join(dir, "jwt") }));
    srv = await runServerFromArgs(["-c", file]);
    sys = await client(srv, { authenticator: credsAuthenticator((await setup.user(setup.sys)).creds) });
  });
  afterAll(async () => {
    for (const c of raws) c.close();
    for (const nc of [...conns, sys]) await nc.close().catch(() => {});
    await srv.close();
  });

  const push = async (jwt: string) => {
    const r = (await sys.request("$SYS.REQ.CLAIMS.UPDATE", jwt, { timeout: 2000 })).json<Json>();
    expect((r.data as Json | undefined)?.message).toBe("jwt updated");
  };
  const account = async (name: string, claims = {}) => {
    const a = await setup.account(name, claims, false);
    await push(a.jwt);
    return a;
  };
  const raw = async (a: JwtAccount) => {
    const kp = createUser();
    const c = await rawJwtConnect(srv.port, await encodeUser("u", kp, a.kp), kp);
    raws.push(c);
    return c;
  };
  const nats = async (creds: Uint8Array) => {
    const nc = await client(srv, { authenticator: credsAuthenticator(creds) });
    conns.push(nc);
    await nc.flush();
    return nc;
  };

  test("a lower conn keeps the newest connections and closes the older ones with 'maximum account active connections exceeded'", async () => {
    const a = await account("CONN");
    const older = await raw(a);
    const newer = await raw(a);
    await push(await setup.sign(a.kp, "CONN", { limits: { ...UNLIMITED, conn: 1 } }));
    await older.waitFor("-ERR 'maximum account active connections exceeded'\r\n");
    await older.waitClosed();
    expect(await exchange(newer, "PING\r\n")).toBe("PONG\r\nPONG\r\n");
  });

  test("lower subs reach open connections: one at its new cap is closed, one below it keeps going", async () => {
    const a = await account("SUBS");
    const busy = await raw(a);
    const idle = await raw(a);
    expect(await exchange(busy, "SUB a 1\r\nSUB b 2\r\n")).toBe("PONG\r\n");
    await push(await setup.sign(a.kp, "SUBS", { limits: { ...UNLIMITED, subs: 2 } }));
    await busy.waitFor("-ERR 'maximum subscriptions exceeded'\r\n");
    await busy.waitClosed();
    expect(await exchange(idle, "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n")).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
  });

  test("a lower payload reaches open connections", async () => {
    const a = await account("PAYLOAD");
    const c = await raw(a);
    expect(await exchange(c, "PUB a 5\r\n12345\r\n")).toBe("PONG\r\n");
    await push(await setup.sign(a.kp, "PAYLOAD", { limits: { ...UNLIMITED, payload: 4 } }));
    // Both servers answer the push after applying it, so this publish meets the new cap.
    c.send("PUB a 5\r\n12345\r\n");
    await c.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await c.waitClosed();
  });

  test("users of a signing key the JWT drops, or whose scope it changes, are disconnected; others stay", async () => {
    const plain = createAccount();
    const scope = createAccount();
    const keys = (template: object) => [plain.getPublicKey(), newScopedSigner(scope, "r", template)];
    const a = await account("SIGNERS", { signing_keys: keys({ pub: { allow: [">"] } }) });
    const user = async (signer: KeyPair | null, scoped = false) => {
      const kp = createUser();
      const jwt = await encodeUser("u", kp, a.kp, {}, { ...(signer ? { signer } : {}), ...(scoped ? { scopedUser: true } : {}) });
      return nats(fmtCreds(jwt, kp));
    };
    const byAccount = await user(null);
    const byPlain = await user(plain);
    const byScope = await user(scope, true);
    await push(await setup.sign(a.kp, "SIGNERS", { signing_keys: [newScopedSigner(scope, "r", { pub: { allow: ["only.>"] } })] }));
    await byPlain.closed();
    await byScope.closed();
    await byAccount.flush();
  });

  test("an account whose JWT expires ends its connections with 'Account Authentication Expired' and refuses new ones", async () => {
    const kp = createAccount();
    const jwt = await encodeAccount("EXPIRING", kp, { limits: UNLIMITED }, { signer: setup.op, exp: Math.floor(Date.now() / 1000) + 2 });
    await push(jwt);
    const a = { name: "EXPIRING", kp, pub: kp.getPublicKey(), jwt };
    const c = await raw(a);
    await c.waitFor("-ERR 'Account Authentication Expired'\r\n", 10_000);
    await c.waitClosed();
    await expect(raw(a)).rejects.toThrow(/Authorization Violation/);
  }, 15_000);

  test("bearer users are disconnected with 'Authorization Violation' once the account disallows bearer tokens", async () => {
    const a = await account("BEARER");
    const kp = createUser();
    const nc = await client(srv, { authenticator: jwtAuthenticator(await encodeUser("b", kp, a.kp, { bearer_token: true })) });
    conns.push(nc);
    await nc.flush();
    const errors: string[] = [];
    (async () => {
      for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: Error }).error?.message));
    })();
    const closed = nc.closed();
    await push(await setup.sign(a.kp, "BEARER", { limits: { ...UNLIMITED, disallow_bearer: true } }));
    await closed;
    expect(errors.join()).toMatch(/authorization violation/i);
  });
});
