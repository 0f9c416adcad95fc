// What accounts add to a publish, in process: `bun bench/accounts_route_bench.ts`. The same message is routed
// to one subscriber (1) straight on the router, as the server did before accounts, (2) through the global
// account's Account.route, as every client publishes now, and (3) through a configured account with subject
// mappings, none matching, (4) through a stream import into another account, and (5) one with a prefix. Cases alternate over rounds so that load on the machine falls on all of them; the
// line per case gives the median msgs/s and its ratio to (1). End-to-end figures with natsbench, natsedge
// beside nats-server: bench/accounts_compare.sh.
import { Account } from "../src/account/account.ts";
import { StreamImport } from "../src/account/imports.ts";
import { SubjectMappings } from "../src/account/mapping.ts";
import type { PubArg } from "../src/protocol/parser.ts";
import type { Endpoint, Publisher } from "../src/routing/endpoint.ts";
import { MatchCache } from "../src/routing/match_cache.ts";
import { Router } from "../src/routing/router.ts";
import { Subscription } from "../src/routing/subscription.ts";

const MSGS = 2_000_000;
const ROUNDS = 15;
const encoder = new TextEncoder();

class Counter implements Endpoint {
  readonly cid = 1;
  readonly closed = false;
  readonly opts = { echo: true, noResponders: false };
  readonly checksDelivery = false;
  readonly link = null;
  n = 0;
  admitDelivery(): boolean {
    return true;
  }
  deliver(): void {
    this.n++;
  }
  deliverNoResponders(): void {}
  removeSub(): void {}
}

function publisher(): Publisher {
  return { ...new Counter(), cid: 2, matchCache: new MatchCache(), admitDelivery: () => true, deliver: () => {}, deliverNoResponders: () => {}, removeSub: () => {} };
}

function setup(): { router: Router; sink: Counter } {
  const router = new Router(true, 1 << 30);
  const sink = new Counter();
  router.addSub(new Subscription(sink, "bench.subject", null, "1"));
  return { router, sink };
}

const subject = "bench.subject";
const line = encoder.encode(`${subject} 128\r\n`);
const payload = new Uint8Array(130);
payload[128] = 13;
payload[129] = 10;
const pa: PubArg = { buf: line, subjStart: 0, subjEnd: subject.length, replyStart: subject.length, replyEnd: subject.length, hdr: -1, size: 128, accStart: 0, accEnd: 0, queues: [] };

type Case = { name: string; run: () => number };

function direct(): Case {
  const { router, sink } = setup();
  const pub = publisher();
  return { name: "router.route (before accounts)", run: () => {
    for (let i = 0; i < MSGS; i++) router.route(pub, subject, pa, payload, 0);
    return sink.n;
  } };
}

function viaAccount(name: string, mapped: boolean): Case {
  const { router, sink } = setup();
  const acc = new Account(name, router, () => {});
  if (mapped) {
    const m = new SubjectMappings();
    m.add("other.*", [{ destination: "mapped.$1", weight: 100 }], undefined);
    m.add("elsewhere", [{ destination: "x", weight: 50 }], undefined);
    acc.mappings = m;
  }
  const pub = publisher();
  return { name: mapped ? `account ${name} with 2 mappings` : `account ${name} (Account.route)`, run: () => {
    for (let i = 0; i < MSGS; i++) acc.route(pub, subject, pa, payload, 0);
    return sink.n;
  } };
}

/** Published in A, received in B through a stream import, renamed (`prefix`) or not. */
function viaImport(prefix: string | null): Case {
  const exporter = new Account("A", new Router(true, 1 << 30), () => {});
  const { router, sink } = setup();
  const importer = new Account("B", router, () => {});
  const to = prefix === null ? subject : `${prefix}.${subject}`;
  if (prefix !== null) router.addSub(new Subscription(sink, to, null, "2"));
  new StreamImport(exporter, importer, "bench.>", prefix === null ? "bench.>" : `${prefix}.bench.>`);
  const pub = publisher();
  return { name: prefix === null ? "stream import A -> B" : "stream import A -> B, prefix", run: () => {
    for (let i = 0; i < MSGS; i++) exporter.route(pub, subject, pa, payload, 0);
    return sink.n;
  } };
}

const cases = [direct(), viaAccount("$G", false), viaAccount("A", true), viaImport(null), viaImport("p")];
const rates: number[][] = cases.map(() => []);
for (let r = 0; r < ROUNDS + 1; r++) {
  cases.forEach((c, i) => {
    const t0 = performance.now();
    c.run();
    const ms = performance.now() - t0;
    if (r > 0) rates[i]!.push(MSGS / (ms / 1000));
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(rates[0]!);
for (let i = 0; i < cases.length; i++) {
  const m = median(rates[i]!);
  console.log(`${cases[i]!.name.padEnd(40)} ${(m / 1e6).toFixed(2)}M msgs/s  ratio ${(m / base).toFixed(3)}`);
}
