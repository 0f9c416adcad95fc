// The route and leaf message paths in one process, without sockets: `bun bench/link_path_bench.ts [MSGS]`
// (SIZES="128 1024" by default, CASES="route pub,route recv,leaf pub,leaf recv" to pick some).
// Four cases, each at 128 B and 1 KiB: a client's PUBs parsed and written out as RMSG (route "pub") or LMSG
// (leaf "pub") to a link, and a link's RMSG/LMSG parsed and written out as MSG to a subscribed client
// ("recv"). The real Client, RouteConn, LeafConn, Router and Connection run on sockets that take every write;
// input is fed in 64 KiB reads as a socket would deliver it. Prints CPU µs per message (user+sys of the
// process, GC threads included) and wall ns per message: what the JavaScript side of bench/cpu_per_msg.sh
// costs, without the kernel's share and without the noise of a loaded machine's scheduling.
import { Client } from "../src/client/client.ts";
import type { ClientAccount, ClientHost } from "../src/client/host.ts";
import { defaultOptions } from "../src/config/options.ts";
import { Connection, type ConnectionHost } from "../src/connection/connection.ts";
import { LeafConn, type LeafLinkHost } from "../src/leaf/leaf_conn.ts";
import { Logger } from "../src/log/logger.ts";
import { Kind } from "../src/protocol/kind.ts";
import { RouteConn, type RouteLinkHost } from "../src/route/route_conn.ts";
import { Router } from "../src/routing/router.ts";
import type { Conn } from "../src/runtime/types.ts";

const MSGS = Number(process.argv[2] ?? 2_000_000);
const READ = 64 * 1024;
const SUBJECT = "bench.pubsub";

const options = defaultOptions();
const log = new Logger({ debug: false, trace: false, logtime: false, logtimeUTC: false, pid: process.pid, sink: () => {} } as never);
const dirty: Connection[] = [];
const flushPending = () => {
  for (let i = 0; i < dirty.length; i++) {
    dirty[i]!.flushQueued = false;
    dirty[i]!.flush();
  }
  dirty.length = 0;
};
const connHost: ConnectionHost = {
  options, log, slowConsumers: 0, stallThreshold: 4 * 1024 * 1024,
  queueFlush(c) { c.flushQueued = true; dirty.push(c); },
  connectionClosed() {},
};

/** A socket that takes every byte at once. */
function sink(): Conn {
  return {
    write: (d) => d.length, pause() {}, resume() {}, startTLS() {}, startClientTLS() {}, end() {}, destroy() {},
    remoteAddress: "127.0.0.1", remotePort: 1,
  };
}

let cid = 0;
function clientOn(router: Router): Client {
  const account: ClientAccount = {
    name: "$G",
    route: (from, subject, pa, buf, start) => router.route(from, subject, pa, buf, start),
    addSub: (s) => router.addSub(s),
    removeSub: (s) => router.removeSub(s),
  };
  const host: ClientHost = {
    options, log, accountFor: () => account, clientConnected() {}, authenticate: () => ({ ok: true }) as never,
    queueFlush: connHost.queueFlush, flushPending, maxConnectionsReached: () => false, infoFor: () => new Uint8Array(0),
  };
  const c = new Client(new Connection(++cid, sink(), connHost, Kind.CLIENT), host);
  c.opts = { ...c.opts, verbose: false, pedantic: false };
  c.connected = true;
  return c;
}

function routeOn(router: Router): RouteConn {
  const host = {
    options, log, router, flushPending, clusterName: "bench", otherAccounts: () => [], loadAccount: () => false,
    routeInfo() {}, gossip() {}, routeConnect() {}, tlsReady() {}, closed() {},
  } as unknown as RouteLinkHost;
  const r = new RouteConn(new Connection(++cid, sink(), connHost, Kind.ROUTER), host, false, "", false);
  r.activate({ id: "NB", name: "b", cluster: "bench", headers: true, url: "", connectUrls: [], wsConnectUrls: [], info: {} });
  return r;
}

