// Activation tokens, as nats-server 2.9.10 has them (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): an export with token_req admits only imports carrying an
// activation JWT that the exporter (or one of its signing keys) issued to the importing account for that
// subject and type, not expired and not revoked by the export; an import loses the export when its token
// expires. Modelled on nats-server's server/jwt_test.go (TestJWTAccountImportActivationExpires,
// TestJWTAccountImportSignerRemoved-style cases, TestJWTActivationRevocation).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, encodeActivation, type Import, type KeyPair } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { type JwtAccount, OperatorSetup, credsConnections } from "../_helpers/operator.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-activation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const nowSec = () => Math.floor(Date.now() / 1000);

/** Whether `ui` gets what `ue` publishes on `subject`: a public `marker` export published after it is the fence. */
async function crosses(ue: NatsConnection, ui: NatsConnection, subject: string): Promise<boolean> {
  const got: string[] = [];
  const sub = ui.subscribe(subject, { callback: () => void got.push(subject) });
  const marker = ui.subscribe("marker", { max: 1 });
  await ui.flush();
  ue.publish(subject, "x");
  ue.publish("marker", "m");
  for await (const _ of marker) break;
  sub.unsubscribe();
  return got.length > 0;
}

describe("activation tokens", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let exporter: JwtAccount;
  const signer = createAccount();
  const importers: Record<string, JwtAccount> = {};
  const { open, closeAll } = credsConnections(() => srv);

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    const kp = createAccount();
    const pub = kp.getPublicKey();
    // Each importer's key is needed for its token before its JWT is signed.
    const keys: Record<string, KeyPair> = {};
    for (const n of ["valid", "none", "other", "expired", "signed", "revoked", "service", "wrongtype", "expiring"]) keys[n] = createAccount();
    const act = (to: string, subject: string, kind: "stream" | "service" = "stream", exp?: number, by?: KeyPair) =>
      encodeActivation("act", keys[to]!, kp, kind, { subject }, { ...(exp ? { exp } : {}), ...(by ? { signer: by } : {}) });
    exporter = await setup.account("E", {
      signing_keys: [signer.getPublicKey()],
      exports: [
        { name: "feed", subject: "feed.>", type: "stream", token_req: true, revocations: { [keys.revoked!.getPublicKey()]: nowSec() + 5 } },
        { name: "help", subject: "help", type: "service", token_req: true },
        { name: "marker", subject: "marker", type: "stream" },
      ],
    }, true, kp);
    const marker: Partial<Import> = { name: "marker", subject: "marker", account: pub, type: "stream" };
    const feed = (token?: string): Partial<Import> => ({ name: "feed", subject: "feed.>", account: pub, type: "stream", ...(token ? { token } : {}) });
    const imports: Record<string, Partial<Import>[]> = {
      valid: [feed(await act("valid", "feed.>"))],
      none: [feed()],
      // A token issued to another account.
      other: [feed(await act("valid", "feed.>"))],
      expired: [feed(await act("expired", "feed.>", "stream", nowSec() - 10))],
      signed: [feed(await act("signed", "feed.>", "stream", undefined, signer))],
      revoked: [feed(await act("revoked", "feed.>"))],
      service: [{ name: "help", subject: "help", account: pub, type: "service", token: await act("service", "help", "service") }],
      wrongtype: [{ name: "help", subject: "help", account: pub, type: "service", token: await act("wrongtype", "help", "stream") }],
      expiring: [feed(await act("expiring", "feed.>", "stream", nowSec() + 6))],
    };
    for (const [n, list] of Object.entries(imports)) {
      importers[n] = await setup.account(n, { imports: [...list, marker] as Import[] }, true, keys[n]);
    }
    const file = join(dir, "server.conf");
    writeFileSync(file, setup.conf("memory"));
    srv = await runServerFromArgs(["-c", file]);
  });
  afterAll(async () => {
    await closeAll();
    await srv.close();
  });

  const user = async (a: JwtAccount) => open((await setup.user(a)).creds);

  test("an import ends when its token expires", async () => {
    const ue = await user(exporter);
    const ui = await user(importers.expiring!);
    expect(await crosses(ue, ui, "feed.a")).toBe(true);
    // First in the file, so that little of the token's 6 s has passed. Its exp is in whole seconds; both servers drop the import within a second or so of it.
    const deadline = Date.now() + 10_000;
    let still = true;
    while (still && Date.now() < deadline) {
      still = await crosses(ue, ui, "feed.a");
      if (still) await new Promise((r) => setTimeout(r, 200));
    }
    expect(still).toBe(false);
  }, 15_000);

  test("a valid token admits the import; without one the export admits nobody", async () => {
    const ue = await user(exporter);
    expect(await crosses(ue, await user(importers.valid!), "feed.a")).toBe(true);
    expect(await crosses(ue, await user(importers.none!), "feed.a")).toBe(false);
  });

  test("an account JWT with another account's token, or a token of the wrong type, is not valid: its users are refused", async () => {
    await expect(user(importers.other!)).rejects.toThrow(/authorization violation/i);
    await expect(user(importers.wrongtype!)).rejects.toThrow(/authorization violation/i);
  });

  test("an expired token, and one the export revokes, admit nothing; one from the exporter's signing key does", async () => {
    const ue = await user(exporter);
    expect(await crosses(ue, await user(importers.expired!), "feed.a")).toBe(false);
    expect(await crosses(ue, await user(importers.revoked!), "feed.a")).toBe(false);
    expect(await crosses(ue, await user(importers.signed!), "feed.a")).toBe(true);
  });

  test("a service import with a token gets its reply", async () => {
    const ue = await user(exporter);
    ue.subscribe("help", { callback: (_e, m) => void m.respond(`re:${m.string()}`) });
    await ue.flush();
    const us = await user(importers.service!);
    expect((await us.request("help", "q", { timeout: 2000 })).string()).toBe("re:q");
  });

});
