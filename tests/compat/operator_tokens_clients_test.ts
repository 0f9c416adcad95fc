/**
 * Operator mode's activation tokens and scoped signing keys with the Go and C clients: the account programs
 * of operator_clients_test.ts (natsgo_accounts/main.go, libnats/accounts.c with `-creds`/`--creds`) run their
 * checks (isolation, a stream import with a prefix, a service import, A's mapping, a stranger refused) where
 * A's exports require activation tokens that B's imports carry, and A's user is signed by a scoped signing key
 * whose template allows what the checks do. Both run against natsedge and nats-server 2.9.10 with the same
 * config.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Account, createAccount, createUser, encodeActivation, encodeUser, fmtCreds, newScopedSigner } from "@nats-io/jwt";
import { BUILD_TIMEOUT_MS, buildCProgram, buildGoProgram, checkFailures, RUN_TIMEOUT_MS, scratchDir } from "../_helpers/compat_programs.ts";
import { TARGETS, withConfServer } from "../_helpers/compat_targets.ts";
import { OperatorSetup } from "../_helpers/operator.ts";

const dir = scratchDir("natsedge-operator-tokens-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let conf = "";
const creds: string[] = [];

beforeAll(async () => {
  const setup = await OperatorSetup.create();
  const aKey = createAccount();
  const bKey = createAccount();
  const scope = createAccount();
  const a = await setup.account("A", {
    signing_keys: [newScopedSigner(scope, "clients", { pub: { allow: [">"] }, sub: { allow: [">"] } })],
    exports: [
      { name: "events", subject: "a.events.>", type: "stream", token_req: true },
      { name: "svc", subject: "a.svc", type: "service", token_req: true },
    ],
    mappings: { "map.*": [{ subject: "mapped.$1", weight: 100 }] },
  } as Partial<Account>, true, aKey);
  const b = await setup.account("B", {
    imports: [
      { name: "events", subject: "a.events.>", account: a.pub, type: "stream", to: "fromA", token: await encodeActivation("events", bKey, aKey, "stream", { subject: "a.events.>" }) },
      { name: "svc", subject: "a.svc", account: a.pub, type: "service", local_subject: "svc", token: await encodeActivation("svc", bKey, aKey, "service", { subject: "a.svc" }) },
    ],
  }, true, bKey);
  const stranger = await setup.account("X", {}, false);
  const scopedUser = createUser();
  const aCreds = fmtCreds(await encodeUser("a", scopedUser, aKey, {}, { signer: scope, scopedUser: true }), scopedUser);
  const files: [string, Uint8Array][] = [["a", aCreds], ["b", (await setup.user(b)).creds], ["stranger", (await setup.user(stranger)).creds]];
  for (const [name, text] of files) {
    const path = join(dir, `${name}.creds`);
    writeFileSync(path, text, { mode: 0o600 });
    creds.push(path);
  }
  conf = setup.conf("memory");
});

let goBin: Promise<string> | undefined;
let cBin: Promise<string> | undefined;

for (const target of TARGETS) {
  test(`nats.go passes the account checks through activation tokens and a scoped signing key against ${target}`, async () => {
    const bin = await (goBin ??= buildGoProgram("natsgo_accounts", dir));
    await withConfServer(target, conf, dir, async (url) => {
      expect(await checkFailures([bin, "-creds", url, ...creds], 7)).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);

  // Bun only against natsedge, for the Deno transport defect operator_clients_test.ts records.
  const denoNatsedge = target === "natsedge" && "Deno" in globalThis;
  test.skipIf(denoNatsedge)(`libnats passes the account checks through activation tokens and a scoped signing key against ${target}`, async () => {
    const bin = await (cBin ??= buildCProgram("accounts.c", dir));
    await withConfServer(target, conf, dir, async (url) => {
      expect(await checkFailures([bin, "--creds", url, ...creds], 5)).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);
}
