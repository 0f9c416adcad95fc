// The core broker through the official NATS client (@nats-io/transport-node): what an application sees.
// Ported in spirit from nats.js core/tests (basics_test.ts, queues_test.ts, headers_test.ts, drain_test.ts,
// autounsub_test.ts, noresponders_test.ts, properties_test.ts). Messages are collected by callbacks, and a
// flush on the subscribing connection (its PONG comes after every message routed to it before) marks "all in".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Empty,
  errors,
  headers,
  type Msg,
  type NatsConnection,
  NoRespondersError,
  RequestError,
  type SubscriptionOptions,
} from "@nats-io/transport-node";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";

const own = useCleanup();

let srv: TestServer;
beforeAll(async () => {
  srv = await runServer();
});
afterAll(async () => {
  await srv.close();
});

async function connect(opts: Parameters<typeof client>[1] = {}): Promise<NatsConnection> {
  return own(await client(srv, opts));
}

/** Subscribes with a callback that keeps every message. */
function collect(nc: NatsConnection, subject: string, opts: Omit<SubscriptionOptions, "callback"> = {}) {
  const msgs: Msg[] = [];
  const sub = nc.subscribe(subject, { ...opts, callback: (err, m) => {
    if (err) throw err;
    msgs.push(m);
  } });
  return { sub, msgs };
}

/** Flushes each connection in order: the server has processed, and each has received, all that came before. */
async function settle(...ncs: NatsConnection[]): Promise<void> {
  for (const nc of ncs) await nc.flush();
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}

describe("publish and subscribe", () => {
  test("a message reaches a subscriber on another connection with its subject and payload", async () => {
    const a = await connect();
    const b = await connect();
    const { msgs } = collect(a, "ps.hello");
    await settle(a);
    b.publish("ps.hello", "hello world");
    await settle(b, a);
    expect(msgs.map((m) => [m.subject, m.string(), m.reply])).toEqual([["ps.hello", "hello world", ""]]);
  });

  test("binary payloads with every byte value arrive unchanged", async () => {
    const nc = await connect();
    const { msgs } = collect(nc, "ps.bin");
    const data = new Uint8Array(256 * 4).map((_, i) => i % 256);
    nc.publish("ps.bin", data);
    nc.publish("ps.bin", Empty);
    await settle(nc);
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.data).toEqual(data);
    expect(msgs[1]!.data.length).toBe(0);
  });

  test("messages from one publisher arrive in publish order", async () => {
    const a = await connect();
    const b = await connect();
    const { msgs } = collect(a, "ps.order");
    await settle(a);
    for (let i = 0; i < 500; i++) b.publish("ps.order", String(i));
    await settle(b, a);
    expect(msgs.map((m) => Number(m.string()))).toEqual([...Array(500).keys()]);
  });

  test("unsubscribe stops delivery", async () => {
    const nc = await connect();
    const { sub, msgs } = collect(nc, "ps.unsub");
    nc.publish("ps.unsub", "1");
    await settle(nc);
    sub.unsubscribe();
    nc.publish("ps.unsub", "2");
    await settle(nc);
    expect(msgs.map((m) => m.string())).toEqual(["1"]);
    expect(sub.isClosed()).toBe(true);
  });
});

describe("wildcards", () => {
  test("* matches exactly one token and > matches one or more", async () => {
    const sub = await connect();
    const pub = await connect();
    const patterns = ["wc.*", "wc.>", "wc.*.c", "wc.a.b", "*.a"];
    const got = new Map(patterns.map((p) => [p, collect(sub, p).msgs]));
    await settle(sub);
    for (const s of ["wc", "wc.a", "wc.a.b", "wc.a.c", "wc.a.b.c", "x.a"]) pub.publish(s, s);
    await settle(pub, sub);
    const subjects = (p: string) => got.get(p)!.map((m) => m.subject);
    expect(subjects("wc.*")).toEqual(["wc.a"]);
    expect(subjects("wc.>")).toEqual(["wc.a", "wc.a.b", "wc.a.c", "wc.a.b.c"]);
    expect(subjects("wc.*.c")).toEqual(["wc.a.c"]);
    expect(subjects("wc.a.b")).toEqual(["wc.a.b"]);
    expect(subjects("*.a")).toEqual(["wc.a", "x.a"]);
  });

  test("overlapping subscriptions on one connection each get their own copy", async () => {
    const nc = await connect();
    const a = collect(nc, "ov.>");
    const b = collect(nc, "ov.*");
    const c = collect(nc, "ov.x");
    nc.publish("ov.x", "x");
    await settle(nc);
    expect([a.msgs.length, b.msgs.length, c.msgs.length]).toEqual([1, 1, 1]);
  });
});

