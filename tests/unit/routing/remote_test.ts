/**
 * The router's rules for links to other servers (nats-server's processMsgResults for leaf connections):
 * one copy per link naming the queue groups it was picked for, local queue members first, remote members by
 * weight, only the named groups for a message from a link, and never back to the link it came from.
 */
import { expect, test } from "bun:test";
import type { PubArg } from "../../../src/protocol/parser.ts";
import type { Endpoint, Publisher, RemoteEndpoint } from "../../../src/routing/endpoint.ts";
import { MatchCache } from "../../../src/routing/match_cache.ts";
import { Router } from "../../../src/routing/router.ts";
import { Subscription } from "../../../src/routing/subscription.ts";

const encoder = new TextEncoder();

class Local implements Publisher {
  readonly cid = 1;
  readonly closed = false;
  readonly opts = { echo: true, noResponders: false };
  readonly checksDelivery = false;
  readonly link = null;
  readonly matchCache = new MatchCache();
  got = 0;
  admitDelivery(): boolean {
    return true;
  }
  deliver(): void {
    this.got++;
  }
  deliverNoResponders(): void {}
  removeSub(): void {}
}

class Remote extends Local implements RemoteEndpoint {
  readonly remote = true;
  constructor(readonly origin = "") {
    super();
  }
  routeMark = 0;
  readonly routeQueues: string[] = [];
  override readonly opts = { echo: false, noResponders: false };
  copies: string[][] = [];
  deliverRemote(_pa: PubArg, _buf: Uint8Array, _start: number, _subject: string, queues: readonly string[]): void {
    this.copies.push([...queues]);
  }
}

function pubArg(subject: string): { pa: PubArg; buf: Uint8Array } {
  const buf = encoder.encode(`${subject}hi\r\n`);
  const pa: PubArg = { buf, subjStart: 0, subjEnd: subject.length, replyStart: 0, replyEnd: 0, hdr: -1, size: 2, accStart: 0, accEnd: 0, queues: [] };
  return { pa, buf };
}

function publish(router: Router, from: Publisher, subject: string, queues: string[] | null = null): void {
  const { pa, buf } = pubArg(subject);
  router.route(from, subject, pa, buf, subject.length, subject, queues);
}

function add(router: Router, ep: Endpoint, subject: string, queue: string | null = null, weight = 1): Subscription {
  const sub = new Subscription(ep, subject, queue, `${subject} ${queue}`);
  sub.weight = weight;
  expect(router.addSub(sub)).toBe(true);
  return sub;
}

test("a link gets one copy however many of its subscriptions match, with the groups it was picked for", () => {
  const router = new Router(true, 1 << 20);
  const pub = new Local();
  const link = new Remote();
  add(router, link, "a.b");
  add(router, link, "a.*");
  add(router, link, ">");
  add(router, link, "a.b", "q1");
  add(router, link, "a.>", "q2");
  publish(router, pub, "a.b");
  expect(link.copies.map((q) => q.sort())).toEqual([["q1", "q2"]]);
  publish(router, pub, "x");
  expect(link.copies[1]).toEqual([]);
});

test("a local queue member always wins over a link's", () => {
  const router = new Router(true, 1 << 20);
  const pub = new Local();
  const member = new Local();
  const link = new Remote();
  add(router, link, "jobs", "w", 100);
  add(router, member, "jobs", "w");
  for (let i = 0; i < 50; i++) publish(router, pub, "jobs");
  expect(member.got).toBe(50);
  expect(link.copies).toEqual([]);
});

test("among links, a group's member is picked by its weight", () => {
  const router = new Router(true, 1 << 20);
  const pub = new Local();
  const heavy = new Remote();
  const light = new Remote();
  add(router, heavy, "jobs", "w", 9);
  add(router, light, "jobs", "w", 1);
  for (let i = 0; i < 2000; i++) publish(router, pub, "jobs");
  expect(heavy.copies.length + light.copies.length).toBe(2000);
  // 9:1 expected; far outside chance for a uniform pick.
  expect(heavy.copies.length).toBeGreaterThan(1600);
  expect(light.copies.length).toBeGreaterThan(100);
});

test("a message from a link reaches only the queue groups it names, never the link itself", () => {
  const router = new Router(true, 1 << 20);
  const from = new Remote();
  const plain = new Local();
  const named = new Local();
  const unnamed = new Local();
  add(router, plain, "m");
  add(router, named, "m", "yes");
  add(router, unnamed, "m", "no");
  add(router, from, "m");
  add(router, from, "m", "yes");
  publish(router, from, "m", []);
  expect([plain.got, named.got, unnamed.got]).toEqual([1, 0, 0]);
  publish(router, from, "m", ["yes"]);
  expect([plain.got, named.got, unnamed.got]).toEqual([2, 1, 0]);
  expect(from.copies).toEqual([]);
});

test("a message from a link never goes to another link from the same origin cluster", () => {
  const router = new Router(true, 1 << 20);
  const from = new Remote("site-a");
  const twin = new Remote("site-a");
  const other = new Remote("site-b");
  const local = new Local();
  add(router, twin, "t");
  add(router, other, "t");
  add(router, local, "t");
  publish(router, from, "t", []);
  expect([twin.copies.length, other.copies.length, local.got]).toEqual([0, 1, 1]);
  // From a local client, both links get it.
  publish(router, local, "t");
  expect([twin.copies.length, other.copies.length]).toEqual([1, 2]);
});
