// JetStream for operator-mode accounts, as nats-server 2.9.10 gives it (run the same file against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): an account whose JWT has memory or disk storage has
// JetStream within the JWT's limits, in a store folder named by its public key; one whose JWT has none is told
// "JetStream not enabled for account"; a JWT pushed at run time changes the limits, or takes JetStream away.
// Modelled on nats-server's server/jetstream_jwt_test.go (TestJetStreamJWTLimits, TestJetStreamJWTDisallowBearer's setup).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import type { TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { credsConnections, type JwtAccount, OperatorSetup, UNLIMITED } from "../_helpers/operator.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-jsop-"));
const store = join(dir, "store");
let srv: TestServer;
let setup: OperatorSetup;
let js: JwtAccount;
let plain: JwtAccount;
const { open, closeAll } = credsConnections(() => srv);

const jsLimits = (streams: number) => ({ limits: { ...UNLIMITED, mem_storage: -1, disk_storage: 1_000_000, streams, consumer: -1 } });

beforeAll(async () => {
  setup = await OperatorSetup.create();
  js = await setup.account("JS", jsLimits(1));
  plain = await setup.account("PLAIN");
  const file = join(dir, "op.conf");
  writeFileSync(file, `${setup.conf("memory")}\njetstream { store_dir: ${JSON.stringify(store)} }\n`);
  srv = await runServerFromArgs(["-c", file]);
});

afterAll(async () => {
  await closeAll();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

async function errCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof JetStreamApiError) return err.code;
    throw err;
  }
  return 0;
}

test("an account JWT with storage limits has JetStream within them; one without is told it has none", async () => {
  const jsm = await jetstreamManager(await open((await setup.user(js)).creds));
  const info = await jsm.getAccountInfo();
  expect(info.limits).toMatchObject({ max_memory: -1, max_storage: 1_000_000, max_streams: 1, max_consumers: -1 });
  await jsm.streams.add({ name: "ONE", subjects: ["one"] });
  expect(existsSync(join(store, "jetstream", js.pub, "streams", "ONE"))).toBe(true);
  expect(await errCode(jsm.streams.add({ name: "TWO", subjects: ["two"] }))).toBe(10027);
  await expect(jetstreamManager(await open((await setup.user(plain)).creds))).rejects.toThrow("JetStream not enabled for account");
});

test("a JWT pushed at run time replaces the account's limits, or takes its JetStream away", async () => {
  const sysUser = await open((await setup.user(setup.sys)).creds);
  const push = async (acc: JwtAccount, claims: object) => {
    const jwt = await setup.sign(acc.kp, acc.name, claims);
    const r = (await sysUser.request(`$SYS.REQ.ACCOUNT.${acc.pub}.CLAIMS.UPDATE`, jwt, { timeout: 2000 })).json<{ data: { message: string } }>();
    expect(r.data.message).toBe("jwt updated");
  };
  // The system account has no JetStream, and is told so.
  const sysInfo = (await sysUser.request("$JS.API.INFO", "", { timeout: 2000 })).json<{ error: { err_code: number } }>();
  expect(sysInfo.error.err_code).toBe(10039);
  await push(js, jsLimits(2));
  const jsm = await jetstreamManager(await open((await setup.user(js)).creds));
  expect((await jsm.getAccountInfo()).limits.max_streams).toBe(2);
  await jsm.streams.add({ name: "TWO", subjects: ["two"] });
  await push(plain, jsLimits(3));
  const plainJsm = await jetstreamManager(await open((await setup.user(plain)).creds));
  expect((await plainJsm.getAccountInfo()).limits.max_streams).toBe(3);
  await push(js, {});
  const nc = await open((await setup.user(js)).creds);
  const reply = (await nc.request("$JS.API.INFO", "", { timeout: 2000 })).json<{ error: { err_code: number } }>();
  expect(reply.error.err_code).toBe(10039);
});
