import { expect, test } from "bun:test";
import { Router } from "../../../src/routing/router.ts";
import { Subscription } from "../../../src/routing/subscription.ts";
import type { Endpoint } from "../../../src/routing/endpoint.ts";
import type { InterestOp } from "../../../src/routing/interest.ts";

const endpoint = {} as Endpoint;
const sub = (subject: string, queue: string | null = null) => new Subscription(endpoint, subject, queue, "1");

function record(router: Router): { seen: string[]; stop: () => void } {
  const seen: string[] = [];
  const stop = router.interest.subscribe((op: InterestOp, s) => seen.push(`${op} ${s.subject}${s.queue ? ` ${s.queue}` : ""}`));
  return { seen, stop };
}

test("interest: every add and remove, in order, as it happens", () => {
  const router = new Router(true, 1 << 20);
  const { seen } = record(router);
  const a = sub("a.b");
  const q = sub("q.>", "workers");
  router.addSub(a);
  router.addSub(q);
  router.removeSub(a);
  router.removeSub(q);
  expect(seen).toEqual(["add a.b", "add q.> workers", "remove a.b", "remove q.> workers"]);
});

test("interest: no event for an invalid subject or a subscription the sublist does not hold", () => {
  const router = new Router(true, 1 << 20);
  const { seen } = record(router);
  expect(router.addSub(sub("bad..subject"))).toBe(false);
  router.removeSub(sub("never.added"));
  const a = sub("a");
  router.addSub(a);
  router.removeSub(a);
  router.removeSub(a);
  expect(seen).toEqual(["add a", "remove a"]);
});

test("interest: an unsubscribed listener hears nothing more, others still do", () => {
  const router = new Router(true, 1 << 20);
  const first = record(router);
  const second = record(router);
  router.addSub(sub("x"));
  first.stop();
  router.addSub(sub("y"));
  expect(first.seen).toEqual(["add x"]);
  expect(second.seen).toEqual(["add x", "add y"]);
});
