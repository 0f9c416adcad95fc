// Stream imports delivered through shadow subscriptions, as nats-server 2.9.10 does (run the file against it
// with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): a subscriber in the importer gets what the exporter
// publishes under the import's `to` or `prefix` subject whether its subscription is the import's subject, a
// part of it, wider than it or overlapping it; the exporter's /subsz lists one shadow per subscription and
// import and drops it on UNSUB, on an auto-unsubscribe limit and on close; permissions and headers still apply;
// a queue subscriber in the importer shares the exporter's group of the same name.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { freePort, until } from "../_helpers/leaf.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-shadow-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A subscription's messages as `subject:payload`; `through(payload)` waits for the first with that payload. */
function collect(nc: NatsConnection, subject: string, queue?: string): { through(payload: string): Promise<string[]>; msgs: Msg[] } {
  const seen: string[] = [];
  const msgs: Msg[] = [];
  let wake: (() => void) | null = null;
  nc.subscribe(subject, {
    queue,
    callback: (_err, m) => {
      seen.push(`${m.subject}:${m.string()}`);
      msgs.push(m);
      wake?.();
    },
  });
  return {
    msgs,
    async through(payload) {
      for (;;) {
        const i = seen.findIndex((l) => l.endsWith(`:${payload}`));
        if (i !== -1) return seen.splice(0, i + 1);
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

describe("stream imports through shadow subscriptions", () => {
  let srv: TestServer;
  let base = "";
  const conns: NatsConnection[] = [];
  const as = async (user: string) => {
    const nc = await client(srv, { user, pass: user });
    conns.push(nc);
    return nc;
  };
  /** The subjects of account A's subscriptions that other accounts' clients hold there (their shadows), sorted. */
  const shadowsInA = async () => {
    const z = (await (await fetch(`${base}/subsz?acc=A&subs=1&limit=1000`)).json()) as { subscriptions_list?: { subject: string }[] };
    return (z.subscriptions_list ?? []).map((s) => s.subject).filter((s) => !s.startsWith("$SYS.")).sort();
  };

  beforeAll(async () => {
    const http = await freePort();
    base = `http://127.0.0.1:${http}`;
    const file = join(dir, "server.conf");
    writeFileSync(file, `
http: "127.0.0.1:${http}"
accounts {
  A: { users: [ {user: a, password: a} ], exports: [ {stream: "e.>"} ] }
  B: {
    users: [
      {user: b, password: b}
      {user: d, password: d, permissions: {subscribe: {allow: ">", deny: "t.2.x"}}}
    ]
    imports: [ {stream: {account: A, subject: "e.*.x"}, to: "t.*.x"}, {stream: {account: A, subject: "e.>"}, prefix: "pre"} ]
  }
}`);
    srv = await runServerFromArgs(["-c", file]);
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await srv.close();
  });

  test("a wildcard import with `to` reaches exact, narrower, wider, overlapping and queue subscriptions under the importer's subjects", async () => {
    const a = await as("a");
    const b = await as("b");
    const exact = collect(b, "t.*.x");
    const narrower = collect(b, "t.1.x");
    const wider = collect(b, "t.>");
    const overlapping = collect(b, "t.1.*");
    const queued = collect(b, "t.*.x", "q");
    await b.flush();
    for (const s of ["e.1.x", "e.2.x", "e.1.y", "e.1.x.more"]) a.publish(s, s);
    a.publish("e.1.x", "end");
    await a.flush();
    expect(await exact.through("end")).toEqual(["t.1.x:e.1.x", "t.2.x:e.2.x", "t.1.x:end"]);
    expect(await narrower.through("end")).toEqual(["t.1.x:e.1.x", "t.1.x:end"]);
    expect(await wider.through("end")).toEqual(["t.1.x:e.1.x", "t.2.x:e.2.x", "t.1.x:end"]);
    expect(await overlapping.through("end")).toEqual(["t.1.x:e.1.x", "t.1.x:end"]);
    expect(await queued.through("end")).toEqual(["t.1.x:e.1.x", "t.2.x:e.2.x", "t.1.x:end"]);
    await b.close();
  });

  test("a prefix import reaches exact, narrower and wider subscriptions, with the publisher's reply and headers", async () => {
    const a = await as("a");
    const b = await as("b");
    const exact = collect(b, "pre.e.>");
    const narrower = collect(b, "pre.e.a");
    const wider = collect(b, ">");
    await b.flush();
    const h = headers();
    h.set("K", "v");
    a.publish("e.a", "one", { reply: "back.here", headers: h });
    a.publish("e.b", "two");
    a.publish("e.a", "end");
    await a.flush();
    expect(await exact.through("end")).toEqual(["pre.e.a:one", "pre.e.b:two", "pre.e.a:end"]);
    expect(await narrower.through("end")).toEqual(["pre.e.a:one", "pre.e.a:end"]);
    // The `to` import's e.*.x takes none of these; `>` sees them through the prefix import only.
    expect(await wider.through("end")).toEqual(["pre.e.a:one", "pre.e.b:two", "pre.e.a:end"]);
    const first = exact.msgs[0]!;
    expect([first.reply, first.headers?.get("K")]).toEqual(["back.here", "v"]);
    await b.close();
  });

  test("a subscribe deny of the importer's user filters what a wider subscription gets through the import", async () => {
    const a = await as("a");
    const d = await as("d");
    const wide = collect(d, "t.*.x");
    await d.flush();
    for (const s of ["e.1.x", "e.2.x", "e.3.x"]) a.publish(s, s);
    await a.flush();
    expect(await wide.through("e.3.x")).toEqual(["t.1.x:e.1.x", "t.3.x:e.3.x"]);
    await d.close();
  });

  test("a queue subscription in the importer joins the exporter's queue group of the same name", async () => {
    const [a, b] = [await as("a"), await as("b")];
    const inA = collect(a, "e.3.x", "g");
    const inB = collect(b, "t.3.x", "g");
    const otherGroup = collect(b, "t.3.x", "h");
    await a.flush();
    await b.flush();
    const n = 200;
    for (let i = 0; i < n; i++) a.publish("e.3.x", `m${i}`);
    a.publish("e.3.x", "end");
    // The group's one copy of each message goes to one member or the other, chosen at random each time.
    await otherGroup.through("end");
    await until(async () => inA.msgs.length + inB.msgs.length === n + 1, "the group to take every message");
    expect(otherGroup.msgs.length).toBe(n + 1);
    expect(inA.msgs.length).toBeGreaterThan(0);
    expect(inB.msgs.length).toBeGreaterThan(0);
    expect(new Set(inB.msgs.map((m) => m.subject))).toEqual(new Set(["t.3.x"]));
    await a.close();
    await b.close();
    await until(async () => (await shadowsInA()).length === 0, "the closed clients' subscriptions to go");
  });

  test("the exporter holds one shadow per subscription and import, gone on UNSUB and on close", async () => {
    const b = await as("b");
    expect(await shadowsInA()).toEqual([]);
    const wide = b.subscribe(">");
    const narrow = b.subscribe("t.1.*");
    b.subscribe("pre.e.a");
    await b.flush();
    expect(await shadowsInA()).toEqual(["e.*.x", "e.1.x", "e.>", "e.a"]);
    wide.unsubscribe();
    narrow.unsubscribe();
    await b.flush();
    expect(await shadowsInA()).toEqual(["e.a"]);
    await b.close();
    // The server sees the close on its own time: the monitor is asked until it has.
    await until(async () => (await shadowsInA()).length === 0, "the closed client's shadows to go");
  });

  test("an auto-unsubscribe limit counts what arrives through the import and ends the shadow with the subscription", async () => {
    const a = await as("a");
    const b = await as("b");
    const all = collect(b, "pre.e.*");
    const limited: string[] = [];
    b.subscribe("pre.e.n", { max: 2, callback: (_e, m) => void limited.push(m.string()) });
    await b.flush();
    expect(await shadowsInA()).toEqual(["e.*", "e.n"]);
    for (const n of ["1", "2", "3"]) a.publish("e.n", n);
    a.publish("e.m", "end");
    await a.flush();
    expect(await all.through("end")).toEqual(["pre.e.n:1", "pre.e.n:2", "pre.e.n:3", "pre.e.m:end"]);
    expect(limited).toEqual(["1", "2"]);
    expect(await shadowsInA()).toEqual(["e.*"]);
    await b.close();
  });
});
