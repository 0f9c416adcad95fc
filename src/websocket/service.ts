/**
 * The WebSocket listener (nats-server's startWebsocketServer): a separate port whose sockets, once upgraded
 * (upgrade.ts) and framed (ws_conn.ts), are NATS client connections of type WebSocket, with the block's own
 * origin policy, TLS, compression and optionally authorization. Started as a service once the client port
 * listens. The framing is natsedge's own, on the runtime's TCP listener, so Bun and Deno behave alike.
 */
import type { Authenticator } from "../auth/authenticator.ts";
import type { ClientListener } from "../client/listener.ts";
import type { ServerOptions, WebsocketOptions } from "../config/options.ts";
import { tlsServerConfig } from "../config/tls_config.ts";
import { ClientType } from "../protocol/kind.ts";
import type { Conn, ConnHandler, Listener, TLSServerConfig } from "../runtime/types.ts";
import { mapsOwnCertificates, websocketAuthenticator, withWebsocketTLS } from "./auth.ts";
import type { WebSocketHost } from "./host.ts";
import type { Deflate } from "./deflate.ts";
import type { RequestHead } from "./http_head.ts";
import { OriginPolicy } from "./origin.ts";
import { Upgrade, type UpgradeSettings, type WsRoute } from "./upgrade.ts";
import type { WsConn } from "./ws_conn.ts";

/** nats-server's wsCompressThreshold: smaller batches go uncompressed. */
const COMPRESS_THRESHOLD = 64;
/** The largest message a client may send: nats-server's cap on compressed input, min(8 × max_payload, 64 MiB). */
const MAX_MESSAGE_CAP = 64 * 1024 * 1024;
const DEFAULT_HOST = "0.0.0.0";
const MQTT_PATH = "/mqtt";
const LEAF_PATH = "/leafnode";

export class WebSocketService implements ClientListener, UpgradeSettings {
  readonly clientType = ClientType.WS;
  readonly authTimeoutMs: number | undefined;
  compression: Deflate | null = null;
  readonly compressThreshold = COMPRESS_THRESHOLD;
  readonly maxMessage: number;
  readonly handshakeTimeoutMs: number;
  readonly jwtCookie: string | undefined;
  accepting = true;
  private listener: Listener | null = null;
  /** The server's authenticator with the block's verify_and_map, and the server authenticator it was built from. */
  private mapped: { from: Authenticator; auth: Authenticator } | null = null;
  /** Sockets not upgraded yet: the server does not know them, so stop() ends them here. */
  private readonly upgrading = new Set<Upgrade>();