function leafOn(router: Router): LeafConn {
  const host = { options, log, router, flushPending, lds: "$LDS.bench", linkUp() {} } as unknown as LeafLinkHost;
  const handshake = { info() {}, connect() {}, closed() {} };
  const l = new LeafConn(new Connection(++cid, sink(), connHost, Kind.LEAF), host, handshake, true, true);
  l.activate({ id: "NH", name: "hub", cluster: "hub", headers: true });
  return l;
}

/** `count` frames of `head` + payload + CRLF in one buffer. */
function frames(head: string, size: number, count: number): Uint8Array {
  const h = new TextEncoder().encode(head);
  const one = new Uint8Array(h.length + size + 2);
  one.set(h, 0);
  for (let i = 0; i < size; i++) one[h.length + i] = 97 + (i % 26);
  one[one.length - 2] = 13;
  one[one.length - 1] = 10;
  const all = new Uint8Array(one.length * count);
  for (let f = 0; f < count; f++) all.set(one, f * one.length);
  return all;
}

/** Feeds `msgs` messages of `stream` (`perStream` frames) to onData in READ-sized reads; returns CPU µs and wall ns per message. */
function run(onData: (d: Uint8Array) => void, stream: Uint8Array, perStream: number, msgs: number): { cpu: number; wall: number } {
  const rounds = Math.max(1, Math.round(msgs / perStream));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    // A fresh copy per read, as the socket hands over a new buffer each time.
    for (let o = 0; o < stream.length; o += READ) onData(stream.slice(o, Math.min(o + READ, stream.length)));
  }
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const n = rounds * perStream;
  return { cpu: (c.user + c.system) / n, wall: (wall * 1e6) / n };
}

const SIZES = (process.env.SIZES ?? "128 1024").split(" ").filter(Boolean).map(Number);
const CASES = (process.env.CASES ?? "route pub,route recv,leaf pub,leaf recv").split(",");

function bench(name: string, size: number, setup: () => { onData: (d: Uint8Array) => void; head: string }): void {
  if (!CASES.includes(name)) return;
  const { onData, head } = setup();
  const perStream = Math.floor((4 * 1024 * 1024) / (head.length + size + 2));
  const stream = frames(head, size, perStream);
  run(onData, stream, perStream, Math.min(MSGS, 500_000)); // warm-up: let the JIT compile the path
  const results = [0, 1, 2].map(() => run(onData, stream, perStream, MSGS)).sort((a, b) => a.cpu - b.cpu);
  const m = results[1]!;
  console.log(`${name.padEnd(10)} ${String(size).padStart(5)} B  ${m.cpu.toFixed(3)} µs CPU/msg  ${m.wall.toFixed(0)} ns wall/msg`);
}

for (const size of SIZES) {
  bench("route pub", size, () => {
    const router = new Router(true, connHost.stallThreshold);
    const route = routeOn(router);
    route.processSub(`$G ${SUBJECT}`);
    const pub = clientOn(router);
    return { onData: (d) => pub.onData(d), head: `PUB ${SUBJECT} ${size}\r\n` };
  });
  bench("route recv", size, () => {
    const router = new Router(true, connHost.stallThreshold);
    const sub = clientOn(router);
    sub.processSub(`${SUBJECT} 1`);
    const route = routeOn(router);
    return { onData: (d) => route.onData(d), head: `RMSG $G ${SUBJECT} ${size}\r\n` };
  });
  bench("leaf pub", size, () => {
    const router = new Router(true, connHost.stallThreshold);
    const leaf = leafOn(router);
    leaf.processSub(SUBJECT);
    const pub = clientOn(router);
    return { onData: (d) => pub.onData(d), head: `PUB ${SUBJECT} ${size}\r\n` };
  });
  bench("leaf recv", size, () => {
    const router = new Router(true, connHost.stallThreshold);
    const sub = clientOn(router);
    sub.processSub(`${SUBJECT} 1`);
    const leaf = leafOn(router);
    return { onData: (d) => leaf.onData(d), head: `LMSG ${SUBJECT} ${size}\r\n` };
  });
}

// The links' ping timers would keep the process alive (and hold the printed lines back when stdout is a file).
process.exit(0);
