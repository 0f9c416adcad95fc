/**
 * Leaf node tests: free ports for listeners that must come back on the same port, /leafz of either server,
 * and waiting on conditions that only show through polling (interest that crossed a link), with a deadline.
 */
import net from "node:net";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { TestServer } from "./server.ts";
import { LEAFNODES } from "../../src/server/builtin_services.ts";

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `cond` every 20 ms until it holds; rejects after `ms` naming `what`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface LeafzEntry {
  account: string;
  ip: string;
  port: number;
  rtt?: string;
  subscriptions: number;
  subscriptions_list?: string[];
  in_msgs: number;
  out_msgs: number;
}

/** /leafz?subs=1 of a nats-server started with `http: 127.0.0.1:<port>`. */
export async function httpLeafz(httpPort: number): Promise<LeafzEntry[]> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/leafz?subs=1`);
  const j = (await r.json()) as { leafs: LeafzEntry[] | null };
  return j.leafs ?? [];
}

/** /leafz?subs=1 of an in-process natsedge, read from its leaf node service. */
export function edgeLeafz(srv: TestServer): LeafzEntry[] {
  return srv.server.services.get(LEAFNODES)?.leafz(true) ?? [];
}

/** Whether any leaf connection in `leafs` carries interest on `key` (`subject` or `subject queue`). */
export function hasInterest(leafs: LeafzEntry[], key: string): boolean {
  return leafs.some((l) => l.subscriptions_list?.includes(key));
}

/**
 * Publishes on `subject` every 50 ms until `sub` receives one (interest may still be crossing the link),
 * then returns what arrived. Proves end-to-end delivery without relying on how interest is reported.
 */
export async function publishUntilReceived(pub: NatsConnection, sub: Subscription, subject: string, data: string, ms = 10_000): Promise<string> {
  const it = sub[Symbol.asyncIterator]();
  const got = it.next();
  const deadline = Date.now() + ms;
  let done = false;
  void got.then(() => {
    done = true;
  });
  while (!done) {
    if (Date.now() > deadline) throw new Error(`nothing received on ${subject}`);
    pub.publish(subject, data);
    await pub.flush();
    await Promise.race([got, new Promise((r) => setTimeout(r, 50))]);
  }
  const m = await got;
  return m.value!.string();
}
