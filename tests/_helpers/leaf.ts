/**
 * Leaf node tests: free ports for listeners that must come back on the same port, /leafz of either server,
 * and waiting on conditions that only show through polling (interest that crossed a link), with a deadline.
 */
import net from "node:net";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { TestServer } from "./server.ts";
import { LEAFNODES } from "../../src/server/builtin_services.ts";

/**
 * Below Linux's ephemeral range (32768-60999): a port the kernel picked for `listen(0)` is the kind it next
 * hands to some process's outgoing connection or `port: -1` listener, which then takes it before the server
 * the test configured binds it ("Failed to listen"). Out of that range only another freePort can race.
 */
const FREE_PORT_MIN = 20_000;
const FREE_PORT_SPAN = 12_768;

function bindable(port: number): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** Ports handed out lately: a test often takes several before starting anything that binds them. */
const recent: number[] = [];

/** A loopback TCP port that was free a moment ago, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = FREE_PORT_MIN + Math.floor(Math.random() * FREE_PORT_SPAN);
    if (recent.includes(port) || !(await bindable(port))) continue;
    recent.push(port);
    if (recent.length > 256) recent.shift();
    return port;
  }
  throw new Error(`no free port in ${FREE_PORT_MIN}-${FREE_PORT_MIN + FREE_PORT_SPAN - 1} after 100 tries`);
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
