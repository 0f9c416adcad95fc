// $SYS.REQ.CLAIMS.LIST and $SYS.REQ.CLAIMS.DELETE of the full resolver, as nats-server 2.9.10 serves them
// (run against it with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): the list of stored accounts, and
// deletion by a request the operator signed for itself, only with `allow_delete` (the JWT file renamed to
// `.jwt.deleted`); a deleted account's connections and leaf links end with
// 'Account Authentication Expired' and its users are refused from then on. Modelled on nats-server's
// server/jwt_test.go (TestJWTAccountDelete-style cases, TestJWTSysImportOverwrite's list use) and
// jetstream_jwt_test.go (TestJetStreamJWTDeletedAccountDoesNotLeakSubscriptions's generateRequest).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createOperator, createUser, encodeGeneric, encodeUser, type KeyPair } from "@nats-io/jwt";
import { credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { freePort } from "../_helpers/leaf.ts";
import { type JwtAccount, OperatorSetup, rawJwtConnect } from "../_helpers/operator.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-claimslist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;
let seq = 0;

/** The operator's delete request: a generic JWT it signs for itself, listing the accounts. */
const deleteRequest = (signer: KeyPair, accounts: string[]) => encodeGeneric("delete", signer, "generic", { accounts });

async function start(setup: OperatorSetup, resolverExtra: string): Promise<{ srv: TestServer; jwtDir: string; leafPort: number }> {
  const jwtDir = join(dir, `jwt${seq++}`);
  const file = join(dir, `s${seq++}.conf`);
  const leafPort = await freePort();
  const conf = setup.conf({ dir: jwtDir }).replace("resolver: { type: full,", `resolver: { type: full, ${resolverExtra}`);
  writeFileSync(file, `${conf}\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
  return { srv: await runServerFromArgs(["-c", file]), jwtDir, leafPort };
}

describe("CLAIMS.LIST and CLAIMS.DELETE with allow_delete", () => {
  let srv: TestServer;
  let jwtDir: string;
  let leafPort: number;
  let setup: OperatorSetup;
  let a: JwtAccount;
  let b: JwtAccount;
  let sys: NatsConnection;
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    a = await setup.account("A");
    b = await setup.account("B");
    ({ srv, jwtDir, leafPort } = await start(setup, "allow_delete: true,"));
    sys = await client(srv, { authenticator: credsAuthenticator((await setup.user(setup.sys)).creds) });
    conns.push(sys);
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await srv.close();
  });

  const as = async (acc: JwtAccount) => {
    const nc = await client(srv, { authenticator: credsAuthenticator((await setup.user(acc)).creds) });
    conns.push(nc);
    return nc;
  };
  const request = async (subject: string, body: string) => (await sys.request(subject, body, { timeout: 2000 })).json<Json>();

  test("CLAIMS.LIST answers with the stored accounts", async () => {
    const r = await request("$SYS.REQ.CLAIMS.LIST", "");
    expect([...(r.data as string[])].sort()).toEqual([setup.sys.pub, a.pub, b.pub].sort());
    expect(typeof (r.server as Json).id).toBe("string");
  });

  test("a delete request not signed by the operator, not self-signed, or naming the system account is refused", async () => {
    const rogue = createOperator();
    let r = await request("$SYS.REQ.CLAIMS.DELETE", await deleteRequest(rogue, [a.pub]));
    expect(r.error).toEqual({ code: 500, description: `delete accounts request by ${rogue.getPublicKey()} failed - not trusted` });
    const other = createAccount();
    r = await request("$SYS.REQ.CLAIMS.DELETE", await encodeGeneric("delete", other, "generic", { accounts: [a.pub] }, { signer: setup.op }));
    expect((r.error as Json).description).toBe(`delete accounts request by ${other.getPublicKey()} failed - not self signed`);
    r = await request("$SYS.REQ.CLAIMS.DELETE", await deleteRequest(setup.op, [setup.sys.pub]));
    expect((r.error as Json).description).toMatch(/failed - not allowed to delete system account$/);
    r = await request("$SYS.REQ.CLAIMS.DELETE", await deleteRequest(setup.op, ["nope"]));
    expect((r.error as Json).description).toMatch(/failed - malformed request$/);
    expect(existsSync(join(jwtDir, `${a.pub}.jwt`))).toBe(true);
  });

  test("the operator deletes an account: its connections and leaf links end, its users are refused, the list drops it", async () => {
    const nc = await as(a);
    const kp = createUser();
    const leaf = await rawJwtConnect(leafPort, await encodeUser("leaf", kp, a.kp), kp, { name: "edge", headers: true });
    const errors: string[] = [];
    (async () => {
      for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: Error }).error?.message));
    })();
    const closed = nc.closed();
    const r = await request("$SYS.REQ.CLAIMS.DELETE", await deleteRequest(setup.op, [a.pub]));
    expect(r.data).toEqual({ code: 200, message: "deleted 1 accounts" });
    await closed;
    expect(errors.join()).toMatch(/account authentication expired/i);
    await leaf.waitFor("-ERR 'Account Authentication Expired'\r\n");
    await leaf.waitClosed();
    await expect(as(a)).rejects.toThrow(/authorization violation/i);
    expect(existsSync(join(jwtDir, `${a.pub}.jwt`))).toBe(false);
    expect(existsSync(join(jwtDir, `${a.pub}.jwt.deleted`))).toBe(true);
    expect((await request("$SYS.REQ.CLAIMS.LIST", "")).data).not.toContain(a.pub);
    // The other account is untouched.
    await (await as(b)).flush();
  });

  test("deleting an account that is not stored counts as deleted, as in nats-server 2.9.10", async () => {
    const r = await request("$SYS.REQ.CLAIMS.DELETE", await deleteRequest(setup.op, [createAccount().getPublicKey()]));
    expect(r.data).toEqual({ code: 200, message: "deleted 1 accounts" });
  });
});

describe("CLAIMS.DELETE without allow_delete", () => {
  test("is refused with 'delete must be enabled in server config'", async () => {
    const setup = await OperatorSetup.create();
    const a = await setup.account("A");
    const { srv, jwtDir } = await start(setup, "");
    const sys = await client(srv, { authenticator: credsAuthenticator((await setup.user(setup.sys)).creds) });
    const r = (await sys.request("$SYS.REQ.CLAIMS.DELETE", await deleteRequest(setup.op, [a.pub]), { timeout: 2000 })).json<Json>();
    expect((r.error as Json).description).toBe(`delete accounts request by ${setup.op.getPublicKey()} failed - delete must be enabled in server config`);
    expect(existsSync(join(jwtDir, `${a.pub}.jwt`))).toBe(true);
    await sys.close();
    await srv.close();
  });
});
