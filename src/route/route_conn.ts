/**
 * The route protocol on a Connection (nats-server 2.9.10's client with kind ROUTER), either side: the peer's
 * RS+/RS- become router subscriptions standing for its clients' interest, local interest goes out as
 * RS+/RS- for the $G account, messages cross as RMSG/HMSG. A message that came over a route never goes to
 * another route (the mesh is full, one hop): route links share an origin, which the router's no-echo honours.
 */
import { GLOBAL_ACCOUNT } from "../account/registry.ts";
import type { Connection } from "../connection/connection.ts";
import type { MsgOps } from "../link/lmsg.ts";
import { RemoteLink, type RemoteLinkHost, splitArgs } from "../link/remote_link.ts";
import { InterestMap } from "../link/smap.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Subscription } from "../routing/subscription.ts";


const encoder = new TextEncoder();
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
  closed(route: RouteConn): void;
}

export class RouteConn extends RemoteLink<RouteLinkHost> {
  readonly checksDelivery = false;
  gotInfo = false;
  gotConnect = false;
  peer: RoutePeer = { id: "", name: "", cluster: "", headers: false, url: "", connectUrls: [], wsConnectUrls: [], info: {} };
  protected readonly advertised = new InterestMap("RS", `${GLOBAL_ACCOUNT} `);
  protected readonly ops = ROUTE_OPS;

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

  get subscriptionCount(): number {
    return this.peerSubs.size;
  }

  /** The route is registered: send our interest and follow it from now on. */
  activate(peer: RoutePeer): void {
    this.peer = peer;
    this.active = true;
    this.parser.awaitingConnect = false;
    this.host.log.notice(`${this.traceId} - Route connection created`);
    this.advertiseInterest(null);
  }

  /** Local interest goes to routes, and leaf links' interest too; what a route told us never goes to another. */
  protected forwards(sub: Subscription): boolean {
    return !(sub.client instanceof RouteConn);
  }

  protected linkClosed(): void {
    this.host.closed(this);
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
    if (args[0] !== GLOBAL_ACCOUNT) return;
    this.addPeerSub(args[1]!, args[2] ?? null, args[3], "route");
  }

  /** RS- <account> <subject> [<queue>] */
  processUnsub(arg: string): void {
    if (this.host.log.trace) this.traceIn("RS-", arg);
    const args = splitArgs(arg);
    if (args[0] !== GLOBAL_ACCOUNT) return;
    this.removePeerSub(args.slice(1).join(" "));
  }

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    const subject = this.messageIn(pa);
    if (this.host.log.trace) this.traceIn(pa.hdr >= 0 ? "HMSG" : "RMSG", `${subject} ${pa.size}`);
    if (!this.active || !isGlobalAccount(pa)) return;
    this.router.route(this, subject, pa, buf, start, subject, this.queuesOf(pa));
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
