/**
 * The route protocol on a Connection (nats-server 2.9.10's client with kind ROUTER), either side: the peer's
 * RS+/RS- become router subscriptions standing for its clients' interest, local interest goes out as
 * RS+/RS- for the $G account, messages cross as RMSG/HMSG. A message that came over a route never goes to
 * another route (the mesh is full, one hop): route links share an origin, which the router's no-echo honours.
 */
import type { ServerOptions } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection, ConnProtocol } from "../connection/connection.ts";
import { ParsedInput } from "../connection/parsed_input.ts";
import { type MsgOps, sameSubject, writeLeafMsg } from "../leaf/lmsg.ts";
import { InterestMap, keyOf } from "../leaf/smap.ts";
import type { Logger } from "../log/logger.ts";
import { PONG } from "../protocol/encode.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { LastSubject } from "../protocol/last_subject.ts";
import { Parser, type ParserHandler, type PubArg } from "../protocol/parser.ts";
import type { RemoteEndpoint } from "../routing/endpoint.ts";
import type { InterestOp } from "../routing/interest.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Router } from "../routing/router.ts";
import { Subscription } from "../routing/subscription.ts";

/** Outbound bytes at which the link is written at once rather than at the end of the read cycle. */
const FLUSH_AT = 64 * 1024;
/** The only account natsedge has until accounts land. */
export const GLOBAL_ACCOUNT = "$G";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NO_QUEUES: readonly string[] = [];
const ROUTE_OPS: MsgOps = { plain: encoder.encode(`RMSG ${GLOBAL_ACCOUNT} `), headers: encoder.encode(`HMSG ${GLOBAL_ACCOUNT} `) };

/** Who is on the other side, from its INFO. */
export interface RoutePeer {
  id: string;
  name: string;
  cluster: string;
  headers: boolean;
  /** Its route URL, as it advertised it or as we reach it (`nats-route://host:port/`). */
  url: string;
  /** Its client URLs, for our clients' connect_urls. */
  connectUrls: string[];
  /** Its WebSocket URLs (ws_connect_urls), for our WebSocket clients' connect_urls. */
  wsConnectUrls: string[];
  /** The INFO it sent, forwarded to the other routes so they connect to it (gossip). */
  info: Record<string, unknown>;
}

/** What a route connection needs from the routes service. */
export interface RouteLinkHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly router: Router;
  readonly clusterName: string;
  flushPending(): void;
  /** The peer's first INFO: the service checks it (self, cluster, duplicate) and may activate the route. */
  routeInfo(route: RouteConn, info: Record<string, unknown>): void;
  /** An INFO on a route already set up: gossip about another server. */
  gossip(route: RouteConn, info: Record<string, unknown>): void;
  /** The accepting side's CONNECT check. */
  routeConnect(route: RouteConn, arg: string): void;
  closed(route: RouteConn): void;
}

export class RouteConn implements ParserHandler, ConnProtocol, RemoteEndpoint {
  readonly remote = true;
  routeMark = 0;
  readonly routeQueues: string[] = [];
  readonly matchCache = new MatchCache();
  readonly opts = { echo: false, noResponders: false };
  readonly checksDelivery = false;
  readonly parser: Parser;
  active = false;
  gotInfo = false;
  gotConnect = false;
  peer: RoutePeer = { id: "", name: "", cluster: "", headers: false, url: "", connectUrls: [], wsConnectUrls: [], info: {} };
  /** The peer's interest, by key (`subject` or `subject queue`). */
  readonly peerSubs = new Map<string, Subscription>();
  private readonly advertised = new InterestMap("RS", `${GLOBAL_ACCOUNT} `);
  private unwatch: (() => void) | null = null;
  private readonly lastSubject = new LastSubject();
  private readonly input: ParsedInput;
  private rttStart = 0;
  rtt = 0;

