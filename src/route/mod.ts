/**
 * The routes service (nats-server 2.9.10's route.go): the cluster listener, a solicitor per configured route,
 * the route set by peer server id, duplicate resolution, gossip of new peers so the full mesh completes, and
 * what /routez and /varz report. It is the ConnectionHost of its routes, so a closing route reaches it.
 */
import { networkInterfaces } from "node:os";
import { checkSecret } from "../auth/password.ts";
import { formatGoDuration } from "../config/_duration.ts";
import type { ServerOptions, TLSOptions } from "../config/options.ts";
import { DEFAULT_TLS_TIMEOUT_MS, tlsClientConfig, tlsServerConfig } from "../config/tls_config.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Connection } from "../connection/connection.ts";
import { LinkSet } from "../link/link_set.ts";
import { connectObject } from "../protocol/connect.ts";
import { infoLine } from "../protocol/encode.ts";
import { ERR, ProtocolError } from "../protocol/errors.ts";
import { Kind } from "../protocol/kind.ts";
import type { Router } from "../routing/router.ts";
import { nuid } from "../protocol/nuid.ts";
import type { Conn, ConnHandler, Listener, TLSClientConfig, TLSServerConfig } from "../runtime/types.ts";
import type { RouteHost } from "./host.ts";
import { RouteConn, type RouteLinkHost, type RoutePeer } from "./route_conn.ts";
import { RouteSolicitor } from "./solicit.ts";
import { parseRouteURL, routeHostPort, routeKey, type RouteURL } from "./urls.ts";

export type { RouteHost } from "./host.ts";

/** nats-server's route auth timeout when the authorization block gives none. */
const DEFAULT_ROUTE_AUTH_TIMEOUT_MS = 2000;
/** nats-server's RouteProtoV2, which its route INFO advertises. */
const ROUTE_PROTO_V2 = 2;

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

export class Routes extends LinkSet<RouteHost> implements RouteLinkHost {
  /** Every route connection by cid, from the first byte until it closes. */
  private readonly all = new Map<number, RouteConn>();
  /** Registered routes by the peer's server id: one each. */
  private readonly byId = new Map<string, RouteConn>();
  private readonly solicitors = new Set<RouteSolicitor>();
  private listener: Listener | null = null;
  private infoBase: Record<string, unknown> = {};
  /** The cluster block's TLS, both ways, when it has one. */
  private tls: { server: TLSServerConfig; client: TLSClientConfig; timeoutMs: number } | null = null;
  private stopping = false;
  private unwatchAccounts: (() => void) | null = null;
  /** The cluster's name: configured, or generated and then given up for a peer's (nats-server's dynamic name). */
  clusterName: string;
  /** No name was configured and none adopted from a configured peer yet: ours may change. */
  private dynamic: boolean;
  private configured: Set<string>;

  /** The cluster block as last applied, so that a reload changing other options leaves the routes alone. */
  private applied: string;

  constructor(srv: RouteHost) {
    super(srv);
    this.applied = JSON.stringify(srv.options.cluster);
    this.clusterName = srv.options.cluster?.name ?? nuid();
    this.dynamic = srv.options.cluster?.name === undefined;
    this.configured = new Set((srv.options.cluster?.routes ?? []).map(routeKey));
  }

  get listen(): { host: string; port: number } | null {
    return this.listener !== null ? { host: this.host, port: this.listener.port } : null;
  }

  private get host(): string {
    return this.options.cluster?.host ?? this.options.host;
  }

  async start(): Promise<void> {
    const co = this.options.cluster!;
    if (co.tls !== undefined) await this.prepareTLS(co.tls);
    if (co.port !== undefined && co.port !== 0) {
      this.listener = await this.runtime.listen({ host: this.host, port: co.port === -1 ? 0 : co.port, accept: (conn) => this.accept(conn) });
      this.log.notice(`Cluster name is ${this.clusterName}`);
      if (this.dynamic) this.log.warn("Cluster name was dynamically generated, consider setting one");
      this.log.notice(`Listening for route connections on ${routeHostPort({ host: this.host, port: this.listener.port })}`);
    }
    if (this.options.jetstream?.enabled) {
      this.log.warn("JetStream on a route member stays local: streams are not replicated to the cluster's other servers; for durability across boxes use leaf nodes with JetStream domains");
    }
    this.infoBase = this.buildInfo();
    this.publishConnectUrls();
    this.startDeadlineSweep();
    // An account loaded later (operator mode) is carried by the routes already up.
    this.unwatchAccounts = this.srv.onAccountAdded((acc) => {
      for (const r of this.byId.values()) r.addLane(acc.name, acc.router);
    });
    for (const r of co.routes ?? []) this.solicit(r, true);
  }

