/**
 * The fast-producer stall across a stream import: when the importer's subscriber has more pending than the
 * stall threshold, the client publishing in the exporter is the one paused, as nats-server stalls the
 * publishing client whichever account its message is delivered in. Before, the bridge between the accounts
 * had no connection to pause, so the subscriber's buffer grew without bound.
 */
import { expect, test } from "bun:test";
import { Account } from "../../../src/account/account.ts";
import { StreamImport } from "../../../src/account/imports.ts";
import type { Connection } from "../../../src/connection/connection.ts";
import type { PubArg } from "../../../src/protocol/parser.ts";
import type { Publisher } from "../../../src/routing/endpoint.ts";
import { MatchCache } from "../../../src/routing/match_cache.ts";
import { Router } from "../../../src/routing/router.ts";
import { Subscription } from "../../../src/routing/subscription.ts";

const THRESHOLD = 1000;
const encoder = new TextEncoder();

/** The parts of a Connection the stall uses: its pending bytes and stallOn. */
function fakeLink(pending: number): Connection & { stalledOn: unknown[] } {
  const stalledOn: unknown[] = [];
  return { out: { pending }, stalledOn, stallOn: (r: unknown) => void stalledOn.push(r) } as unknown as Connection & { stalledOn: unknown[] };
}

function endpoint(link: Connection | null): Publisher & { got: string[] } {
  const got: string[] = [];
  return {
    cid: 1, closed: false, opts: { echo: true, noResponders: false }, checksDelivery: false, link, matchCache: new MatchCache(), got,
    admitDelivery: () => true,
    deliver: (_s, _pa, _p, subject) => void got.push(subject),
    deliverNoResponders: () => {},
    removeSub: () => {},
  };
}

function publish(acc: Account, from: Publisher, subject: string): void {
  const line = encoder.encode(subject);
  const pa: PubArg = { buf: line, subjStart: 0, subjEnd: line.length, replyStart: line.length, replyEnd: line.length, hdr: -1, size: 1, accStart: 0, accEnd: 0, queues: [] };
  acc.route(from, subject, pa, encoder.encode("x\r\n"), 0);
}

test("a subscriber in the importer past the stall threshold pauses the client publishing in the exporter", () => {
  const exporter = new Account("A", new Router(true, THRESHOLD), () => {});
  const importer = new Account("B", new Router(true, THRESHOLD), () => {});
  new StreamImport(exporter, importer, "ev.>", "p.ev.>");
  const slow = fakeLink(THRESHOLD + 1);
  const subscriber = endpoint(slow);
  importer.addSub(new Subscription(subscriber, "p.ev.>", null, "1"));
  const publisherLink = fakeLink(0);
  publish(exporter, endpoint(publisherLink), "ev.a");
  expect(subscriber.got).toEqual(["p.ev.a"]);
  expect(publisherLink.stalledOn).toEqual([slow]);
});

test("a subscriber under the threshold pauses nobody; a kept subject reaches the importer unchanged", () => {
  const exporter = new Account("A", new Router(true, THRESHOLD), () => {});
  const importer = new Account("B", new Router(true, THRESHOLD), () => {});
  new StreamImport(exporter, importer, "ev.>", "ev.>");
  const subscriber = endpoint(fakeLink(10));
  importer.addSub(new Subscription(subscriber, "ev.>", null, "1"));
  const publisherLink = fakeLink(0);
  publish(exporter, endpoint(publisherLink), "ev.b");
  expect(subscriber.got).toEqual(["ev.b"]);
  expect(publisherLink.stalledOn).toEqual([]);
});

test("a client served by a shadow subscription past the threshold pauses the client publishing in the exporter", () => {
  const exporter = new Account("A", new Router(true, THRESHOLD), () => {});
  const importer = new Account("B", new Router(true, THRESHOLD), () => {});
  new StreamImport(exporter, importer, "ev.>", "p.ev.>");
  const slow = fakeLink(THRESHOLD + 1);
  const subscriber = endpoint(slow);
  const direct = { ...subscriber, deliverAt: (_s: Subscription, pa: PubArg) => void subscriber.got.push(new TextDecoder().decode(pa.buf.subarray(pa.subjStart, pa.subjEnd))) };
  importer.addSub(new Subscription(direct, "p.ev.>", null, "1"));
  const publisherLink = fakeLink(0);
  publish(exporter, endpoint(publisherLink), "ev.a");
  expect(subscriber.got).toEqual(["p.ev.a"]);
  expect(publisherLink.stalledOn).toEqual([slow]);
});
