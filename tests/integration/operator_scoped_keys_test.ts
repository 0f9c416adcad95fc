// Scoped signing keys and their permission templates, as nats-server 2.9.10 has them (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): a user signed by an account's `user_scope` key gets the
// scope's template as its permissions, with {{name()}}, {{subject()}}, {{account-name()}},
// {{account-subject()}}, {{tag(k)}} and {{account-tag(k)}} filled in; a scoped user with permissions of its own
// is refused, as is one whose deny list comes out invalid. Modelled on nats-server's server/jwt_test.go
// (TestJWTUserSigningKey scoped cases, TestJWTTemplates, TestJWTScopedSigningKeys).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createUser, encodeUser, fmtCreds, type KeyPair, newScopedSigner, type User, type UserPermissionsLimits } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { type JwtAccount, OperatorSetup, credsConnections } from "../_helpers/operator.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-scoped-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The connection's first asynchronous error, or "none" when 3 seconds pass without one. */
async function firstError(nc: NatsConnection): Promise<string> {
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("none"), 3000));
  const error = (async () => {
    for await (const s of nc.status()) if (s.type === "error") return String((s as { error?: Error }).error?.message);
    return "closed";
  })();
  return Promise.race([error, timeout]);
}

/** `nc` gets what it publishes on `subject` itself. */
async function echoes(nc: NatsConnection, subject: string): Promise<void> {
  const sub = nc.subscribe(subject, { max: 1 });
  await nc.flush();
  nc.publish(subject, "x");
  for await (const m of sub) expect(m.subject).toBe(subject);
}

describe("scoped signing keys", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let acc: JwtAccount;
  const scopes: Record<string, KeyPair> = {};
  const { open, closeAll } = credsConnections(() => srv);
  const templates: Record<string, Partial<UserPermissionsLimits>> = {
    names: {
      pub: { allow: ["{{name()}}.>", "{{account-name()}}.{{subject()}}", "as.{{account-subject()}}"] },
      sub: { allow: ["{{name()}}.>", "{{account-name()}}.>", "as.>", "_INBOX.>"] },
    },
    tags: { pub: { allow: ["t.{{tag(team)}}.>", "r.{{account-tag(region)}}"] }, sub: { allow: ["t.>", "r.>"] } },
    // A tag the user does not have leaves the allow list empty: everything is denied.
    missing: { pub: { allow: ["t.{{tag(nope)}}"] } },
    baddeny: { pub: { deny: ["x.{{bogus()}}"] } },
  };

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    for (const n of Object.keys(templates)) scopes[n] = createAccount();
    acc = await setup.account("ACC", {
      tags: ["region:eu"],
      signing_keys: Object.entries(templates).map(([n, t]) => newScopedSigner(scopes[n]!, n, t)),
    });
    const file = join(dir, "server.conf");
    writeFileSync(file, setup.conf("memory"));
    srv = await runServerFromArgs(["-c", file]);
  });
  afterAll(async () => {
    await closeAll();
    await srv.close();
  });

  /** A user of the account signed by the scope `scope`: no permissions of its own unless `own` says so. */
  const scoped = async (scope: string, name: string, own: Partial<User> = {}) => {
    const kp = createUser();
    const jwt = await encodeUser(name, kp, acc.kp, own, { signer: scopes[scope]!, scopedUser: true });
    return { pub: kp.getPublicKey(), creds: fmtCreds(jwt, kp) };
  };

  test("{{name()}}, {{subject()}}, {{account-name()}} and {{account-subject()}} fill the template in", async () => {
    const u = await scoped("names", "alice");
    const nc = await open(u.creds);
    await echoes(nc, "alice.x");
    await echoes(nc, `ACC.${u.pub}`);
    await echoes(nc, `as.${acc.pub}`);
    const denied = firstError(nc);
    nc.publish("bob.x");
    expect(await denied).toMatch(/permissions violation for publish to "bob\.x"/i);
  });

  test("{{tag(k)}} gives a subject per tag value, {{account-tag(k)}} the account's", async () => {
    const kp = createUser();
    const jwt = await encodeUser("t", kp, acc.kp, { tags: ["team:red", "team:blue"] } as Partial<User>, { signer: scopes.tags!, scopedUser: true });
    const nc = await open(fmtCreds(jwt, kp));
    await echoes(nc, "t.red.x");
    await echoes(nc, "t.blue.x");
    await echoes(nc, "r.eu");
    const denied = firstError(nc);
    nc.publish("t.green.x");
    expect(await denied).toMatch(/permissions violation for publish to "t\.green\.x"/i);
  });

  test("an allow list that the templates empty denies everything", async () => {
    const nc = await open((await scoped("missing", "m")).creds);
    const denied = firstError(nc);
    nc.publish("t.anything");
    expect(await denied).toMatch(/permissions violation for publish to "t\.anything"/i);
  });

  test("a scoped user with permissions of its own, or whose deny list comes out invalid, is refused", async () => {
    await expect(open((await scoped("names", "own", { pub: { allow: ["x"] } })).creds)).rejects.toThrow(/authorization violation/i);
    await expect(open((await scoped("baddeny", "d")).creds)).rejects.toThrow(/authorization violation/i);
  });
});
