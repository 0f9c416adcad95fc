/**
 * The route protocol on a Connection (nats-server 2.9.10's client with kind ROUTER), either side: the peer's
 * RS+/RS- become router subscriptions standing for its clients' interest, local interest goes out as
 * RS+/RS-, messages cross as RMSG/HMSG, each naming its account: one route carries every account, as in
 * 2.9 (the route itself is $G's share, a RouteLane each other account's). A message that came over a route
 * never goes to another route (the mesh is full, one hop): route links share an origin, which the router's
 * no-echo honours.
 */
import { GLOBAL_ACCOUNT } from "../account/registry.ts";
import type { Connection } from "../connection/connection.ts";
import { dropPeerSubs, followInterest, removePeerSub } from "../link/lane.ts";
import type { MsgOps } from "../link/lmsg.ts";
import { type InterestLane, NO_QUEUES, RemoteLink, type RemoteLinkHost, splitArgs } from "../link/remote_link.ts";
import { InterestMap } from "../link/smap.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { PubArg } from "../protocol/parser.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Router } from "../routing/router.ts";
import type { Subscription } from "../routing/subscription.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function routeOps(account: string): MsgOps {
  return { plain: encoder.encode(`RMSG ${account} `), headers: encoder.encode(`HMSG ${account} `) };
}

const ROUTE_OPS = routeOps(GLOBAL_ACCOUNT);

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
  /** It told us it is in lame duck mode: its client URLs are no longer offered. */
  lameDuck?: boolean;
}

/** What a route connection needs from the routes service. */
export interface RouteLinkHost extends RemoteLinkHost {
  readonly clusterName: string;
  /** The peer's first INFO: the service checks it (self, cluster, duplicate) and may activate the route. */
  routeInfo(route: RouteConn, info: Record<string, unknown>): void;
  /** An INFO on a route already set up: gossip about another server. */
  gossip(route: RouteConn, info: Record<string, unknown>): void;
  /** The accepting side's CONNECT check. */
  routeConnect(route: RouteConn, arg: string): void;
  /** The route's TLS handshake is done. */
  tlsReady(route: RouteConn): void;
  /** Every account other than $G, whose interest and messages the route also carries. */
  otherAccounts(): { readonly name: string; readonly router: Router }[];
  /** Loads an account a peer names that is not here yet (its lane is added as it registers); false: unknown. */
  loadAccount(name: string): boolean;
  closed(route: RouteConn): void;
}

export class RouteConn extends RemoteLink<RouteLinkHost> {
  readonly checksDelivery = false;
  gotInfo = false;
  gotConnect = false;
  peer: RoutePeer = { id: "", name: "", cluster: "", headers: false, url: "", connectUrls: [], wsConnectUrls: [], info: {} };
  protected readonly advertised = new InterestMap("RS", `${GLOBAL_ACCOUNT} `);
  protected readonly ops = ROUTE_OPS;
  /** The other accounts' shares of this route, by account name. */
  private readonly lanes = new Map<string, RouteLane>();

  constructor(
    link: Connection,
    host: RouteLinkHost,
    /** true on the side that dialled. */
    readonly solicited: boolean,
    /** The configured URL it was dialled for (explicit), or the gossiped one (implicit); "" when accepted. */
    readonly url: string,
    readonly configured: boolean,
  ) {
    super(link, host, "route");
  }

  /** Every route shares the cluster's name as its origin, so the router never forwards route to route. */
  get origin(): string {
    return this.host.clusterName;
  }

  protected get peerHeaders(): boolean {
    return this.peer.headers;
  }

  /** The route is registered: send our interest and follow it from now on. */
  activate(peer: RoutePeer): void {
    this.peer = peer;
    this.active = true;
    this.parser.awaitingConnect = false;
    this.host.log.notice(`${this.traceId} - Route connection created`);
    this.advertiseInterest(null);
    for (const acc of this.host.otherAccounts()) this.addLane(acc.name, acc.router);
  }

  /** Carries one more account on this route: its interest goes out now and as it changes. */
  addLane(account: string, router: Router): void {
    if (!this.active || this.lanes.has(account)) return;
    const lane = new RouteLane(this, account, router);
    this.lanes.set(account, lane);
    for (const line of lane.start()) this.sendLine(line);
    this.link.flush();
  }

  /**
   * Stops carrying the accounts `keep` turns down (a reload removed them): the peer is told our interest in
   * each is gone, and its interest in them leaves their routers.
   */
  dropLanes(keep: (account: string) => boolean): void {
    let sent = false;
    for (const [account, lane] of this.lanes) {
      if (keep(account)) continue;
      this.lanes.delete(account);
      for (const line of lane.withdraw()) {
        this.sendLine(line);
        sent = true;
      }
    }
    if (sent) this.link.flush();
  }

  protected forwards(sub: Subscription): boolean {
    return forwardsToRoutes(sub);
  }

  protected linkClosed(): void {
    for (const lane of this.lanes.values()) lane.close();
    this.lanes.clear();
    this.host.closed(this);
  }

  /** The peer's subscriptions in every account, for /routez. */
  *allPeerSubs(): Iterable<Subscription> {
    yield* this.peerSubs.values();
    for (const lane of this.lanes.values()) yield* lane.peerSubs.values();
  }

