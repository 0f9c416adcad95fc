/**
 * The server: accepts connections through a runtime's listener, owns the clients and the router, and batches
 * output: everything routed while one read buffer is parsed is written once per receiving connection when
 * that buffer is done.
 */
import { serverId } from "./server_id.ts";
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { Conn, ConnHandler, Listener, Runtime } from "../runtime/types.ts";
import { Client } from "../client/client.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Connection, type ConnectionHost } from "../connection/connection.ts";
import { ClientType, Kind } from "../protocol/kind.ts";
import type { ClientListener } from "../client/listener.ts";
import type { WebSocketHost } from "../websocket/host.ts";
import { websocketOptionsError } from "../websocket/validate.ts";
import type { ClientAccount, ClientHost } from "../client/host.ts";
import { Accounts } from "../account/registry.ts";
import { ERR } from "../protocol/errors.ts";
import { configureDecimalFaults, infoLine } from "../protocol/encode.ts";
import { Router } from "../routing/router.ts";
import { InternalEndpoint } from "../routing/internal.ts";
import { Authenticator, type AuthVerdict } from "../auth/authenticator.ts";
import { JwtAuthenticator, refreshUser } from "../auth/jwt_auth.ts";
import type { AccountClaims } from "../auth/jwt_verify.ts";
import { OperatorMode } from "../account/operator.ts";
import { trustedOperatorsError } from "../config/_operator.ts";
import { newNonce } from "../auth/nkey.ts";
import { DEFAULT_TLS_TIMEOUT_MS, tlsServerConfig } from "../config/tls_config.ts";
import type { TLSServerConfig } from "../runtime/types.ts";
import { ADVERTISED_VERSION, NATSEDGE_VERSION, PROTO, buildKind, hostTarget } from "../version.ts";
import { unsupportedOptions } from "./unsupported.ts";
import { Lifecycle } from "./lifecycle.ts";
import type { JetStreamView, MonitorHost, MqttView, StreamingView } from "../monitor/host.ts";
import { Services } from "./services.ts";
import { BUILTIN_SERVICES, JETSTREAM, LEAFNODES, MQTT, ROUTES, STAN, SYSTEM, WEBSOCKET } from "./builtin_services.ts";
import type { SysHost } from "../sys/host.ts";
import type { Account } from "../account/account.ts";
import type { LatencySink } from "../account/latency.ts";
import type { LeafHost } from "../leaf/host.ts";
import type { LeafConn } from "../leaf/leaf_conn.ts";
import type { LeafLink } from "../sys/events.ts";
import type { LeafzEntry, RoutezEntry } from "../monitor/host.ts";

/**
 * nats-server stalls producers once a receiver has max_pending/2 queued; natsedge caps that at 8 MiB so a
 * small edge box does not hold 32 MiB per slow receiver before pushing back.
 */
const MAX_STALL_THRESHOLD = 8 * 1024 * 1024;

/** The longest delay a timer takes as given. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How often stalled writers are checked against write_deadline. */
const DEADLINE_SWEEP_MS = 1000;

export class Server implements ClientHost, ConnectionHost, MonitorHost, WebSocketHost, LeafHost, SysHost {
  readonly id: string;
  readonly name: string;
  /** The global account's router ($G): services that are not account-aware yet (JetStream, STAN, MQTT, leaf nodes, routes) work on it. */
  readonly router: Router;
  /** $G and the configured accounts, each with a router of its own. */
  readonly accounts: Accounts;
  /** Subscriptions and publishes of the server's own services (JetStream API, system requests). */
  readonly internal: InternalEndpoint;
  /** Open client connections by cid; leaf and route connections will have sets of their own. */
  readonly clients = new Map<number, Client>();
  slowConsumers = 0;
  totalConnections = 0;
  readonly stallThreshold: number;
  private nextCid = 1;
  private readonly dirty: Connection[] = [];
  private listener: Listener | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private infoBase: Record<string, unknown> = {};
  /** The cluster's client URLs (ours first) once routes run: INFO's connect_urls. */
  private connectUrls: string[] | null = null;
  /** Replaced by a config reload (reload.ts), so read it per use. */
  auth: Authenticator;
  /** Operator mode (`operator` configured): trusted keys, the resolver and the accounts of JWTs. */
  operator: OperatorMode | null = null;
  /** Operator mode's client authentication; a reload keeps it. */
  jwtAuth: JwtAuthenticator | null = null;
  private tls: TLSServerConfig | null = null;
  /** Ports file, closed connections, shutdown promise. */
  readonly lifecycle: Lifecycle;
  /** JetStream, the monitor: whatever the options enable. */
  readonly services: Services<Server>;
  private shuttingDown = false;
  /** Operator mode: the timers that end connections when their user JWTs expire, by cid. */
  private readonly expiries = new Map<number, ReturnType<typeof setTimeout>>();
  /** Doors other than the client port, by the client type they admit. */
  private readonly listeners = new Map<ClientType, ClientListener>();

