import { expect, test } from "bun:test";
import { Router } from "../../../src/routing/router.ts";
import { Subscription } from "../../../src/routing/subscription.ts";
import type { Endpoint } from "../../../src/routing/endpoint.ts";

const endpoint = {} as Endpoint;
const sub = (subject: string, queue: string | null = null) => new Subscription(endpoint, subject, queue, "1");
const tick = () => new Promise<void>((r) => queueMicrotask(r));

test("watchInterest notifies once, after a matching subscription (plain, wildcard or queue) is added", async () => {
  const router = new Router(true, 1 << 20);
  const seen: string[] = [];
  router.watchInterest("deliver.a", () => seen.push("a"));
  router.watchInterest("deliver.b", () => seen.push("b"));
  router.watchInterest("deliver.c", () => seen.push("c"));
  router.addSub(sub("other"));
  router.addSub(sub("deliver.*"));
  expect(seen).toEqual([]); // not from inside addSub
  await tick();
  expect(seen.sort()).toEqual(["a", "b", "c"]);
  router.addSub(sub("deliver.a"));
  await tick();
  expect(seen).toHaveLength(3);

  router.watchInterest("q.x", () => seen.push("q"));
  router.addSub(sub("q.>", "workers"));
  await tick();
  expect(seen).toContain("q");
});

test("a cancelled watch is never notified", async () => {
  const router = new Router(true, 1 << 20);
  let n = 0;
  const cancel = router.watchInterest("x.y", () => n++);
  cancel();
  router.addSub(sub("x.y"));
  await tick();
  expect(n).toBe(0);
});
