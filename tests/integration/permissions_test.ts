// Publish and subscribe permissions of `authorization.users`, as nats-server 2.9.10 enforces them (checked with
// NATSEDGE_REFERENCE_SERVER): allow lists, deny lists (deny wins), wildcards in both the permission and the
// subject, queue qualifiers, allow_responses (max and expires), default_permissions, and permissions written as
// a string, a list or `{ allow, deny }` in a config file. Every cell asserts the allowed and the refused case,
// on the wire (exact -ERR text, nothing delivered, connection kept open) and with the real client
// (PermissionViolationError). Ported from nats-server test/user_authorization_test.go
// (TestUserAuthorizationProto, TestUserAuthorizationAllowResponses), server/client_test.go
// (TestResponsePermissions, TestQueueSubscribePermissions), against security.md §3.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errors, type NatsConnection } from "@nats-io/transport-node";
import { client, type RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { exchange, parseMsgs, rawConnect } from "../_helpers/raw.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { errorsOf, expectRoundTrip, tryPublish, trySubscribe, violations } from "../_helpers/security.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../_helpers/spawn.ts";

const own = useCleanup();

const pubErr = (s: string) => `-ERR 'Permissions Violation for Publish to "${s}"'\r\n`;
const subErr = (s: string, q?: string) =>
  `-ERR 'Permissions Violation for Subscription to "${s}"${q !== undefined ? ` using queue "${q}"` : ""}'\r\n`;

const USERS = [
  { user: "admin", password: "admin" },
  { user: "pub_allow", password: "p", permissions: { publish: { allow: ["pub.allowed", "pub.wild.*", "pub.tail.>"] } } },
  { user: "pub_deny", password: "p", permissions: { publish: { allow: [">"], deny: ["secret.>", "admin.*"] } } },
  { user: "pub_deny_only", password: "p", permissions: { publish: { deny: ["secret.>"] } } },
  { user: "sub_allow", password: "p", permissions: { subscribe: { allow: ["sub.allowed", "sub.tree.>"] } } },
  { user: "sub_deny", password: "p", permissions: { subscribe: { deny: ["sub.secret", "sub.hidden.>"] } } },
  { user: "queue", password: "p", permissions: { subscribe: { allow: ["jobs.queue workers", "jobs.any"] } } },
  { user: "queue_deny", password: "p", permissions: { subscribe: { allow: [">"], deny: ["jobs.deny workers"] } } },
  {
    user: "responder",
    password: "p",
    permissions: { publish: { allow: [] }, subscribe: { allow: ["svc.>"] }, allow_responses: { max: 1, expires: 120_000 } },
  },
  {
    user: "responder2",
    password: "p",
    permissions: { publish: { allow: ["status.>"] }, subscribe: { allow: ["svc.>"] }, allow_responses: { max: 2, expires: 120_000 } },
  },
  {
    user: "expiring",
    password: "p",
    permissions: { publish: { allow: [] }, subscribe: { allow: ["svc.>"] }, allow_responses: { max: 5, expires: 50 } },
  },
  { user: "defaulted", password: "p" },
];

describe("permissions on the wire", () => {
  let srv: TestServer;
  let watcher: RawConn;
  beforeAll(async () => {
    srv = await runServer({
      authorization: {
        users: USERS,
        default_permissions: { publish: { allow: ["def.>", "_INBOX.>"] }, subscribe: { allow: ["def.>", "_INBOX.>"] } },
      },
    });
    // With default_permissions every user without permissions of its own is restricted; pub_deny_only has
    // permissions (publish only), so it may subscribe to anything: it is the watcher and the requester here.
    watcher = await rawConnect(srv, { user: "pub_deny_only", pass: "p" });
    await exchange(watcher, "SUB > 1\r\n");
  });
  afterAll(async () => {
    watcher.close();
    await srv.close();
  });

  const as = async (user: string) => own(await rawConnect(srv, { user, pass: "p" }));

  /** Publishes `subject` from `c`: what `c` got back (before its PONG), and whether the watcher saw it. */
  async function pub(c: RawConn, subject: string, reply?: string): Promise<{ wire: string; delivered: boolean }> {
    const wire = (await exchange(c, `PUB ${subject}${reply !== undefined ? ` ${reply}` : ""} 2\r\nhi\r\n`)).replace(/PONG\r\n$/, "");
    const seen = parseMsgs(await exchange(watcher, "")).map((m) => m.subject);
    return { wire, delivered: seen.includes(subject) };
  }

  async function sub(c: RawConn, subject: string, queue?: string): Promise<string> {
    const sid = Math.floor(Math.random() * 1e9);
    return (await exchange(c, `SUB ${subject}${queue !== undefined ? ` ${queue}` : ""} ${sid}\r\n`)).replace(/PONG\r\n$/, "");
  }

  describe("publish allow", () => {
    test.each([
      ["a literal subject in the allow list", "pub.allowed", true],
      ["a subject outside the allow list", "pub.other", false],
      ["one token under an allowed '*'", "pub.wild.one", true],
      ["two tokens under an allowed '*'", "pub.wild.one.two", false],
      ["several tokens under an allowed '>'", "pub.tail.a.b", true],
      ["the prefix of an allowed '>' alone", "pub.tail", false],
    ])("%s (%s): allowed=%p", async (_name, subject, allowed) => {
      const c = await as("pub_allow");
      const r = await pub(c, subject);
      expect(r).toEqual(allowed ? { wire: "", delivered: true } : { wire: pubErr(subject), delivered: false });
      // A violation keeps the connection open: the next allowed publish goes through.
      expect(await pub(c, "pub.allowed")).toEqual({ wire: "", delivered: true });
    });
  });

  describe("publish deny wins over allow", () => {
    test.each([
      ["pub_deny", "public.news", true],
      ["pub_deny", "secret.plans", false],
      ["pub_deny", "secret.a.b.c", false],
      ["pub_deny", "admin.x", false],
      ["pub_deny", "admin.x.y", true],
      ["pub_deny_only", "anything.at.all", true],
      ["pub_deny_only", "secret.stuff", false],
    ])("%s publishing %s: allowed=%p", async (user, subject, allowed) => {
      const c = await as(user);
      expect(await pub(c, subject)).toEqual(allowed ? { wire: "", delivered: true } : { wire: pubErr(subject), delivered: false });
    });
  });

  describe("subscribe allow, with wildcards both ways", () => {
    test.each([
      ["a literal allowed subject", "sub.allowed", true],
      ["a subject outside the allow list", "sub.other", false],
      ["a '*' subscription inside an allowed '>'", "sub.tree.*", true],
      ["the allowed '>' itself", "sub.tree.>", true],
      ["a literal under an allowed '>'", "sub.tree.a.b", true],
      ["a '*' wider than the allow list", "sub.*", false],
      ["'>' (everything)", ">", false],
      ["'*' (every one-token subject)", "*", false],
      ["the prefix of an allowed '>' alone", "sub.tree", false],
    ])("%s (%s): allowed=%p", async (_name, subject, allowed) => {
      const c = await as("sub_allow");
      expect(await sub(c, subject)).toBe(allowed ? "" : subErr(subject));
      expect(await sub(c, "sub.allowed")).toBe("");
    });

    test("an allowed subscription receives messages; nothing is delivered on a refused one", async () => {
      const c = await as("sub_allow");
      expect(await exchange(c, "SUB sub.allowed 1\r\nSUB sub.other 2\r\n")).toBe(subErr("sub.other") + "PONG\r\n");
      const admin = await as("pub_deny_only");
      await exchange(admin, "PUB sub.allowed 1\r\na\r\nPUB sub.other 1\r\nb\r\n");
      expect(parseMsgs(await exchange(c, "")).map((m) => [m.subject, m.sid])).toEqual([["sub.allowed", "1"]]);
    });
  });

  test("a SUB that reuses a sid is still checked: a denied subject gets the violation, the first subscription stays", async () => {
    // nats-server checks permissions before it looks the sid up, so the duplicate is not silently ignored.
    const c = await as("sub_allow");
    expect(await exchange(c, "SUB sub.allowed 9\r\nSUB sub.other 9\r\n")).toBe(subErr("sub.other") + "PONG\r\n");
    const admin = await as("pub_deny_only");
    await exchange(admin, "PUB sub.allowed 1\r\na\r\nPUB sub.other 1\r\nb\r\n");
    expect(parseMsgs(await exchange(c, "")).map((m) => [m.subject, m.sid])).toEqual([["sub.allowed", "9"]]);
  });

  describe("subscribe deny", () => {
    test.each([
      ["a subject not denied", "sub.public", true],
      ["a denied literal", "sub.secret", false],
      ["a subject under a denied '>'", "sub.hidden.x", false],
      ["a wildcard inside a denied '>'", "sub.hidden.*", false],
      ["a wildcard that only overlaps a denied literal", "sub.*", true],
    ])("%s (%s): allowed=%p", async (_name, subject, allowed) => {
      const c = await as("sub_deny");
      expect(await sub(c, subject)).toBe(allowed ? "" : subErr(subject));
    });

    test("a wildcard subscription overlapping a deny is accepted, and denied subjects are filtered at delivery", async () => {
      const c = await as("sub_deny");
      expect(await exchange(c, "SUB sub.* 7\r\n")).toBe("PONG\r\n");
      const admin = await as("pub_deny_only");
      await exchange(admin, "PUB sub.secret 1\r\ns\r\nPUB sub.public 1\r\np\r\n");
      expect(parseMsgs(await exchange(c, "")).map((m) => m.subject)).toEqual(["sub.public"]);
    });
  });

  describe("queue qualifiers in subscribe permissions", () => {
    // "" stands for a plain (non-queue) subscription.
    test.each([
      ["queue", "jobs.queue", "workers", ""],
      ["queue", "jobs.queue", "", subErr("jobs.queue")],
      ["queue", "jobs.queue", "others", subErr("jobs.queue", "others")],
      ["queue", "jobs.any", "", ""],
      ["queue", "jobs.any", "anyqueue", ""],
      ["queue_deny", "jobs.deny", "", ""],
      ["queue_deny", "jobs.deny", "other", ""],
      ["queue_deny", "jobs.deny", "workers", subErr("jobs.deny", "workers")],
    ])("%s subscribing to %s with queue %j gets %j", async (user, subject, queue, wire) => {
      const c = await as(user);
      expect(await sub(c, subject, queue === "" ? undefined : queue)).toBe(wire);
    });
  });

  describe("allow_responses", () => {
    /** A request from admin to `subject` with reply `reply`, received by `responder` (subscribed to svc.>). */
    async function request(responder: RawConn, reply: string): Promise<void> {
      const admin = await as("pub_deny_only");
      await exchange(admin, `PUB svc.work ${reply} 3\r\nreq\r\n`);
      const got = parseMsgs(await exchange(responder, ""));
      expect(got.map((m) => [m.subject, m.reply])).toEqual([["svc.work", reply]]);
    }

    test("a responder may publish one reply to a request it received, not two, and nothing else", async () => {
      const r = await as("responder");
      await exchange(r, "SUB svc.> 1\r\n");
      expect(await pub(r, "reply.one")).toEqual({ wire: pubErr("reply.one"), delivered: false });
      await request(r, "reply.one");
      expect(await pub(r, "reply.one")).toEqual({ wire: "", delivered: true });
      expect(await pub(r, "reply.one")).toEqual({ wire: pubErr("reply.one"), delivered: false });
      expect(await pub(r, "svc.other")).toEqual({ wire: pubErr("svc.other"), delivered: false });
    });

    test("max: 2 allows two replies to the same request, not a third; the publish allow list still applies", async () => {
      const r = await as("responder2");
      await exchange(r, "SUB svc.> 1\r\n");
      await request(r, "reply.two");
      expect(await pub(r, "reply.two")).toEqual({ wire: "", delivered: true });
      expect(await pub(r, "reply.two")).toEqual({ wire: "", delivered: true });
      expect(await pub(r, "reply.two")).toEqual({ wire: pubErr("reply.two"), delivered: false });
      expect(await pub(r, "status.ok")).toEqual({ wire: "", delivered: true });
      expect(await pub(r, "status")).toEqual({ wire: pubErr("status"), delivered: false });
    });

    test("a reply permission expires after `expires`", async () => {
      const r = await as("expiring");
      await exchange(r, "SUB svc.> 1\r\n");
      await request(r, "reply.fresh");
      expect(await pub(r, "reply.fresh")).toEqual({ wire: "", delivered: true });
      await request(r, "reply.stale");
      // The permission is checked when the reply is published: let the 50 ms expiry pass first.
      await sleep(150);
      expect(await pub(r, "reply.stale")).toEqual({ wire: pubErr("reply.stale"), delivered: false });
    });
  });

  describe("default_permissions", () => {
    test("a user without permissions gets the defaults", async () => {
      const c = await as("defaulted");
      expect(await pub(c, "def.ok")).toEqual({ wire: "", delivered: true });
      expect(await pub(c, "other.subject")).toEqual({ wire: pubErr("other.subject"), delivered: false });
      expect(await sub(c, "def.>")).toBe("");
      expect(await sub(c, "other.>")).toBe(subErr("other.>"));
    });

    test("a user with its own permissions does not get the defaults", async () => {
      const c = await as("pub_allow");
      expect(await pub(c, "def.ok")).toEqual({ wire: pubErr("def.ok"), delivered: false });
      // pub_allow has no subscribe permissions of its own, so it may subscribe to anything.
      expect(await sub(c, "other.>")).toBe("");
    });
  });
});

describe("permissions with the real client", () => {
  let srv: TestServer;
  let watcher: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({ authorization: { users: [...USERS, { user: "watcher", password: "w" }] } });
    watcher = await client(srv, { user: "watcher", pass: "w" });
  });
  afterAll(async () => {
    await watcher.close();
    await srv.close();
  });

  const as = async (user: string) => own(await client(srv, { user, pass: "p" }));

  test("an allowed publish is delivered; a refused one raises PermissionViolationError and the connection stays open", async () => {
    const nc = await as("pub_allow");
    const errs = errorsOf(nc);
    expect(await tryPublish(nc, errs, watcher, "pub.wild.x")).toEqual({ delivered: true, violation: false });
    expect(await tryPublish(nc, errs, watcher, "pub.wild.x.y")).toEqual({ delivered: false, violation: true });
    const pe = errs.find((e) => e instanceof errors.PermissionViolationError) as InstanceType<typeof errors.PermissionViolationError>;
    expect(pe.message).toBe('Permissions Violation for Publish to "pub.wild.x.y"');
    expect(await tryPublish(nc, errs, watcher, "pub.tail.z")).toEqual({ delivered: true, violation: false });
  });

  test("deny wins over allow for the real client", async () => {
    const nc = await as("pub_deny");
    const errs = errorsOf(nc);
    expect(await tryPublish(nc, errs, watcher, "public.x")).toEqual({ delivered: true, violation: false });
    expect(await tryPublish(nc, errs, watcher, "secret.x")).toEqual({ delivered: false, violation: true });
    expect(violations(errs)).toEqual(["publish secret.x"]);
  });

  test("a refused subscription is closed with PermissionViolationError; an allowed one receives", async () => {
    const nc = await as("sub_allow");
    const ok = await trySubscribe(nc, "sub.tree.*");
    expect(ok.refused).toBeNull();
    const no = await trySubscribe(nc, "sub.*");
    expect(no.refused).toBeInstanceOf(errors.PermissionViolationError);
    expect((no.refused as InstanceType<typeof errors.PermissionViolationError>).operation).toBe("subscription");
    const got: string[] = [];
    const done = (async () => {
      for await (const m of ok.sub) {
        got.push(m.subject);
        break;
      }
    })();
    watcher.publish("sub.tree.leaf", "x");
    await watcher.flush();
    await done;
    expect(got).toEqual(["sub.tree.leaf"]);
    expect(nc.isClosed()).toBe(false);
  });

  test("a queue subscription with the wrong queue is refused with the queue named", async () => {
    const nc = await as("queue");
    expect((await trySubscribe(nc, "jobs.queue", "workers")).refused).toBeNull();
    const no = await trySubscribe(nc, "jobs.queue", "others");
    const pe = no.refused as InstanceType<typeof errors.PermissionViolationError>;
    expect(pe).toBeInstanceOf(errors.PermissionViolationError);
    expect(pe.queue).toBe("others");
    expect(pe.message).toBe('Permissions Violation for Subscription to "jobs.queue" using queue "others"');
  });

  test("a responder with allow_responses answers a request once; a second answer and other publishes are refused", async () => {
    const nc = await as("responder");
    const errs = errorsOf(nc);
    let second: Promise<void> = Promise.resolve();
    nc.subscribe("svc.echo", {
      callback: (_e, m) => {
        m.respond(`echo ${m.string()}`);
        // A second response to the same request is over max (1): refused by the server.
        m.respond("again");
        second = nc.flush();
      },
    });
    await nc.flush();
    const reply = await watcher.request("svc.echo", "hello", { timeout: 2000 });
    expect(reply.string()).toBe("echo hello");
    await second;
    expect(await tryPublish(nc, errs, watcher, "not.a.reply")).toEqual({ delivered: false, violation: true });
    expect(violations(errs).length).toBe(2);
    expect(violations(errs)[1]).toBe("publish not.a.reply");
    expect(violations(errs)[0]).toMatch(/^publish _INBOX\./);
  });
});

