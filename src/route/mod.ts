/**
 * The routes service (nats-server 2.9.10's route.go): the cluster listener, a solicitor per configured route,
 * the route set by peer server id, duplicate resolution, gossip of new peers so the full mesh completes, and
 * what /routez and /varz report. It is the ConnectionHost of its routes, so a closing route reaches it.
 */
import { networkInterfaces } from "node:os";
import { checkSecret } from "../auth/password.ts";
import { formatGoDuration } from "../config/_duration.ts";
import type { ServerOptions } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Connection, type ConnectionHost } from "../connection/connection.ts";
import type { Logger } from "../log/logger.ts";
import { infoLine } from "../protocol/encode.ts";
import { ERR, ProtocolError } from "../protocol/errors.ts";
import { Kind } from "../protocol/kind.ts";
import type { Router } from "../routing/router.ts";
import type { Conn, ConnHandler, Listener, Runtime } from "../runtime/types.ts";
import type { RouteHost } from "./host.ts";
import { RouteConn, type RouteLinkHost, type RoutePeer } from "./route_conn.ts";
import { RouteSolicitor } from "./solicit.ts";
import { parseRouteURL, routeHostPort, routeKey, type RouteURL } from "./urls.ts";

export type { RouteHost } from "./host.ts";

/** nats-server's route auth timeout when the authorization block gives none. */
const DEFAULT_ROUTE_AUTH_TIMEOUT_MS = 2000;
/** How often stalled routes are checked against write_deadline (as the server does for clients). */
const DEADLINE_SWEEP_MS = 1000;
const NUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** One route as /routez lists it (nats-server 2.9.10's RouteInfo). */
export interface RouteInfo {
  rid: number;
  remote_id: string;
  remote_name: string;
  did_solicit: boolean;
  is_configured: boolean;
  ip: string;
  port: number;
  start: string;
  last_activity: string;
  rtt: string;
  uptime: string;
  idle: string;
  pending_size: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
}

export class Routes implements ConnectionHost, RouteLinkHost {
  /** Every route connection by cid, from the first byte until it closes. */
  private readonly all = new Map<number, RouteConn>();
  /** Registered routes by the peer's server id: one each. */
  private readonly byId = new Map<string, RouteConn>();
  private readonly solicitors = new Set<RouteSolicitor>();
  private listener: Listener | null = null;
  private infoBase: Record<string, unknown> = {};
  private stopping = false;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  /** Traffic of routes that have closed, so /varz totals never go backwards. */
  private readonly gone = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };
  readonly clusterName: string;
  private readonly configured: Set<string>;

  constructor(readonly srv: RouteHost) {
    this.clusterName = srv.options.cluster?.name ?? nuid();
    this.configured = new Set((srv.options.cluster?.routes ?? []).map(routeKey));
  }

  get options(): ServerOptions {
    return this.srv.options;
  }

  get log(): Logger {
    return this.srv.log;
  }

  get router(): Router {
    return this.srv.router;
  }

  get runtime(): Runtime {
    return this.srv.runtime;
  }

  get stallThreshold(): number {
    return this.srv.stallThreshold;
  }

  get slowConsumers(): number {
    return this.srv.slowConsumers;
  }

  set slowConsumers(n: number) {
    this.srv.slowConsumers = n;
  }

  get listen(): { host: string; port: number } | null {
    return this.listener !== null ? { host: this.host, port: this.listener.port } : null;
  }

  private get host(): string {
    return this.options.cluster?.host ?? this.options.host;
  }

  async start(): Promise<void> {
    const co = this.options.cluster!;
    if (co.tls !== undefined) throw new Error("cluster.tls: natsedge routes do not do TLS yet; remove the block or use leaf nodes with TLS");
    if (co.port !== undefined && co.port !== 0) {
      this.listener = await this.runtime.listen({ host: this.host, port: co.port === -1 ? 0 : co.port, accept: (conn) => this.accept(conn) });
      this.log.notice(`Cluster name is ${this.clusterName}`);
      this.log.notice(`Listening for route connections on ${routeHostPort({ host: this.host, port: this.listener.port })}`);
    }
    if (this.options.jetstream?.enabled) {
      this.log.warn("JetStream on a route member stays local: streams are not replicated to the cluster's other servers; for durability across boxes use leaf nodes with JetStream domains");
    }
    this.infoBase = this.buildInfo();
    this.publishConnectUrls();
    this.sweepTimer = setInterval(() => this.sweepStalled(), DEADLINE_SWEEP_MS);
    for (const r of co.routes ?? []) this.solicit(r, true);
  }

  /** Our client listener as peers' clients should dial it. */
  private get clientUrl(): string {
    const base = this.srv.info;
    return routeHostPort({ host: advertisedHost(String(base.host ?? this.options.host)), port: Number(base.port) });
  }

  /** Our WebSocket listener as peers' WebSocket clients should dial it (its advertise, else host and port). */
  private get websocketUrl(): string | null {
    const ws = this.srv.websocketAddress;
    if (ws === null) return null;
    if (ws.advertise !== undefined) return ws.advertise.includes(":") ? ws.advertise : `${ws.advertise}:${ws.port}`;
    return routeHostPort({ host: advertisedHost(ws.host), port: ws.port });
  }

  /**
   * Our client URL and every peer's, and the same for WebSocket listeners; none with no_advertise, which
   * keeps the cluster from our clients.
   */
  private publishConnectUrls(): void {
    if (this.options.cluster?.no_advertise === true) return;
    const peers = [...this.byId.values()];
    this.srv.setConnectUrls([...new Set([this.clientUrl, ...peers.flatMap((r) => r.peer.connectUrls)])]);
    const own = this.websocketUrl;
    const ws = [...new Set([...(own !== null ? [own] : []), ...peers.flatMap((r) => r.peer.wsConnectUrls)])];
    if (ws.length > 0) this.srv.setWebsocketConnectUrls(ws);
  }

  /** nats-server's routeInfo: what every route INFO carries. */
  private buildInfo(): Record<string, unknown> {
    const co = this.options.cluster!;
    const base = this.srv.info;
    const port = this.listener?.port ?? 0;
    return {
      server_id: base.server_id,
      server_name: base.server_name,
      version: base.version,
      proto: base.proto,
      go: base.go,
      host: this.host,
      port,
      headers: base.headers,
      ...(co.authorization?.user !== undefined ? { auth_required: true } : {}),
      max_payload: base.max_payload,
      ...(base.jetstream === true ? { jetstream: true } : {}),
      ...(co.advertise !== undefined ? { ip: `nats-route://${co.advertise}/` } : {}),
      ...(co.no_advertise === true ? {} : { connect_urls: [this.clientUrl] }),
      ...(co.no_advertise !== true && this.websocketUrl !== null ? { ws_connect_urls: [this.websocketUrl] } : {}),
      cluster: this.clusterName,
      ...(co.name === undefined ? { cluster_dynamic: true } : {}),
      lnoc: true,
    };
  }

  newCid(): number {
    return this.srv.newCid();
  }

  track(route: RouteConn): void {
    this.all.set(route.cid, route);
  }

  connectedTo(id: string): boolean {
    return this.byId.has(id);
  }

  forget(s: RouteSolicitor): void {
    this.solicitors.delete(s);
  }

  private solicit(url: string, explicit: boolean): void {
    if (this.stopping) return;
    const s = new RouteSolicitor(this, url, explicit);
    this.solicitors.add(s);
    s.start();
  }

  // ---- handshake ------------------------------------------------------------------------------------------

  private accept(conn: Conn): ConnHandler {
    const link = new Connection(this.newCid(), conn, this, Kind.ROUTER);
    const route = new RouteConn(link, this, false, "", false);
    this.track(route);
    const auth = this.options.cluster?.authorization;
    if (auth?.user !== undefined) {
      route.parser.awaitingConnect = true;
      const t = setTimeout(() => {
        if (route.closed || route.gotConnect) return;
        this.log.error(`${link.traceId} - Authentication Timeout`);
        route.refuse(ERR.authenticationTimeout, CloseReason.authTimeout);
      }, auth.timeout ?? DEFAULT_ROUTE_AUTH_TIMEOUT_MS);
      (t as { unref?: () => void }).unref?.();
    }
    link.enqueue(infoLine(this.infoBase));
    link.flush();
    return link;
  }

  /** The soliciting side speaks first: CONNECT, then its INFO (nats-server's createRoute). */
  sendConnect(route: RouteConn, url: RouteURL): void {
    const connect = {
      echo: true,
      verbose: false,
      pedantic: false,
      ...(url.user !== undefined ? { user: url.user, pass: url.pass ?? "" } : {}),
      tls_required: false,
      headers: !this.options.no_header_support,
      name: this.srv.id,
      cluster: this.clusterName,
      dynamic: this.options.cluster?.name === undefined,
      lnoc: true,
    };
    if (this.log.trace) this.log.tracef(`${route.traceId} - ->> [CONNECT ${JSON.stringify({ ...connect, ...(url.pass !== undefined ? { pass: "[REDACTED]" } : {}) })}]`);
    route.link.enqueue(new TextEncoder().encode(`CONNECT ${JSON.stringify(connect)}\r\n`));
    route.link.enqueue(infoLine(this.infoBase));
    route.link.flush();
  }

  /** nats-server's processRouteConnect, on the accepting side. */
  routeConnect(route: RouteConn, arg: string): void {
    if (route.solicited || route.gotConnect) throw new ProtocolError(null, true, "unexpected CONNECT on a route");
    route.gotConnect = true;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(arg) as Record<string, unknown>;
    } catch {
      throw new ProtocolError(null, true, "processRouteConnect: CONNECT argument is not JSON");
    }
    if (j.lang !== undefined) {
      this.log.error(`${route.traceId} - Route connect from a client: wrong port`);
      route.refuse(ERR.routeWrongPort, CloseReason.wrongPort);
      return;
    }
    const cluster = typeof j.cluster === "string" ? j.cluster : "";
    if (cluster !== this.clusterName) {
      const text = `Rejecting connection, cluster name ${JSON.stringify(cluster)} does not match ${JSON.stringify(this.clusterName)}`;
      this.log.error(`${route.traceId} - ${text}`);
      route.refuse(text, CloseReason.clusterNameConflict);
      return;
    }
    const auth = this.options.cluster?.authorization;
    if (auth?.user === undefined) {
      route.parser.awaitingConnect = false;
      return;
    }
    const pass = typeof j.pass === "string" ? j.pass : "";
    const verdict = j.user === auth.user ? checkSecret(pass, auth.password ?? "") : false;
    if (typeof verdict === "boolean") {
      this.authorized(route, verdict);
      return;
    }
    // bcrypt runs asynchronously: the parser stops after CONNECT and the route holds what follows.
    route.parser.suspended = true;
    void verdict.then((ok) => {
      if (route.closed) return;
      this.authorized(route, ok);
      if (ok) route.resume();
      else this.flushPending();
    });
  }

  private authorized(route: RouteConn, ok: boolean): void {
    if (!ok) {
      this.log.error(`${route.traceId} - authentication error`);
      route.refuse(ERR.authorizationViolation, CloseReason.authViolation);
      return;
    }
    route.parser.awaitingConnect = false;
  }

  /** nats-server's processRouteInfo on the first INFO, then addRoute. */
  routeInfo(route: RouteConn, info: Record<string, unknown>): void {
    const id = typeof info.server_id === "string" ? info.server_id : "";
    if (id === this.srv.id) {
      this.log.debugf(`${route.traceId} - Detected route to self, ignoring ${JSON.stringify(route.url)}`);
      route.link.close(CloseReason.routeToSelf);
      return;
    }
    const cluster = typeof info.cluster === "string" ? info.cluster : "";
    if (cluster !== this.clusterName) {
      this.log.error(`${route.traceId} - Cluster name conflict: ours ${JSON.stringify(this.clusterName)}, the remote's ${JSON.stringify(cluster)}`);
      route.link.close(CloseReason.clusterNameConflict);
      return;
    }
    if (!route.solicited && typeof info.server_name === "string" && info.server_name === this.srv.name) {
      this.log.error(`${route.traceId} - Remote server has a duplicate name: ${JSON.stringify(info.server_name)}`);
      route.link.close(CloseReason.duplicateServerName);
      return;
    }
    const existing = this.byId.get(id);
    if (existing !== undefined) {
      this.log.debugf(`${route.traceId} - Detected duplicate remote route ${JSON.stringify(id)}`);
      // Both servers dialled each other: each side keeps the connection the lower server id dialled, so
      // they never close different ones and lose both (2.9.10 keeps whichever registered first).
      const keepNew = route.solicited !== existing.solicited && route.solicited === (this.srv.id < id);
      const loser = keepNew ? existing : route;
      if (keepNew) this.byId.delete(id);
      loser.peer.id = id;
      loser.link.close(CloseReason.duplicateRoute);
      if (!keepNew) return;
    }
    const port = Number(info.port) || 0;
    const url = typeof info.ip === "string" && info.ip !== "" ? info.ip : `nats-route://${routeHostPort({ host: route.link.conn.remoteAddress, port })}/`;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((u): u is string => typeof u === "string") : []);
    const connectUrls = strings(info.connect_urls);
    const wsConnectUrls = strings(info.ws_connect_urls);
    const peer: RoutePeer = {
      id,
      name: typeof info.server_name === "string" ? info.server_name : id,
      cluster,
      headers: info.headers === true && !this.options.no_header_support,
      url,
      connectUrls,
      wsConnectUrls,
      info: { ...info, ip: url },
    };
    this.byId.set(id, route);
    route.activate(peer);
    this.publishConnectUrls();
    for (const s of this.solicitors) if (s.current === route) s.connected(route);
    // Tell the others about the newcomer, so that each dials it and the mesh completes.
    const gossip = infoLine(peer.info);
    for (const other of this.byId.values()) {
      if (other === route) continue;
      other.link.enqueue(gossip);
      other.link.flush();
    }
  }

  /** nats-server's processImplicitRoute: dial a peer we heard of, unless it is us, known or configured. */
  gossip(_route: RouteConn, info: Record<string, unknown>): void {
    const id = typeof info.server_id === "string" ? info.server_id : "";
    const url = typeof info.ip === "string" ? info.ip : "";
    if (id === "" || url === "" || id === this.srv.id || this.byId.has(id)) return;
    const key = routeKey(url);
    if (this.configured.has(key)) return;
    for (const s of this.solicitors) if (routeHostPort(s.url) === key) return;
    try {
      parseRouteURL(url);
    } catch {
      this.log.error(`Error parsing implicit route URL ${JSON.stringify(url)}`);
      return;
    }
    this.solicit(url, false);
  }

  // ---- ConnectionHost -------------------------------------------------------------------------------------

  queueFlush(c: Connection): void {
    this.srv.queueFlush(c);
  }

  flushPending(): void {
    this.srv.flushPending();
  }

  connectionClosed(): void {}

  closed(route: RouteConn): void {
    this.all.delete(route.cid);
    const l = route.link;
    this.gone.inMsgs += l.inMsgs;
    this.gone.outMsgs += l.outMsgs;
    this.gone.inBytes += l.inBytes;
    this.gone.outBytes += l.outBytes;
    const self = route.link.closeReason === CloseReason.routeToSelf;
    const registered = this.byId.get(route.peer.id) === route;
    if (registered) {
      this.byId.delete(route.peer.id);
      this.log.notice(`${route.traceId} - Router connection closed: ${route.link.closeReason}`);
      if (!this.stopping) this.publishConnectUrls();
    }
    for (const s of [...this.solicitors]) s.closed(route, self);
    if (registered && !this.stopping) for (const s of this.solicitors) if (s.remoteId === route.peer.id) s.wake();
    queueMicrotask(() => this.srv.flushPending());
  }

  // ---- monitoring -----------------------------------------------------------------------------------------

  routez(subs: boolean): RouteInfo[] {
    const now = Date.now();
    const out: RouteInfo[] = [];
    for (const r of this.byId.values()) {
      const l = r.link;
      const keys = [...r.peerSubs.values()].map((s) => (s.queue === null ? s.subject : `${s.subject} ${s.queue}`));
      out.push({
        rid: r.cid,
        remote_id: r.peer.id,
        remote_name: r.peer.name,
        did_solicit: r.solicited,
        is_configured: r.configured,
        ip: l.conn.remoteAddress,
        port: l.conn.remotePort,
        start: new Date(l.start).toISOString(),
        last_activity: new Date(l.lastIn || l.start).toISOString(),
        rtt: formatGoDuration(r.rtt),
        uptime: formatGoDuration(now - l.start),
        idle: formatGoDuration(now - (l.lastIn || l.start)),
        pending_size: l.out.pending,
        in_msgs: l.inMsgs,
        out_msgs: l.outMsgs,
        in_bytes: l.inBytes,
        out_bytes: l.outBytes,
        subscriptions: keys.length,
        ...(subs ? { subscriptions_list: keys } : {}),
      });
    }
    return out;
  }

  /** The /varz cluster block (nats-server's ClusterOptsVarz). */
  varz(): Record<string, unknown> {
    const co = this.options.cluster!;
    return {
      name: this.clusterName,
      addr: this.host,
      cluster_port: this.listener?.port ?? 0,
      auth_timeout: (co.authorization?.timeout ?? DEFAULT_ROUTE_AUTH_TIMEOUT_MS) / 1000,
      urls: (co.routes ?? []).map(routeKey),
    };
  }

  /** Message and byte counters of every route, open and closed. */
  totals(): { inMsgs: number; outMsgs: number; inBytes: number; outBytes: number } {
    const t = { ...this.gone };
    for (const { link } of this.all.values()) {
      t.inMsgs += link.inMsgs;
      t.outMsgs += link.outMsgs;
      t.inBytes += link.inBytes;
      t.outBytes += link.outBytes;
    }
    return t;
  }

  /** A route whose peer has not taken our writes for write_deadline is a slow consumer, as a client would be. */
  private sweepStalled(): void {
    const deadline = this.options.write_deadline;
    const now = Date.now();
    for (const { link } of this.all.values()) {
      if (link.stalledSince !== 0 && now - link.stalledSince > deadline) link.slowConsumer(CloseReason.slowConsumerDeadline);
    }
  }

  health(): string | null {
    return null;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    for (const s of this.solicitors) s.stop();
    await this.listener?.close();
    this.listener = null;
    for (const r of [...this.all.values()]) r.link.closeAfterFlush(CloseReason.serverShutdown);
  }
}

function nuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let s = "";
  for (const b of bytes) s += NUID_ALPHABET[b % NUID_ALPHABET.length];
  return s;
}

/** For 0.0.0.0 or ::, the first non-loopback IPv4 address, as nats-server advertises. */
function advertisedHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