  /**
   * nats-server forces strict verification between routes and acts as both client and server with the
   * one block: the CA checks the peer's certificate either way, and our certificate is presented either way.
   */
  private async prepareTLS(t: TLSOptions): Promise<void> {
    const rt = this.runtime;
    if (!rt.serverTLS) throw new Error(`cluster.tls is configured, but the ${rt.name} transport cannot serve TLS`);
    this.tls = {
      server: tlsServerConfig({ ...t, verify: true }),
      client: tlsClientConfig(t),
      timeoutMs: t.timeout ?? DEFAULT_TLS_TIMEOUT_MS,
    };
    await rt.prepareTLS?.();
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
    // A peer in lame duck mode is no longer offered, by either list.
    const peers = [...this.byId.values()].filter((r) => r.peer.lameDuck !== true);
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
      // The account-aware protocol (RS+/RMSG name the account), as 2.9.10 says it speaks.
      proto: ROUTE_PROTO_V2,
      go: base.go,
      host: this.host,
      port,
      headers: base.headers,
      ...(co.authorization?.user !== undefined ? { auth_required: true } : {}),
      ...(this.tls !== null ? { tls_required: true, tls_verify: true } : {}),
      max_payload: base.max_payload,
      ...(base.jetstream === true ? { jetstream: true } : {}),
      ...(co.advertise !== undefined ? { ip: `nats-route://${co.advertise}/` } : {}),
      ...(co.no_advertise === true ? {} : { connect_urls: [this.clientUrl] }),
      ...(co.no_advertise !== true && this.websocketUrl !== null ? { ws_connect_urls: [this.websocketUrl] } : {}),
      cluster: this.clusterName,
      ...(this.dynamic ? { cluster_dynamic: true } : {}),
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
    // Routes speak TLS from the first byte (nats-server's createRoute): INFO follows the handshake.
    if (this.tls !== null) link.upgradeTLS(this.tls.server, this.tls.timeoutMs, null);
    else this.greet(route);
    return link;
  }

  /** The accepting side's INFO; the soliciting side's CONNECT and INFO (sendConnect). */
  private greet(route: RouteConn): void {
    route.link.enqueue(infoLine(this.infoBase));
    route.link.flush();
  }

  /** The soliciting side's first step: TLS first when the cluster has it, then CONNECT and INFO. */
  opened(route: RouteConn, url: RouteURL): void {
    if (this.tls === null) {
      this.sendConnect(route, url);
      return;
    }
    // Gossiped URLs are addresses: verify the certificate against the host as dialled, as nats-server does.
    route.link.upgradeClientTLS({ ...this.tls.client, servername: url.host }, this.tls.timeoutMs, "route");
  }

  /** The TLS handshake of a route is done: go on with what a plain route sends first. */
  tlsReady(route: RouteConn): void {
    if (!route.solicited) {
      this.greet(route);
      return;
    }
    for (const s of this.solicitors) if (s.current === route) this.sendConnect(route, s.url);
  }