describe("permissions written in a config file", () => {
  let dir: string;
  let srv: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "natsedge-perm-conf-"));
    const file = join(dir, "perms.conf");
    writeFileSync(
      file,
      `authorization {
  users = [
    { user: str, password: p, permissions: { publish: "one.subject", subscribe: "one.subject" } }
    { user: list, password: p, permissions: { publish: ["a.*", "b.>"], subscribe: ["a.*"] } }
    { user: map, password: p, permissions: { publish: { allow: ">", deny: "no.>" }, subscribe: { deny: ["no.*"] } } }
    { user: responder, password: p, permissions: { subscribe: "svc.>", allow_responses: true } }
    { user: admin, password: p }
  ]
}
`,
    );
    srv = await runServerFromArgs(["-c", file]);
  });
  afterAll(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = async (user: string) => own(await rawConnect(srv, { user, pass: "p" }));
  const pubWire = async (c: RawConn, s: string) => (await exchange(c, `PUB ${s} 1\r\nx\r\n`)).replace(/PONG\r\n$/, "");
  let sid = 0;
  const subWire = async (c: RawConn, s: string) => (await exchange(c, `SUB ${s} ${++sid}\r\n`)).replace(/PONG\r\n$/, "");

  test("a single subject string allows exactly that subject", async () => {
    const c = await as("str");
    expect(await pubWire(c, "one.subject")).toBe("");
    expect(await pubWire(c, "two.subject")).toBe(pubErr("two.subject"));
    expect(await subWire(c, "one.subject")).toBe("");
    expect(await subWire(c, "one.*")).toBe(subErr("one.*"));
  });

  test("a list is an allow list", async () => {
    const c = await as("list");
    expect(await pubWire(c, "a.x")).toBe("");
    expect(await pubWire(c, "b.x.y")).toBe("");
    expect(await pubWire(c, "c.x")).toBe(pubErr("c.x"));
    expect(await subWire(c, "a.x")).toBe("");
    expect(await subWire(c, "b.x")).toBe(subErr("b.x"));
  });

  test("{ allow, deny } with strings: deny wins", async () => {
    const c = await as("map");
    expect(await pubWire(c, "yes.x")).toBe("");
    expect(await pubWire(c, "no.x")).toBe(pubErr("no.x"));
    expect(await subWire(c, "yes.x")).toBe("");
    expect(await subWire(c, "no.x")).toBe(subErr("no.x"));
  });

  test("allow_responses: true without publish permissions allows replies only", async () => {
    const r = await as("responder");
    const admin = await as("admin");
    await exchange(r, "SUB svc.> 1\r\n");
    await exchange(admin, "SUB reply.box 1\r\nPUB svc.q reply.box 1\r\nq\r\n");
    expect(parseMsgs(await exchange(r, "")).map((m) => m.reply)).toEqual(["reply.box"]);
    expect(await pubWire(r, "reply.box")).toBe("");
    expect(await pubWire(r, "reply.box")).toBe(pubErr("reply.box"));
    expect(await pubWire(r, "anything.else")).toBe(pubErr("anything.else"));
    expect(parseMsgs(await exchange(admin, "")).map((m) => m.subject)).toEqual(["reply.box"]);
  });

  test("a connection with violations keeps working", async () => {
    const nc = own(await client(srv, { user: "admin", pass: "p" }));
    await expectRoundTrip(nc);
  });
});