  constructor(
    readonly link: Connection,
    readonly host: RouteLinkHost,
    /** true on the side that dialled. */
    readonly solicited: boolean,
    /** The configured URL it was dialled for (explicit), or the gossiped one (implicit); "" when accepted. */
    readonly url: string,
    readonly configured: boolean,
  ) {
    link.proto = this;
    this.parser = new Parser(this, host.options.max_payload, host.options.max_control_line, link.kind);
    this.input = new ParsedInput(this.parser, link, (err) => link.protocolError(err, "route"), () => host.flushPending());
  }

  get cid(): number {
    return this.link.cid;
  }

  get closed(): boolean {
    return this.link.closed;
  }

  get traceId(): string {
    return this.link.traceId;
  }

  /** Every route shares the cluster's name as its origin, so the router never forwards route to route. */
  get origin(): string {
    return this.host.clusterName;
  }

  get subscriptionCount(): number {
    return this.peerSubs.size;
  }

  /** The route is registered: send our interest and follow it from now on. */
  activate(peer: RoutePeer): void {
    this.peer = peer;
    this.active = true;
    this.parser.awaitingConnect = false;
    this.host.log.notice(`${this.traceId} - Route connection created`);
    this.link.startPings();
    this.rttStart = performance.now();
    this.sendLine("PING");
    this.unwatch = this.host.router.interest.subscribe((op, sub) => this.onInterest(op, sub));
    const local = this.host.router.sublist.all().filter((sub) => forwards(sub));
    for (const line of this.advertised.addAll(local)) this.sendLine(line);
    this.link.flush();
  }

  refuse(err: string, reason: CloseReason): void {
    this.link.sendErr(err);
    this.link.closeAfterFlush(reason);
  }

  private onInterest(op: InterestOp, sub: Subscription): void {
    if (this.closed) return;
    const line = op === "remove" ? this.advertised.remove(sub) : forwards(sub) ? this.advertised.add(sub) : null;
    if (line !== null) this.sendLine(line);
  }