  /** The soliciting side speaks first: CONNECT, then its INFO (nats-server's createRoute). */
  private sendConnect(route: RouteConn, url: RouteURL): void {
    const connect = {
      echo: true,
      verbose: false,
      pedantic: false,
      ...(url.user !== undefined ? { user: url.user, pass: url.pass ?? "" } : {}),
      tls_required: this.tls !== null,
      headers: !this.options.no_header_support,
      name: this.srv.id,
      cluster: this.clusterName,
      ...(this.dynamic ? { cluster_dynamic: true } : {}),
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
    const j = connectObject(arg, "processRouteConnect");
    if (j.lang !== undefined) {
      this.log.error(`${route.traceId} - Route connect from a client: wrong port`);
      route.refuse(ERR.routeWrongPort, CloseReason.wrongPort);
      return;
    }
    const cluster = typeof j.cluster === "string" ? j.cluster : "";
    if (cluster !== this.clusterName && this.takesName(cluster, j.cluster_dynamic === true)) {
      if (j.cluster_dynamic !== true) this.dynamic = false;
      this.adoptClusterName(cluster, route);
    } else if (cluster !== this.clusterName) {
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

  /** A dynamic name gives way to a configured one, or to a dynamic one that sorts higher (nats-server's rule). */
  private takesName(theirs: string, theirsDynamic: boolean): boolean {
    return this.dynamic && (!theirsDynamic || this.clusterName < theirs);
  }

  /** nats-server's setClusterName and removeAllRoutesExcept: the routes under the old name go. */
  private adoptClusterName(name: string, keep: RouteConn): void {
    this.clusterName = name;
    this.infoBase = this.buildInfo();
    this.log.notice(`Cluster name updated to ${name}`);
    for (const other of [...this.byId.values()]) if (other !== keep) other.link.close(CloseReason.clusterNameConflict);
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
    if (cluster !== "" && cluster !== this.clusterName && this.takesName(cluster, info.cluster_dynamic === true)) {
      this.adoptClusterName(cluster, route);
    } else if (cluster !== this.clusterName) {
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
  gossip(route: RouteConn, info: Record<string, unknown>): void {
    const id = typeof info.server_id === "string" ? info.server_id : "";
    if (id === route.peer.id) {
      // The peer itself is going away: our clients stop being offered its URLs (nats-server's
      // removeConnectURLsAndSendINFOToClients).
      if (info.ldm === true && !route.peer.lameDuck) {
        route.peer.lameDuck = true;
        this.publishConnectUrls();
      }
      return;
    }
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

  protected *connections(): Iterable<Connection> {
    for (const route of this.all.values()) yield route.link;
  }

  /** A route reports its own close (closed below), which also tells the solicitors. */
  connectionClosed(): void {}

  closed(route: RouteConn): void {
    this.all.delete(route.cid);
    this.countClosed(route.link);
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
      const keys = [...r.allPeerSubs()].map((s) => (s.queue === null ? s.subject : `${s.subject} ${s.queue}`));
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
      ...(this.tls !== null ? { tls_timeout: this.tls.timeoutMs / 1000, tls_required: true, tls_verify: true } : {}),
      urls: (co.routes ?? []).map(routeKey),
    };
  }

  health(): string | null {
    return null;
  }

  /**
   * A reloaded cluster block (nats-server's clusterOption and routesOption): new authorization and TLS apply
   * to routes from now on, advertising changes reach peers and clients, removed routes are closed and not
   * dialled again, added ones are dialled. Where it listens cannot change (reload.ts refuses that). Accounts
   * the reload removed are no longer carried: their interest is withdrawn from every route.
   */
  async reload(next: ServerOptions): Promise<void> {
    const carried = new Set(this.srv.otherAccounts().map((a) => a.name));
    for (const r of this.byId.values()) r.dropLanes((account) => carried.has(account));
    const co = next.cluster!;
    const applied = JSON.stringify(co);
    if (applied === this.applied) return;
    this.applied = applied;
    if (co.tls === undefined) this.tls = null;
    else await this.prepareTLS(co.tls);
    this.infoBase = this.buildInfo();
    if (co.no_advertise === true) this.srv.setConnectUrls([]);
    else this.publishConnectUrls();
    this.log.notice("Reloaded: cluster");
    const wanted = new Set((co.routes ?? []).map(routeKey));
    const removed = [...this.configured].filter((k) => !wanted.has(k));
    const added = (co.routes ?? []).filter((r) => !this.configured.has(routeKey(r)));
    this.configured = wanted;
    if (removed.length === 0 && added.length === 0) return;
    for (const s of [...this.solicitors]) {
      if (!s.explicit || !removed.includes(routeKey(s.raw))) continue;
      s.stop();
      this.forget(s);
      s.current?.link.close(CloseReason.routeRemoved);
    }
    for (const r of added) this.solicit(r, true);
    this.log.notice("Reloaded: cluster routes");
  }

  otherAccounts(): { readonly name: string; readonly router: Router }[] {
    return this.srv.otherAccounts();
  }

  loadAccount(name: string): boolean {
    return this.srv.loadAccount(name);
  }

  /** nats-server's sendLDMToRoutes: once, an INFO with `ldm` so each peer stops offering us to its clients. */
  sendLameDuck(): void {
    const line = infoLine({ ...this.infoBase, ldm: true });
    for (const r of this.byId.values()) r.link.enqueue(line);
    this.flushPending();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopDeadlineSweep();
    this.unwatchAccounts?.();
    for (const s of this.solicitors) s.stop();
    await this.listener?.close();
    this.listener = null;
    for (const r of [...this.all.values()]) r.link.closeAfterFlush(CloseReason.serverShutdown);
  }
}

/** For 0.0.0.0 or ::, the first non-loopback IPv4 address, as nats-server advertises. */
function advertisedHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