describe("queue groups", () => {
  test("across several connections each message goes to exactly one member, and a plain subscriber gets all", async () => {
    const members = [await connect(), await connect(), await connect()];
    const plainNc = await connect();
    const pub = await connect();
    const got = members.map((nc) => collect(nc, "qg.work", { queue: "workers" }).msgs);
    const plain = collect(plainNc, "qg.work").msgs;
    await settle(...members, plainNc);
    const sent = 300;
    for (let i = 0; i < sent; i++) pub.publish("qg.work", String(i));
    await settle(pub, ...members, plainNc);
    const counts = got.map((m) => m.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(sent);
    // Random choice among 3: a member with nothing out of 300 has odds of about 1e-52.
    for (const n of counts) expect(n).toBeGreaterThan(0);
    // No message was given to two members.
    const seen = got.flat().map((m) => Number(m.string())).sort((x, y) => x - y);
    expect(seen).toEqual([...Array(sent).keys()]);
    expect(plain).toHaveLength(sent);
  });

  test("two queue groups on one subject each get every message once", async () => {
    const a = await connect();
    const b = await connect();
    const g1 = [collect(a, "qg.two", { queue: "g1" }).msgs, collect(b, "qg.two", { queue: "g1" }).msgs];
    const g2 = [collect(a, "qg.two", { queue: "g2" }).msgs, collect(b, "qg.two", { queue: "g2" }).msgs];
    await settle(a, b);
    for (let i = 0; i < 100; i++) a.publish("qg.two", String(i));
    await settle(a, b);
    expect(g1[0]!.length + g1[1]!.length).toBe(100);
    expect(g2[0]!.length + g2[1]!.length).toBe(100);
  });

  test("a queue group of responders answers each request exactly once", async () => {
    const r1 = await connect();
    const r2 = await connect();
    const handled = [0, 0];
    [r1, r2].forEach((nc, i) =>
      nc.subscribe("qg.svc", { queue: "svc", callback: (_e, m) => {
        handled[i]!++;
        m.respond(`r${i}:${m.string()}`);
      } })
    );
    await settle(r1, r2);
    const req = await connect();
    const replies = await Promise.all([...Array(40).keys()].map((i) => req.request("qg.svc", String(i), { timeout: 5000 })));
    expect(replies.map((m) => m.string().split(":")[1])).toEqual([...Array(40).keys()].map(String));
    expect(handled[0]! + handled[1]!).toBe(40);
  });
});

describe("request and reply", () => {
  test("request gets the responder's reply", async () => {
    const svc = await connect();
    svc.subscribe("rr.echo", { callback: (_e, m) => {
      m.respond(`echo:${m.string()}`);
    } });
    await settle(svc);
    const nc = await connect();
    const r = await nc.request("rr.echo", "hi", { timeout: 5000 });
    expect(r.string()).toBe("echo:hi");
    expect(r.subject.startsWith("_INBOX.")).toBe(true);
  });

  test("concurrent requests each get their own reply", async () => {
    const svc = await connect();
    svc.subscribe("rr.many", { callback: (_e, m) => {
      m.respond(`re:${m.string()}`);
    } });
    await settle(svc);
    const nc = await connect();
    const replies = await Promise.all([...Array(50).keys()].map((i) => nc.request("rr.many", String(i), { timeout: 5000 })));
    expect(replies.map((m) => m.string())).toEqual([...Array(50).keys()].map((i) => `re:${i}`));
  });

  test("a request without the shared inbox (noMux) gets its reply", async () => {
    const svc = await connect();
    svc.subscribe("rr.nomux", { callback: (_e, m) => {
      m.respond("ok");
    } });
    await settle(svc);
    const nc = await connect();
    const r = await nc.request("rr.nomux", Empty, { timeout: 5000, noMux: true });
    expect(r.string()).toBe("ok");
  });

  test("the responder sees the requester's reply subject", async () => {
    const svc = await connect();
    const { msgs } = collect(svc, "rr.inbox");
    await settle(svc);
    const nc = await connect();
    nc.publish("rr.inbox", "x", { reply: "my.reply.subject" });
    await settle(nc, svc);
    expect(msgs.map((m) => m.reply)).toEqual(["my.reply.subject"]);
  });
});

describe("headers", () => {
  test("headers and payload round trip", async () => {
    const a = await connect();
    const b = await connect();
    const { msgs } = collect(a, "hd.rt");
    await settle(a);
    const h = headers();
    h.set("X-Trace", "abc-123");
    h.append("X-Multi", "one");
    h.append("X-Multi", "two");
    b.publish("hd.rt", "body", { headers: h });
    await settle(b, a);
    expect(msgs).toHaveLength(1);
    const m = msgs[0]!;
    expect(m.string()).toBe("body");
    expect(m.headers?.get("X-Trace")).toBe("abc-123");
    expect(m.headers?.values("X-Multi")).toEqual(["one", "two"]);
    expect(m.headers?.hasError).toBe(false);
  });

  test("a message with headers and an empty payload keeps its headers", async () => {
    const nc = await connect();
    const { msgs } = collect(nc, "hd.empty");
    const h = headers();
    h.set("Only", "headers");
    nc.publish("hd.empty", Empty, { headers: h });
    await settle(nc);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.data.length).toBe(0);
    expect(msgs[0]!.headers?.get("Only")).toBe("headers");
  });

  test("a request and its reply both carry headers", async () => {
    const svc = await connect();
    svc.subscribe("hd.req", { callback: (_e, m) => {
      const rh = headers();
      rh.set("Reply-To-Id", m.headers?.get("Request-Id") ?? "missing");
      m.respond("done", { headers: rh });
    } });
    await settle(svc);
    const nc = await connect();
    const h = headers();
    h.set("Request-Id", "42");
    const r = await nc.request("hd.req", "x", { timeout: 5000, headers: h });
    expect(r.string()).toBe("done");
    expect(r.headers?.get("Reply-To-Id")).toBe("42");
  });

  test("a message without headers has none", async () => {
    const nc = await connect();
    const { msgs } = collect(nc, "hd.none");
    nc.publish("hd.none", "plain");
    await settle(nc);
    expect(msgs[0]!.headers).toBeUndefined();
  });
});