  sendLine(line: string): void {
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [${line}]`);
    this.link.enqueue(encoder.encode(`${line}\r\n`));
  }

  // ---- ConnProtocol ---------------------------------------------------------------------------------------

  onData(data: Uint8Array): void {
    this.input.feed(data);
  }

  /** Parsing goes on after an asynchronous CONNECT check, with what arrived meanwhile. */
  resume(): void {
    this.parser.suspended = false;
    if (!this.closed) this.input.resume();
  }

  onClose(): void {
    this.unwatch?.();
    this.unwatch = null;
    for (const sub of this.peerSubs.values()) this.host.router.removeSub(sub);
    this.peerSubs.clear();
    this.host.closed(this);
  }

  // ---- ParserHandler --------------------------------------------------------------------------------------

  private traceIn(op: string, arg: string): void {
    this.host.log.tracef(`${this.traceId} - <<- [${op}${arg ? " " + arg : ""}]`);
  }

  processPubArgs(): void {}

  /** RS+ <account> <subject> [<queue> <weight>] */
  processSub(arg: string): void {
    if (this.host.log.trace) this.traceIn("RS+", arg);
    if (!this.active) throw new ProtocolError(null, true, "RS+ before the route was set up");
    const args = splitArgs(arg);
    if (args.length !== 2 && args.length !== 4) throw new ProtocolError(null, true, `processRemoteSub Parse Error: ${JSON.stringify(arg)}`);
    if (args[0] !== GLOBAL_ACCOUNT) return;
    const subject = args[1]!;
    const queue = args[2] ?? null;
    const key = keyOf({ subject, queue });
    const weight = queue !== null ? Math.max(1, Number(args[3]) | 0) : 1;
    const known = this.peerSubs.get(key);
    if (known !== undefined) {
      known.weight = weight;
      return;
    }
    const sub = new Subscription(this, subject, queue, key);
    sub.weight = weight;
    if (!this.host.router.addSub(sub)) {
      this.host.log.error(`${this.traceId} - Invalid route subscription subject ${JSON.stringify(subject)}`);
      return;
    }
    this.peerSubs.set(key, sub);
  }

  /** RS- <account> <subject> [<queue>] */
  processUnsub(arg: string): void {
    if (this.host.log.trace) this.traceIn("RS-", arg);
    const args = splitArgs(arg);
    if (args[0] !== GLOBAL_ACCOUNT) return;
    const key = args.slice(1).join(" ");
    const sub = this.peerSubs.get(key);
    if (sub === undefined) return;
    this.peerSubs.delete(key);
    this.host.router.removeSub(sub);
  }

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    const link = this.link;
    link.inMsgs++;
    link.inBytes += pa.size;
    const subject = this.lastSubject.of(pa);
    if (this.host.log.trace) this.traceIn(pa.hdr >= 0 ? "HMSG" : "RMSG", `${subject} ${pa.size}`);
    if (!this.active || !isGlobalAccount(pa)) return;
    const q = pa.queues;
    let queues: readonly string[] = NO_QUEUES;
    if (q.length > 0) {
      const named: string[] = [];
      for (let i = 0; i < q.length; i += 2) named.push(decoder.decode(pa.buf.subarray(q[i]!, q[i + 1]!)));
      queues = named;
    }
    this.host.router.route(this, subject, pa, buf, start, subject, queues);
  }

  processConnect(arg: string): void {
    this.host.routeConnect(this, arg);
  }

  processInfo(info: unknown): void {
    if (info === null || typeof info !== "object" || Array.isArray(info)) throw new ProtocolError(null, true, "processRouteInfo: INFO is not a JSON object");
    const j = info as Record<string, unknown>;
    if (!this.gotInfo) {
      this.gotInfo = true;
      this.host.routeInfo(this, j);
    } else if (this.active) {
      this.host.gossip(this, j);
    }
  }

  processPing(): void {
    if (this.host.log.trace) this.traceIn("PING", "");
    this.link.enqueue(PONG);
  }

  processPong(): void {
    if (this.host.log.trace) this.traceIn("PONG", "");
    this.link.pingsOut = 0;
    if (this.rttStart !== 0) {
      this.rtt = performance.now() - this.rttStart;
      this.rttStart = 0;
    }
  }

  processErr(arg: string): void {
    this.host.log.error(`${this.traceId} - Router Error ${arg}`);
  }

  // ---- Endpoint -------------------------------------------------------------------------------------------

  admitDelivery(): boolean {
    return true;
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array): void {
    this.deliverRemote(pa, payload, "", NO_QUEUES);
  }

  deliverRemote(pa: PubArg, payload: Uint8Array, subject: string, queues: readonly string[]): void {
    if (!this.active) return;
    const link = this.link;
    const out = link.out;
    const routed = subject === "" || sameSubject(subject, pa) ? null : encoder.encode(subject);
    const w = writeLeafMsg(out, pa, payload, queues, this.peer.headers, routed, ROUTE_OPS);
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [${decoder.decode(out.buf.subarray(w.lineStart, w.lineEnd))}]`);
    link.outMsgs++;
    link.outBytes += w.size;
    if (!link.flushQueued) link.host.queueFlush(link);
    if (out.pending >= FLUSH_AT) {
      link.flush();
      if (out.pending > this.host.options.max_pending) link.slowConsumer(CloseReason.slowConsumerPending);
    }
  }

  deliverNoResponders(): void {}

  removeSub(sub: Subscription): void {
    if (this.peerSubs.get(sub.sid) !== sub) return;
    this.peerSubs.delete(sub.sid);
    this.host.router.removeSub(sub);
  }
}

/** Local interest goes to routes, and leaf links' interest too; what a route told us never goes to another. */
function forwards(sub: Subscription): boolean {
  return !(sub.client instanceof RouteConn);
}

const G = encoder.encode(GLOBAL_ACCOUNT);

function isGlobalAccount(pa: PubArg): boolean {
  if (pa.accEnd - pa.accStart !== G.length) return false;
  for (let i = 0; i < G.length; i++) if (pa.buf[pa.accStart + i] !== G[i]) return false;
  return true;
}

function splitArgs(arg: string): string[] {
  return arg.split(/[ \t\r\n]+/).filter((s) => s.length > 0);
}
