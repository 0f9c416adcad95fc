/**
 * Shadow subscriptions on their own: which exporter subject a subscription in the importer takes through a
 * stream import, and a StreamImport keeping them right as subscriptions come and go, with the bridge left
 * for what a shadow cannot serve (queue subscriptions, endpoints the router gives a view of the payload).
 */
import { expect, test } from "bun:test";
import { Account } from "../../../src/account/account.ts";
import { StreamImport } from "../../../src/account/imports.ts";
import { Renaming } from "../../../src/account/renaming.ts";
import { shadowSubject } from "../../../src/account/shadow.ts";
import type { PubArg } from "../../../src/protocol/parser.ts";
import type { Publisher } from "../../../src/routing/endpoint.ts";
import { MatchCache } from "../../../src/routing/match_cache.ts";
import { Router } from "../../../src/routing/router.ts";
import { Subscription } from "../../../src/routing/subscription.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test("a subscription takes the import's subject when exact or wider, its own reversed when narrower, the narrowed overlap otherwise", () => {
  const at = (sub: string, from: string, to: string) => shadowSubject(sub, from, to, new Renaming(from, to));
  expect(at("t.*.x", "e.*.x", "t.*.x")).toBe("e.*.x");
  expect(at("t.1.x", "e.*.x", "t.*.x")).toBe("e.1.x");
  expect(at("t.>", "e.*.x", "t.*.x")).toBe("e.*.x");
  expect(at("t.1.*", "e.*.x", "t.*.x")).toBe("e.1.x");
  expect(at("u.1.x", "e.*.x", "t.*.x")).toBeUndefined();
  expect(at("t.1.y", "e.*.x", "t.*.x")).toBeUndefined();
  expect(at("pre.e.a.*", "e.>", "pre.e.>")).toBe("e.a.*");
  expect(at("*.e.a", "e.>", "pre.e.>")).toBe("e.a");
  expect(at("s.x", "s.x", "s.x")).toBe("s.x");
  expect(at("lit.b", "lit.a", "lit.b")).toBe("lit.a");
});

/** An endpoint standing for a client: it has deliverAt, so a shadow can serve it. */
function client(): Publisher & { got: string[] } {
  const got: string[] = [];
  return {
    cid: 7, closed: false, opts: { echo: true, noResponders: false }, checksDelivery: false, link: null, matchCache: new MatchCache(), got,
    admitDelivery: () => true,
    deliver: (_s, _pa, _p, subject) => void got.push(`view ${subject}`),
    deliverAt: (sub, pa) => void got.push(`${decoder.decode(pa.buf.subarray(pa.subjStart, pa.subjEnd))} ${sub.sid}`),
    deliverNoResponders: () => {},
    removeSub: () => {},
  };
}

function publish(acc: Account, subject: string, routeOn = subject): void {
  const line = encoder.encode(subject);
  const pa: PubArg = { buf: line, subjStart: 0, subjEnd: line.length, replyStart: line.length, replyEnd: line.length, hdr: -1, size: 1, accStart: 0, accEnd: 0, queues: [] };
  const from = client();
  if (routeOn === subject) acc.route(from, subject, pa, encoder.encode("x\r\n"), 0);
  else acc.router.route(from, routeOn, pa, encoder.encode("x\r\n"), 0, subject);
}

function accounts(): [Account, Account] {
  return [new Account("A", new Router(true, 1 << 20), () => {}), new Account("B", new Router(true, 1 << 20), () => {})];
}

test("a client's subscription made before or after the import is served by a shadow, removed with it", () => {
  const [a, b] = accounts();
  const c = client();
  const before = new Subscription(c, "p.ev.one", null, "1");
  b.addSub(before);
  const imp = new StreamImport(a, b, "ev.>", "p.ev.>");
  const after = new Subscription(c, "p.ev.>", null, "2");
  b.addSub(after);
  expect(a.router.sublist.all().map((s) => s.subject).sort()).toEqual(["ev.>", "ev.one"]);
  publish(a, "ev.one");
  publish(a, "ev.two");
  expect([...c.got].sort()).toEqual(["p.ev.one 1", "p.ev.one 2", "p.ev.two 2"]);
  b.removeSub(before);
  expect(a.router.sublist.all().map((s) => s.subject)).toEqual(["ev.>"]);
  imp.close();
  expect(a.router.sublist.count()).toBe(0);
  publish(a, "ev.three");
  expect(c.got).toHaveLength(3);
});

test("a JetStream delivery is matched on its renamed inbox and keeps the stored subject", () => {
  const [a, b] = accounts();
  const c = client();
  new StreamImport(a, b, "deliver.>", "in.>");
  b.addSub(new Subscription(c, "in.>", null, "1"));
  publish(a, "orders.1", "deliver.x");
  expect(c.got).toEqual(["orders.1 1"]);
});

test("queue subscriptions get shadows in the exporter's group; endpoints without deliverAt keep the bridge, which subscribes in the exporter only while they are there", () => {
  const [a, b] = accounts();
  new StreamImport(a, b, "ev.>", "ev.>");
  const q1 = client();
  const q2 = client();
  const queued = [new Subscription(q1, "ev.>", "g", "1"), new Subscription(q2, "ev.>", "g", "2")];
  for (const s of queued) b.addSub(s);
  expect(a.router.sublist.count()).toBe(2);
  const viewer = { ...client(), deliverAt: undefined };
  const viewed = new Subscription(viewer, "ev.a", null, "3");
  b.addSub(viewed);
  expect(a.router.sublist.count()).toBe(3);
  publish(a, "ev.a");
  publish(a, "ev.b");
  expect(q1.got.length + q2.got.length).toBe(2);
  expect(viewer.got).toEqual(["view ev.a"]);
  for (const s of [...queued, viewed]) b.removeSub(s);
  expect(a.router.sublist.count()).toBe(0);
});

test("stream imports do not chain: what A sends B is not passed on to C through B's own import of it", () => {
  const a = new Account("A", new Router(true, 1 << 20), () => {});
  const b = new Account("B", new Router(true, 1 << 20), () => {});
  const c = new Account("C", new Router(true, 1 << 20), () => {});
  new StreamImport(a, b, "x.>", "b.x.>");
  new StreamImport(b, c, "b.>", "b.>");
  const inB = client();
  const inC = client();
  b.addSub(new Subscription(inB, "b.x.>", null, "1"));
  c.addSub(new Subscription(inC, ">", null, "2"));
  publish(a, "x.1");
  publish(b, "b.from-b");
  expect(inB.got).toEqual(["b.x.1 1"]);
  expect(inC.got).toEqual(["b.from-b 2"]);
});

test("an auto-unsubscribe limit set after the subscription ends its shadow once reached", () => {
  const [a, b] = accounts();
  const c = client();
  new StreamImport(a, b, "ev.>", "ev.>");
  const sub = new Subscription(c, "ev.>", null, "1");
  c.removeSub = (s) => b.removeSub(s);
  b.addSub(sub);
  sub.max = 2;
  for (const n of ["1", "2", "3"]) publish(a, `ev.${n}`);
  expect(c.got).toEqual(["ev.1 1", "ev.2 1"]);
  expect(a.router.sublist.count()).toBe(0);
});