describe("no responders", () => {
  test("a request nobody subscribes to is rejected with the client's no-responders error", async () => {
    const nc = await connect();
    const err = await nc.request("nr.nobody.home", "x", { timeout: 10000 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).isNoResponders()).toBe(true);
    expect((err as RequestError).cause).toBeInstanceOf(NoRespondersError);
    expect(((err as RequestError).cause as NoRespondersError).subject).toBe("nr.nobody.home");
  });

  test("a noMux request nobody subscribes to is rejected with the no-responders error too", async () => {
    const nc = await connect();
    const err = await nc.request("nr.nomux", "x", { timeout: 10000, noMux: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(errors.RequestError);
    expect((err as RequestError).isNoResponders()).toBe(true);
  });

  test("the connection stays usable after a no-responders rejection", async () => {
    const nc = await connect();
    await nc.request("nr.again", "x", { timeout: 10000 }).catch(() => {});
    nc.subscribe("nr.again", { callback: (_e, m) => {
      m.respond("now");
    } });
    const r = await nc.request("nr.again", "x", { timeout: 5000 });
    expect(r.string()).toBe("now");
  });
});

describe("echo", () => {
  test("noEcho keeps a connection's own messages from its subscriptions, not others'", async () => {
    const quiet = await connect({ noEcho: true });
    const loud = await connect();
    const q = collect(quiet, "echo.x").msgs;
    const l = collect(loud, "echo.x").msgs;
    await settle(quiet, loud);
    quiet.publish("echo.x", "from-quiet");
    await settle(quiet);
    loud.publish("echo.x", "from-loud");
    await settle(loud, quiet);
    expect(q.map((m) => m.string())).toEqual(["from-loud"]);
    expect(l.map((m) => m.string())).toEqual(["from-quiet", "from-loud"]);
  });
});

describe("auto-unsubscribe", () => {
  test("a subscription with max closes after that many messages", async () => {
    const nc = await connect();
    const { sub, msgs } = collect(nc, "au.max", { max: 3 });
    for (let i = 0; i < 10; i++) nc.publish("au.max", String(i));
    await settle(nc);
    expect(msgs.map((m) => m.string())).toEqual(["0", "1", "2"]);
    expect(sub.getReceived()).toBe(3);
    expect(sub.isClosed()).toBe(true);
  });

  test("unsubscribe(max) after some messages counts the ones already received", async () => {
    const nc = await connect();
    const { sub, msgs } = collect(nc, "au.later");
    nc.publish("au.later", "a");
    await settle(nc);
    sub.unsubscribe(2);
    for (let i = 0; i < 5; i++) nc.publish("au.later", "b");
    await settle(nc);
    expect(msgs.map((m) => m.string())).toEqual(["a", "b"]);
    expect(sub.isClosed()).toBe(true);
  });

  test("max applies per subscription, not per connection", async () => {
    const nc = await connect();
    const one = collect(nc, "au.per", { max: 1 });
    const all = collect(nc, "au.per");
    for (let i = 0; i < 4; i++) nc.publish("au.per", String(i));
    await settle(nc);
    expect(one.msgs).toHaveLength(1);
    expect(all.msgs).toHaveLength(4);
  });
});

describe("drain", () => {
  test("draining a subscription delivers the messages already in flight, then ends it", async () => {
    const subNc = await connect();
    const pub = await connect();
    const { sub, msgs } = collect(subNc, "dr.sub");
    await settle(subNc);
    for (let i = 0; i < 1000; i++) pub.publish("dr.sub", String(i));
    // The server has routed all 1000 to subNc, which may not have read them yet.
    await settle(pub);
    await sub.drain();
    expect(msgs).toHaveLength(1000);
    expect(msgs.map((m) => Number(m.string()))).toEqual([...Array(1000).keys()]);
    expect(sub.isClosed()).toBe(true);
    // Nothing arrives after the drain.
    pub.publish("dr.sub", "late");
    await settle(pub, subNc);
    expect(msgs).toHaveLength(1000);
  });

  test("an iterator over a draining subscription sees every message and then ends", async () => {
    const subNc = await connect();
    const pub = await connect();
    const sub = subNc.subscribe("dr.iter");
    await settle(subNc);
    for (let i = 0; i < 200; i++) pub.publish("dr.iter", String(i));
    await settle(pub);
    const done = (async () => {
      const seen: number[] = [];
      for await (const m of sub) seen.push(Number(m.string()));
      return seen;
    })();
    await sub.drain();
    expect(await done).toEqual([...Array(200).keys()]);
  });

  test("draining a connection delivers in-flight messages on every subscription, then closes it", async () => {
    const subNc = await connect();
    const pub = await connect();
    const a = collect(subNc, "dr.conn.a").msgs;
    const b = collect(subNc, "dr.conn.b").msgs;
    await settle(subNc);
    for (let i = 0; i < 500; i++) {
      pub.publish("dr.conn.a", "a");
      pub.publish("dr.conn.b", "b");
    }
    await settle(pub);
    await subNc.drain();
    expect([a.length, b.length]).toEqual([500, 500]);
    expect(subNc.isClosed()).toBe(true);
    expect(await subNc.closed()).toBeUndefined();
  });

  test("draining a connection delivers what it published itself just before", async () => {
    const nc = await connect();
    const { msgs } = collect(nc, "dr.self");
    for (let i = 0; i < 100; i++) nc.publish("dr.self", String(i));
    await nc.drain();
    expect(msgs).toHaveLength(100);
    expect(nc.isClosed()).toBe(true);
  });
});

describe("flush", () => {
  test("flush resolves after the server has processed every earlier publish", async () => {
    const nc = await connect();
    const { msgs } = collect(nc, "fl.x");
    for (let i = 0; i < 1000; i++) nc.publish("fl.x", String(i));
    await nc.flush();
    expect(msgs).toHaveLength(1000);
  });
});

describe("large payloads", () => {
  test("payloads of max_payload and max_payload - 1 bytes arrive intact", async () => {
    const a = await connect();
    const b = await connect();
    const max = a.info!.max_payload;
    expect(max).toBe(1048576);
    const { msgs } = collect(a, "lp.big");
    await settle(a);
    const big = randomBytes(max);
    const almost = randomBytes(max - 1);
    b.publish("lp.big", big);
    b.publish("lp.big", almost);
    await settle(b, a);
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.data.length).toBe(max);
    expect(Buffer.from(msgs[0]!.data).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(msgs[1]!.data).equals(Buffer.from(almost))).toBe(true);
  });

  test("the client refuses a payload over max_payload before sending it", async () => {
    const nc = await connect();
    expect(() => nc.publish("lp.over", new Uint8Array(nc.info!.max_payload + 1))).toThrow("max_payload size exceeded");
    await nc.flush();
    expect(nc.isClosed()).toBe(false);
  });

  test("a headers message whose headers plus payload fill max_payload arrives intact", async () => {
    const nc = await connect();
    const { msgs } = collect(nc, "lp.hdr");
    const h = headers();
    h.set("X-Big", "yes");
    // NATS/1.0\r\nX-Big: yes\r\n\r\n is 24 bytes.
    const payload = randomBytes(nc.info!.max_payload - 24);
    nc.publish("lp.hdr", payload, { headers: h });
    await settle(nc);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.headers?.get("X-Big")).toBe("yes");
    expect(Buffer.from(msgs[0]!.data).equals(Buffer.from(payload))).toBe(true);
  });
});