  private constructor(
    private readonly host: WebSocketHost,
    readonly opts: WebsocketOptions,
    public tls: TLSServerConfig | null,
    readonly origins: OriginPolicy,
    /** The block's own authorization, rebuilt on reload: its users may be the accounts'. */
    private override: Authenticator | null,
  ) {
    this.authTimeoutMs = opts.authorization?.timeout;
    this.maxMessage = Math.min(8 * host.options.max_payload, MAX_MESSAGE_CAP);
    this.handshakeTimeoutMs = opts.handshake_timeout ?? 0;
    this.jwtCookie = opts.jwt_cookie;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  static async start(host: WebSocketHost): Promise<WebSocketService> {
    const o = host.options;
    const ws = o.websocket!;
    const rt = host.runtime;
    const tls = ws.tls !== undefined ? tlsServerConfig(ws.tls) : null;
    if (tls !== null && !rt.serverTLS) throw new Error(`websocket TLS is configured, but the ${rt.name} transport cannot serve TLS`);
    if (tls !== null) await rt.prepareTLS?.();
    const origins = new OriginPolicy(ws.same_origin === true, ws.allowed_origins);
    for (const ao of origins.unparsable) host.log.error(`error parsing allowed origin: ${JSON.stringify(ao)} is not an absolute URL`);
    const self = new WebSocketService(host, ws, tls, origins, websocketAuthenticator(o));
    // node:zlib costs idle memory: loaded only when the block enables compression.
    if (ws.compression === true) self.compression = (await import("./deflate.ts")).deflate;
    const wsHost = ws.host ?? DEFAULT_HOST;
    self.listener = await rt.listen({ host: wsHost, port: ws.port === -1 ? 0 : ws.port!, accept: (raw) => self.accept(raw) });
    host.registerListener(self);
    const scheme = tls !== null ? "wss" : "ws";
    host.log.notice(`Listening for websocket clients on ${scheme}://${wsHost.includes(":") ? `[${wsHost}]` : wsHost}:${self.port}`);
    if (tls === null) host.log.warn("Websocket not configured with TLS. DO NOT USE IN PRODUCTION!");
    return self;
  }

  private accept(raw: Conn): ConnHandler {
    const u = new Upgrade(raw, this);
    this.upgrading.add(u);
    // After the runtime has the handler: a TLS failure reported at once must reach it.
    queueMicrotask(() => u.start());
    return u;
  }

  // ---- UpgradeSettings ------------------------------------------------------------------------------------

  refused(peer: string, reason: string): void {
    this.host.log.error(`${peer} - websocket handshake error: ${reason}`);
  }

  /**
   * nats-server's wsUpgrade paths: /mqtt... is MQTT (refused with 404 when the server has no MQTT, as current
   * nats-server does), /leafnode... a leaf node, anything else a NATS client.
   */
  route(head: RequestHead): WsRoute | null {
    if (head.path.startsWith(MQTT_PATH)) return this.host.options.mqtt?.port && this.host.acceptMqttWebSocket !== undefined ? this.mqtt : null;
    if (head.path.startsWith(LEAF_PATH)) return this.leaf;
    return this.clients;
  }

  /** As nats-server 2.9.10: upgraded first, then closed without a word when there is no leafnode port. */
  private readonly leaf: WsRoute = {
    accept: (ws: WsConn) => {
      const h = this.host.acceptLeafWebSocket?.(ws) ?? null;
      if (h === null) {
        this.host.log.error("Not configured to accept leaf node connections");
        ws.destroy();
        return { onData() {}, onDrain() {}, onClose() {}, onTLS() {} };
      }
      if (ws.tls !== null) h.onTLS(ws.tls);
      return h;
    },
  };

  private readonly mqtt: WsRoute = {
    protocol: "mqtt",
    accept: (ws: WsConn) => {
      const h = this.host.acceptMqttWebSocket?.(ws) ?? null;
      if (h === null) {
        ws.destroy();
        return { onData() {}, onDrain() {}, onClose() {}, onTLS() {} };
      }
      if (ws.tls !== null) h.onTLS(ws.tls);
      return h;
    },
  };

  private readonly clients: WsRoute = {
    accept: (ws: WsConn) => {
      const h = this.host.acceptClient(ws, this);
      // The listener's TLS is the connection's: verify_and_map reads its certificate.
      if (ws.tls !== null) h.onTLS(ws.tls);
      return h;
    },
  };

  done(u: Upgrade): void {
    this.upgrading.delete(u);
  }

  // ---- ClientListener -------------------------------------------------------------------------------------

  auth(): Authenticator {
    if (this.override !== null) return this.override;
    const server = this.host.auth;
    if (!mapsOwnCertificates(this.host.options)) return server;
    // Rebuilt when a reload has replaced the server's.
    if (this.mapped?.from !== server) this.mapped = { from: server, auth: withWebsocketTLS(this.host.options) };
    return this.mapped.auth;
  }

  /**
   * The listener's own address, TLS and cluster URLs, as current nats-server advertises to WebSocket clients (2.9.10 still
   * sent the client port's): TLS already happened before the upgrade, so a client must not start it again.
   */
  info(): Record<string, unknown> {
    return {
      host: this.opts.host ?? DEFAULT_HOST,
      port: this.port,
      tls_required: this.tls !== null ? true : undefined,
      tls_verify: undefined,
      // The client port's connect_urls would be dialled as WebSocket URLs: WebSocket clients get the cluster's
      // WebSocket listeners, or none (nats-server puts ws_connect_urls in their connect_urls).
      connect_urls: this.host.websocketConnectUrls ?? undefined,
      ...(this.override !== null && { auth_required: true }),
    };
  }

  /**
   * A reload may change only the block's TLS (reload.ts refuses the rest): the next handshakes use it. The
   * users its own authorization falls back on (the server's and the accounts') may have changed too.
   */
  async reload(next: ServerOptions): Promise<void> {
    this.override = websocketAuthenticator(next);
    const t = next.websocket?.tls;
    if (t === undefined) return;
    this.tls = tlsServerConfig(t);
    await this.host.runtime.prepareTLS?.();
  }

  /** Lame duck mode: no new WebSocket clients, the connected ones stay until the server closes them. */
  stopAccepting(): void {
    this.accepting = false;
    void this.listener?.close();
  }

  async stop(): Promise<void> {
    this.accepting = false;
    for (const u of [...this.upgrading]) u.abort();
    await this.listener?.close();
  }
}