  constructor(
    readonly options: ServerOptions,
    readonly runtime: Runtime,
    readonly log: Logger,
  ) {
    this.id = serverId();
    this.name = options.server_name ?? this.id;
    this.stallThreshold = Math.min(options.max_pending / 2, MAX_STALL_THRESHOLD);
    // nats-server's validateTrustedOperators runs before accounts are configured.
    const trustError = trustedOperatorsError(options);
    if (trustError !== null) throw new Error(trustError);
    this.router = new Router(!options.disable_sublist_cache, this.stallThreshold);
    this.accounts = new Accounts(withSystemStub(options), this.router, () => new Router(!options.disable_sublist_cache, this.stallThreshold), () => this.flushPending());
    this.internal = new InternalEndpoint(
      this.router,
      () => this.flushPending(),
      (subject, err) => this.log.error(`internal handler for ${JSON.stringify(subject)} failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    this.auth = new Authenticator(options);
    configureDecimalFaults({ report: reportBadDecimal(this.log) });
    this.lifecycle = new Lifecycle(this);
    this.services = new Services<Server>(BUILTIN_SERVICES, log);
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** For the monitor's /jsz, /varz and /metrics. */
  jetstream(): JetStreamView | null {
    return this.services.get(JETSTREAM) ?? null;
  }

  mqtt(): MqttView | null {
    return this.services.get(MQTT) ?? null;
  }

  /** MQTT over WebSocket: where the WebSocket listener sends `/mqtt` connections; null without an mqtt block. */
  acceptMqttWebSocket(conn: Conn): ConnHandler | null {
    return this.services.get(MQTT)?.acceptWebSocket(conn) ?? null;
  }

  /** Leaf nodes over WebSocket: where the WebSocket listener sends `/leafnode` connections. */
  acceptLeafWebSocket(conn: Conn): ConnHandler | null {
    return this.services.get(LEAFNODES)?.acceptWebSocket(conn) ?? null;
  }

  /** For the monitor's /streaming pages. */
  streaming(): StreamingView | null {
    return this.services.get(STAN) ?? null;
  }

  async start(): Promise<void> {
    const o = this.options;
    // nats-server's validateOptions: a message that cannot fit a client's pending budget could never be sent.
    if (o.max_payload > o.max_pending) {
      throw new Error(`max_payload (${o.max_payload}) cannot be higher than max_pending (${o.max_pending})`);
    }
    const unsupported = unsupportedOptions(o);
    if (unsupported.length > 0) {
      throw new Error(`natsedge does not support these configured options yet: ${unsupported.join(", ")}`);
    }
    const wsError = websocketOptionsError(o);
    if (wsError !== null) throw new Error(wsError);
    this.log.notice(`Starting natsedge`);
    this.log.notice(`  Version:  ${NATSEDGE_VERSION} (nats-server protocol ${ADVERTISED_VERSION})`);
    this.log.notice(`  Runtime:  ${this.runtime.name} ${this.runtime.version}`);
    this.log.notice(`  Platform: ${hostTarget()} (${buildKind()})`);
    this.log.notice(`  Name:     ${this.name}`);
    this.log.notice(`  ID:       ${this.id}`);
    if (o.config_file) this.log.notice(`Using configuration file: ${o.config_file}`);
    if (o.tls) {
      if (!this.runtime.serverTLS) throw new Error(`TLS is configured, but the ${this.runtime.name} transport cannot serve TLS`);
      this.tls = tlsServerConfig(o.tls);
      await this.runtime.prepareTLS?.();
      if (o.tls.curve_preferences !== undefined) {
        this.log.warn(`curve_preferences ${JSON.stringify(o.tls.curve_preferences)} accepted but not applied: the ${this.runtime.name} TLS stack chooses the curves`);
      }
      if (o.tls.cipher_suites !== undefined && this.runtime.fixedTLSCiphers === true) {
        this.log.warn(`cipher_suites ${JSON.stringify(o.tls.cipher_suites)} accepted but not applied: the ${this.runtime.name} TLS stack chooses the suites`);
      }
    }
    if (this.hasPlaintextPasswords()) this.log.warn("Plaintext passwords detected, use nkeys or bcrypt");

    try {
      if (o.operator !== undefined && o.operator.length > 0) {
        this.operator = await OperatorMode.start(o, this.accounts, this);
        this.jwtAuth = new JwtAuthenticator(this.operator);
        this.auth = new Authenticator(o, this.jwtAuth);
      }
      await this.services.start("core", this, o);
      // Listening only now, as nats-server does: a client accepted while streams were being restored got an
      // INFO without server_id or version (nats.js stops reading on it) and no responders from $JS.API.
      this.listener = await this.runtime.listen({
        host: o.host,
        port: o.port === -1 ? 0 : o.port,
        accept: (conn) => this.acceptClient(conn),
      });
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    this.infoBase = this.buildInfo(this.listener.port);
    this.sweepTimer = setInterval(() => this.sweepStalled(), DEADLINE_SWEEP_MS);
    this.log.notice(`Listening for client connections on ${hostPort(o.host, this.listener.port)}`);
    if (this.tls) this.log.notice("TLS required for client connections");
    try {
      await this.services.start("listening", this, o);
      this.lifecycle.start(this.listener.port);
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    this.log.notice("Server is ready");
  }

  private buildInfo(port: number): Record<string, unknown> {
    const o = this.options;
    return {
      server_id: this.id,
      server_name: this.name,
      version: ADVERTISED_VERSION,
      proto: PROTO,
      go: `natsedge ${NATSEDGE_VERSION} (${this.runtime.name} ${this.runtime.version})`,
      host: o.host,
      port,
      headers: !o.no_header_support,
      ...(this.services.get(JETSTREAM) !== undefined ? { jetstream: true } : {}),
      ...(this.auth.required ? { auth_required: true } : {}),
      ...(this.tls ? { tls_required: true } : {}),
      ...(this.tls?.requestCert ? { tls_verify: true } : {}),
      max_payload: o.max_payload,
      ...(this.connectUrls !== null && this.connectUrls.length > 0 ? { connect_urls: this.connectUrls } : {}),
    };
  }

  /**
   * The cluster's client URLs changed (a route came or went): new clients get them in INFO, and connected
   * ones that understand async INFO (protocol >= 1) are told at once, as nats-server's
   * sendAsyncInfoToClients does.
   */
  setConnectUrls(urls: string[]): void {
    const same = this.connectUrls !== null && this.connectUrls.length === urls.length && this.connectUrls.every((u, i) => u === urls[i]);
    if (same) return;
    this.connectUrls = urls;
    // Routes start before the lifecycle learns the client port: the INFO already has it.
    this.infoBase = this.buildInfo(Number(this.infoBase.port));
    // WebSocket clients are given the cluster's WebSocket URLs instead (setWebsocketConnectUrls).
    this.sendAsyncInfo((c) => c.link.clientType !== ClientType.WS);
  }

  /** The cluster's WebSocket URLs, ours first, once routes run: connect_urls in WebSocket clients' INFO. */
  websocketConnectUrls: string[] | null = null;

  /** The WebSocket listener's host, port and advertise, for the ws_connect_urls a route INFO carries. */
  get websocketAddress(): { host: string; port: number; advertise?: string } | null {
    const ws = this.services.get(WEBSOCKET);
    if (ws === undefined) return null;
    return { host: ws.opts.host ?? "0.0.0.0", port: ws.port, ...(ws.opts.advertise !== undefined && { advertise: ws.opts.advertise }) };
  }

  /** As setConnectUrls, for WebSocket clients and the cluster's WebSocket URLs (nats-server's ws_connect_urls). */
  setWebsocketConnectUrls(urls: string[]): void {
    const cur = this.websocketConnectUrls;
    if (cur !== null && cur.length === urls.length && cur.every((u, i) => u === urls[i])) return;
    this.websocketConnectUrls = urls;
    this.sendAsyncInfo((c) => c.link.clientType === ClientType.WS);
  }

  /**
   * Sends the current INFO to the clients `which` picks, as nats-server's sendAsyncInfoToClients does: at once to
   * those that understand async INFO (protocol >= 1), after the PONG to those still before their CONNECT.
   */
  private sendAsyncInfo(which: (c: Client) => boolean): void {
    for (const c of this.clients.values()) {
      if (c.closed || !which(c)) continue;
      if (!c.connected) {
        c.infoChanged = true;
        continue;
      }
      if (c.opts.protocol < 1) continue;
      c.link.enqueue(this.infoFor(c));
      this.queueFlush(c.link);
    }
  }

  infoFor(c: Client): Uint8Array {
    const via = this.listeners.get(c.link.clientType);
    return infoLine({ ...this.infoBase, ...via?.info(), max_payload: c.parser.maxPayload, client_id: c.cid, client_ip: c.link.conn.remoteAddress });
  }

  maxConnectionsReached(account: string | null): boolean {
    if (account === null) return false;
    const max = this.options.accounts?.find((a) => a.name === account)?.limits?.max_connections ?? -1;
    // nats-server's MaxTotalConnectionsReached counts the account's leaf links with its clients.
    return max !== -1 && this.accountConnections(account) + this.accountLeafConnections(account) >= max;
  }

  /** The INFO every new client gets, before its own fields (client_id, client_ip, nonce). */
  get info(): Readonly<Record<string, unknown>> {
    return this.infoBase;
  }

  /** Config reload (reload.ts): new connections get the new authenticator, TLS settings (undefined: unchanged) and INFO. */
  applyReload(auth: Authenticator, tls: TLSServerConfig | null | undefined): void {
    this.auth = auth;
    if (tls !== undefined) this.tls = tls;
    this.infoBase = this.buildInfo(this.lifecycle.clientPort);
  }

  /** Lame duck mode (lame_duck.ts): closes the client, WebSocket and MQTT listeners; connected clients stay. */
  async stopAccepting(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    this.lifecycle.listening = false;
    this.services.get(WEBSOCKET)?.stopAccepting();
    await this.services.get(MQTT)?.stopAccepting();
    await l?.close();
  }

  /**
   * Accepts a connection that did not come through the listener, such as an in-process client
   * (src/runtime/inprocess.ts). Throws once the server has stopped accepting.
   */
  acceptConn(conn: Conn): ConnHandler {
    if (this.listener === null || this.shuttingDown) throw new Error("natsedge is not accepting connections");
    return this.acceptClient(conn);
  }

  /** The WebSocket listener's bound port, 0 when there is none. */
  get websocketPort(): number {
    return this.services.get(WEBSOCKET)?.port ?? 0;
  }

  registerListener(l: ClientListener): void {
    this.listeners.set(l.clientType, l);
  }

  /**
   * A NATS client connection: the Connection core with the client protocol on it. `via` is the listener it
   * came through when that is not the client port: its clients do no TLS in the stream and may have their own
   * authorization.
   */
  acceptClient(conn: Conn, via?: ClientListener): ConnHandler {
    const link = new Connection(this.newCid(), conn, this, Kind.CLIENT, via?.clientType ?? ClientType.NATS);
    const c = new Client(link, this);
    this.totalConnections++;
    this.clients.set(link.cid, c);
    this.log.debugf(`${link.traceId} - Client connection created`);
    if (this.shuttingDown) {
      link.close(CloseReason.serverShutdown);
      return link;
    }
    const auth = via?.auth() ?? this.auth;
    if (auth.needsNonce) c.nonce = newNonce();
    const info: Record<string, unknown> = { ...this.infoBase, ...via?.info(), client_id: link.cid, client_ip: conn.remoteAddress, ...(c.nonce ? { nonce: c.nonce } : {}) };
    const o = this.options;
    if (this.tls !== null && via === undefined) {
      const timeout = o.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_MS;
      if (o.tls?.handshake_first) {
        link.upgradeTLS(this.tls, timeout, info);
      } else {
        link.begin(info);
        link.flush();
        link.upgradeTLS(this.tls, timeout, null);
      }
    } else {
      link.begin(info);
    }
    if (this.clients.size > o.max_connections) {
      this.log.error(`${link.traceId} - Maximum connections exceeded`);
      link.sendErr(ERR.maxConnections);
      link.closeAfterFlush(CloseReason.maxConnections);
      return link;
    }
    if (auth.noAuthUser !== null) c.setUser(auth.noAuthUser);
    if (info.auth_required === true) c.parser.awaitingConnect = true;
    // With no_auth_user a client may skip CONNECT, but nats-server still times it out without one.
    if (auth.enabled) this.armAuthTimeout(c, via?.authTimeoutMs);
    link.flush();
    return link;
  }

  /** The next connection id; clients and leaf connections share one sequence, as in nats-server. */
  newCid(): number {
    return this.nextCid++;
  }

  leafz(subs: boolean): LeafzEntry[] {
    return this.services.get(LEAFNODES)?.leafz(subs) ?? [];
  }

  routez(subs: boolean): RoutezEntry[] {
    return this.services.get(ROUTES)?.routez(subs) ?? [];
  }

  clusterVarz(): Record<string, unknown> {
    return this.services.get(ROUTES)?.varz() ?? {};
  }

  leafListen(): { host: string; port: number } | null {
    return this.services.get(LEAFNODES)?.listen ?? null;
  }

  private hasPlaintextPasswords(): boolean {
    const a = this.options.authorization;
    const plain = (p: string | undefined) => p !== undefined && !/^\$2[abxy]\$\d{2}\$/.test(p);
    const users = [...(a?.users ?? []), ...(this.options.accounts ?? []).flatMap((acc) => acc.users ?? [])];
    return plain(a?.password) || users.some((u) => plain(u.password));
  }

  private armAuthTimeout(c: Client, override: number | undefined): void {
    const o = this.options;
    const ms = override ?? o.authorization?.timeout ?? (o.tls ? (o.tls.timeout ?? DEFAULT_TLS_TIMEOUT_MS) + 1000 : 2000);
    const t = setTimeout(() => {
      if (c.closed || c.connected) return;
      this.log.debugf(`${c.traceId} - Authentication Timeout`);
      c.link.sendErr(ERR.authenticationTimeout);
      c.link.closeAfterFlush(CloseReason.authTimeout);
    }, ms);
    (t as { unref?: () => void }).unref?.();
  }

  // ---- ClientHost -----------------------------------------------------------------------------------------

  accountFor(name: string | null): ClientAccount {
    return (name !== null ? this.accounts.get(name) : undefined) ?? this.accounts.global;
  }

  clientConnected(c: Client): void {
    this.services.get(SYSTEM)?.clientConnected(c);
    const expires = c.user?.expiresAt;
    if (expires !== undefined) this.expireAt(c, expires);
  }

  /** nats-server's client.setExpiration: the connection ends when its user JWT does. */
  private expireAt(c: Client, expires: number): void {
    const left = expires - Date.now();
    // Timers fire at once beyond 2^31-1 ms (~24.8 days): wait that long, then look again.
    const t = setTimeout(() => {
      this.expiries.delete(c.cid);
      if (c.closed) return;
      if (left > MAX_TIMER_MS) return this.expireAt(c, expires);
      c.link.sendErr(ERR.userExpired);
      c.link.closeAfterFlush(CloseReason.authExpired);
    }, Math.max(0, Math.min(left, MAX_TIMER_MS)));
    (t as { unref?: () => void }).unref?.();
    this.expiries.set(c.cid, t);
  }

  accountConnections(account: string): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.connected && c.account.name === account) n++;
    return n;
  }

  closeAccount(account: string): void {
    for (const c of this.clients.values()) {
      if (c.account.name !== account || c.closed) continue;
      c.link.sendErr(ERR.accountExpired);
      c.link.closeAfterFlush(CloseReason.authExpired);
    }
    this.services.get(LEAFNODES)?.closeAccount(account, ERR.accountExpired, CloseReason.authExpired);
  }

  accountLeafConnections(account: string): number {
    return this.leafz(false).filter((l) => l.account === account).length;
  }

  /**
   * Operator mode: a pushed account JWT applied to the account's clients (nats-server's
   * updateAccountClaimsWithRefresh): beyond its `conn` limit the oldest closed, revoked users closed, users
   * of changed signing keys closed, the others' subscription and payload caps updated.
   */
  accountUpdated(claims: AccountClaims, changedSigners: ReadonlySet<string>): void {
    const clients = [...this.clients.values()].filter((c) => c.connected && !c.closed && c.account.name === claims.sub);
    clients.sort((a, b) => b.link.start - a.link.start || b.cid - a.cid);
    clients.forEach((c, i) => {
      if (c.user === null) return;
      const r = refreshUser(c.user, claims, i, changedSigners);
      if ("keep" in r) return c.updateCaps(r.keep);
      switch (r.close) {
        case "maxConnections":
          c.link.sendErr(ERR.maxAccountConnections);
          c.link.closeAfterFlush(CloseReason.maxAccountConnections);
          break;
        case "revoked":
          this.log.debugf(`${c.traceId} - User JWT revoked`);
          c.link.sendErr(ERR.userRevoked);
          c.link.closeAfterFlush(CloseReason.revoked);
          break;
        case "bearer":
          c.link.sendErr(ERR.authorizationViolation);
          c.link.closeAfterFlush(CloseReason.authViolation);
          break;
        case "signer":
          // nats-server closes these without an -ERR.
          c.link.close(CloseReason.authViolation);
      }
    });
  }

  // ---- LeafHost -------------------------------------------------------------------------------------------

  leafUp(leaf: LeafConn): void {
    this.services.get(SYSTEM)?.leafUp(leafLink(leaf));
  }

  leafDown(leaf: LeafConn): void {
    this.services.get(SYSTEM)?.leafDown(leafLink(leaf));
  }

  accountRouter(name: string | null): Account | null {
    return name === null ? this.accounts.global : (this.accounts.get(name) ?? null);
  }

  // ---- RouteHost ------------------------------------------------------------------------------------------

  otherAccounts(): Account[] {
    return this.accounts.list().filter((a) => a !== this.accounts.global);
  }

  loadAccount(name: string): boolean {
    if (this.accounts.get(name) !== undefined) return true;
    return this.operator !== null && this.operator.account(name) !== null;
  }

  onAccountAdded(listener: (acc: Account) => void): () => void {
    return this.accounts.onAdded(listener);
  }

  addSystemImports(): void {
    this.accounts.addSystemImports();
  }

  onServiceLatency(sink: LatencySink): () => void {
    for (const a of this.accounts.list()) a.latencySink = sink;
    const off = this.accounts.onAdded((a) => {
      a.latencySink = sink;
    });
    return () => {
      off();
      for (const a of this.accounts.list()) if (a.latencySink === sink) a.latencySink = null;
    };
  }

  /** The system service runs only when there is a system account. */
  get systemRouter(): Account {
    return this.accounts.system!;
  }

  authenticate(client: Client): AuthVerdict | Promise<AuthVerdict> {
    const auth = this.listeners.get(client.link.clientType)?.auth() ?? this.auth;
    const link = client.link;
    return auth.authenticate(client.opts, client.nonce, link.tls, { kind: link.kind, clientType: link.clientType, host: link.conn.remoteAddress });
  }

  // ---- ConnectionHost -------------------------------------------------------------------------------------

  queueFlush(c: Connection): void {
    c.flushQueued = true;
    this.dirty.push(c);
  }

  flushPending(): void {
    const d = this.dirty;
    // Flushing can queue more (a slow consumer's close never does, but stay safe): walk by index.
    for (let i = 0; i < d.length; i++) {
      const c = d[i]!;
      c.flushQueued = false;
      c.flush();
    }
    d.length = 0;
  }

  connectionClosed(link: Connection): void {
    const c = this.clients.get(link.cid);
    if (c === undefined) return;
    this.clients.delete(link.cid);
    const expiry = this.expiries.get(link.cid);
    if (expiry !== undefined) {
      clearTimeout(expiry);
      this.expiries.delete(link.cid);
    }
    // Removing its subscriptions may have queued LS- on leaf links, outside any read cycle; not from inside
    // this call, which may itself run during a flush.
    if (this.dirty.length > 0) queueMicrotask(() => this.flushPending());
    // Its subscriptions are still listed, so /connz?state=closed can show them.
    this.lifecycle.clientClosed(c);
    if (c.connected) this.services.get(SYSTEM)?.clientClosed(c);
    else if (link.closeReason === CloseReason.authViolation) this.services.get(SYSTEM)?.clientAuthFailed(c);
    this.log.debugf(`${link.traceId} - Client connection closed: ${link.closeReason}`);
  }

  private sweepStalled(): void {
    const deadline = this.options.write_deadline;
    const now = Date.now();
    for (const { link } of this.clients.values()) {
      if (link.stalledSince !== 0 && now - link.stalledSince > deadline) link.slowConsumer(CloseReason.slowConsumerDeadline);
    }
  }

  /** Stops accepting, flushes and closes every client. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    await this.listener?.close();
    this.services.get(SYSTEM)?.serverShutdown();
    for (const c of [...this.clients.values()]) c.link.closeAfterFlush(CloseReason.serverShutdown);
    await this.services.stop();
    this.operator?.close();
    this.accounts.close();
    this.log.notice("Server Exiting..");
    // Last: it settles lifecycle.done, on which the CLI exits.
    await this.lifecycle.stop();
  }
}

/** A leaf link as the system account's events see it. */
function leafLink(leaf: LeafConn): LeafLink {
  const l = leaf.link;
  return {
    cid: leaf.cid,
    start: l.start,
    host: l.conn.remoteAddress,
    account: leaf.account,
    accepted: !leaf.solicited,
    user: leaf.peer.user,
    name: leaf.peer.name,
    version: leaf.peer.version,
    inMsgs: l.inMsgs,
    inBytes: l.inBytes,
    outMsgs: l.outMsgs,
    outBytes: l.outBytes,
    closeReason: l.closeReason ?? null,
  };
}

/**
 * Operator mode names the system account by its public key: it exists from the start, empty, and its JWT fills
 * it in once the resolver is read (nats-server injects such a stub too).
 */
function withSystemStub(o: ServerOptions): ServerOptions {
  const sys = o.system_account;
  if (o.operator === undefined || sys === undefined || (o.accounts ?? []).length > 0) return o;
  return { ...o, accounts: [{ name: sys }] };
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Logs clamped protocol numbers at most once a second, with how many there were since the last line. */
function reportBadDecimal(log: Logger): (v: number) => void {
  let last = 0;
  let count = 0;
  return (v) => {
    count++;
    const now = Date.now();
    if (now - last < 1000) return;
    log.error(`internal error: ${count} protocol number(s) were not non-negative integers (last ${v}); written as 0 or truncated`);
    last = now;
    count = 0;
  };
}