describe("many subscriptions", () => {
  test("1000 subscriptions on one connection each get exactly their own messages", async () => {
    const nc = await connect();
    const pub = await connect();
    const subs = [...Array(1000).keys()].map((i) => collect(nc, `many.${i}`));
    const wild = collect(nc, "many.*");
    await settle(nc);
    for (let i = 0; i < 1000; i++) pub.publish(`many.${i}`, String(i));
    await settle(pub, nc);
    subs.forEach((s, i) => expect(s.msgs.map((m) => m.string())).toEqual([String(i)]));
    expect(wild.msgs).toHaveLength(1000);
    // Remove every other one; only the rest still receive.
    subs.forEach((s, i) => i % 2 === 0 && s.sub.unsubscribe());
    await settle(nc);
    for (let i = 0; i < 1000; i++) pub.publish(`many.${i}`, "again");
    await settle(pub, nc);
    subs.forEach((s, i) => expect(s.msgs).toHaveLength(i % 2 === 0 ? 1 : 2));
    expect(wild.msgs).toHaveLength(2000);
  });
});

describe("server info", () => {
  test("nc.info carries the server's INFO fields", async () => {
    const nc = await connect();
    const info = nc.info!;
    expect(info.server_id).toMatch(/^N[A-Z2-7]{55}$/);
    expect(info.version).toMatch(/^2\.\d+\.\d+$/);
    expect(info.proto).toBe(1);
    expect(info.headers).toBe(true);
    expect(info.max_payload).toBe(1048576);
    expect(info.host).toBe("127.0.0.1");
    expect(info.port).toBe(srv.port);
    expect(Number.isInteger(info.client_id)).toBe(true);
    expect(info.client_id).toBeGreaterThan(0);
    expect(info.client_ip).toBe("127.0.0.1");
    expect(info.auth_required).toBeUndefined();
  });

  test("two connections see the same server_id and different client_ids", async () => {
    const a = await connect();
    const b = await connect();
    expect(b.info!.server_id).toBe(a.info!.server_id);
    expect(b.info!.client_id).not.toBe(a.info!.client_id);
  });
});