  onTLSReady(): void {
    this.host.tlsReady(this);
  }

  // ---- ParserHandler --------------------------------------------------------------------------------------

  /** RS+ <account> <subject> [<queue> <weight>] */
  processSub(arg: string): void {
    if (this.host.log.trace) this.traceIn("RS+", arg);
    if (!this.active) throw new ProtocolError(null, true, "RS+ before the route was set up");
    const args = splitArgs(arg);
    if (args.length !== 2 && args.length !== 4) throw new ProtocolError(null, true, `processRemoteSub Parse Error: ${JSON.stringify(arg)}`);
    // An account this server has not loaded yet (operator mode) is looked up, as nats-server does for RS+.
    const lane = this.laneOf(args[0]!) ?? (this.host.loadAccount(args[0]!) ? this.laneOf(args[0]!) : null);
    if (lane === null) {
      this.host.log.debugf(`${this.traceId} - Unknown account ${JSON.stringify(args[0])} for remote subject ${JSON.stringify(args[1])}`);
      return;
    }
    this.addPeerSub(args[1]!, args[2] ?? null, args[3], "route", lane);
  }

  /** The share of the route for an account: itself for $G, a lane for another, null for one we lack. */
  private laneOf(account: string): InterestLane | null {
    return account === GLOBAL_ACCOUNT ? this : (this.lanes.get(account) ?? null);
  }

  /** RS- <account> <subject> [<queue>] */
  processUnsub(arg: string): void {
    if (this.host.log.trace) this.traceIn("RS-", arg);
    const args = splitArgs(arg);
    const lane = this.laneOf(args[0] ?? "");
    if (lane !== null) this.removePeerSub(args.slice(1).join(" "), lane);
  }

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    const subject = this.messageIn(pa);
    if (this.host.log.trace) this.traceIn(pa.hdr >= 0 ? "HMSG" : "RMSG", `${subject} ${pa.size}`);
    if (!this.active) return;
    if (isGlobalAccount(pa)) {
      this.router.route(this, subject, pa, buf, start, subject, this.queuesOf(pa));
      return;
    }
    const lane = this.lanes.get(decoder.decode(pa.buf.subarray(pa.accStart, pa.accEnd)));
    lane?.router.route(lane, subject, pa, buf, start, subject, this.queuesOf(pa));
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

  processErr(arg: string): void {
    this.host.log.error(`${this.traceId} - Router Error ${arg}`);
  }

  // ---- Endpoint -------------------------------------------------------------------------------------------

  admitDelivery(): boolean {
    return true;
  }
}

const G = encoder.encode(GLOBAL_ACCOUNT);

function isGlobalAccount(pa: PubArg): boolean {
  if (pa.accEnd - pa.accStart !== G.length) return false;
  for (let i = 0; i < G.length; i++) if (pa.buf[pa.accStart + i] !== G[i]) return false;
  return true;
}

/** Local interest goes to routes, and leaf links' interest too; what a route told us never goes to another. */
function forwardsToRoutes(sub: Subscription): boolean {
  return !(sub.client instanceof RouteConn || sub.client instanceof RouteLane);
}

/**
 * One account's share of a route other than $G's (nats-server 2.9 multiplexes accounts on one route): the
 * peer's interest in the account as subscriptions on its router, the account's interest advertised as
 * `RS+ <account> ...`, its messages written as `RMSG <account> ...` on the route's connection.
 */
export class RouteLane implements InterestLane {
  readonly remote = true;
  routeMark = 0;
  readonly routeQueues: string[] = [];
  readonly matchCache = new MatchCache();
  readonly opts = { echo: false, noResponders: false };
  readonly checksDelivery = false;
  readonly peerSubs = new Map<string, Subscription>();
  private readonly advertised: InterestMap;
  private readonly ops: MsgOps;
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly route: RouteConn,
    readonly account: string,
    readonly router: Router,
  ) {
    this.advertised = new InterestMap("RS", `${account} `);
    this.ops = routeOps(account);
  }

  get cid(): number {
    return this.route.cid;
  }

  get closed(): boolean {
    return this.route.closed;
  }

  get link(): Connection {
    return this.route.link;
  }

  get origin(): string {
    return this.route.origin;
  }

  /** Follows the account's interest from now on; returns the initial RS+ lines. */
  start(): string[] {
    const followed = followInterest(this.router, this.advertised, forwardsToRoutes, (line) => this.route.sendLine(line), () => this.closed);
    this.unwatch = followed.stop;
    return followed.lines;
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = null;
    dropPeerSubs(this.router, this.peerSubs);
  }

  /** Closes the lane while the route stays: returns the RS- lines that withdraw what it advertised. */
  withdraw(): string[] {
    this.close();
    return this.advertised.withdrawAll();
  }

  admitDelivery(): boolean {
    return true;
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array): void {
    this.deliverRemote(pa, payload, 0, "", NO_QUEUES);
  }

  deliverRemote(pa: PubArg, buf: Uint8Array, start: number, subject: string, queues: readonly string[]): void {
    this.route.writeMsg(pa, buf, start, subject, queues, this.ops);
  }

  deliverNoResponders(): void {}

  removeSub(sub: Subscription): void {
    removePeerSub(this.router, this.peerSubs, sub);
  }
}
