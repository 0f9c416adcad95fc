/**
 * The WebSocket listener (nats-server's startWebsocketServer): a separate HTTP listener whose upgraded
 * sockets are NATS client connections of type WebSocket, with the block's own origin policy, TLS,
 * compression and optionally authorization. Started as a service once the client port listens.
 */
import type { Authenticator } from "../auth/authenticator.ts";
import type { ClientListener } from "../client/listener.ts";
import type { WebsocketOptions } from "../config/options.ts";
import { tlsServerConfig } from "../config/tls_config.ts";
import { ClientType } from "../protocol/kind.ts";
import type { WebSocketListener } from "../runtime/types.ts";
import { websocketAuthenticator } from "./auth.ts";
import { handshakeCheck } from "./handshake.ts";
import type { WebSocketHost } from "./host.ts";
import { OriginPolicy } from "./origin.ts";

/** nats-server's wsCompressThreshold: smaller batches go uncompressed. */
const COMPRESS_THRESHOLD = 64;
/** The largest message a client may send: nats-server's cap on compressed input, min(8 × max_payload, 64 MiB). */
const MAX_MESSAGE_CAP = 64 * 1024 * 1024;
const DEFAULT_HOST = "0.0.0.0";

export class WebSocketService implements ClientListener {
  readonly clientType = ClientType.WS;
  readonly authTimeoutMs: number | undefined;
  private constructor(
    private readonly host: WebSocketHost,
    private readonly listener: WebSocketListener,
    readonly opts: WebsocketOptions,
    readonly tls: boolean,
    private readonly override: Authenticator | null,
  ) {
    this.authTimeoutMs = opts.authorization?.timeout;
  }

  get port(): number {
    return this.listener.port;
  }

  static async start(host: WebSocketHost): Promise<WebSocketService> {
    const o = host.options;
    const ws = o.websocket!;
    const rt = host.runtime;
    if (rt.serveWebSocket === undefined) throw new Error(`websocket is configured, but the ${rt.name} runtime cannot serve WebSocket`);
    const tls = ws.tls !== undefined ? tlsServerConfig(ws.tls) : undefined;
    if (tls !== undefined) await rt.prepareTLS?.();
    const origins = new OriginPolicy(ws.same_origin === true, ws.allowed_origins);
    for (const ao of origins.unparsable) host.log.error(`error parsing allowed origin: ${JSON.stringify(ao)} is not an absolute URL`);
    const override = websocketAuthenticator(o);
    const wsHost = ws.host ?? DEFAULT_HOST;
    let self: WebSocketService | null = null;
    const listener = await rt.serveWebSocket({
      host: wsHost,
      port: ws.port === -1 ? 0 : ws.port!,
      ...(tls !== undefined && { tls }),
      compression: ws.compression === true,
      compressThreshold: COMPRESS_THRESHOLD,
      maxMessage: Math.min(8 * o.max_payload, MAX_MESSAGE_CAP),
      check: handshakeCheck(origins, host.log),
      accept: (conn) => {
        if (self === null) throw new Error("websocket connection before the listener started");
        return host.acceptClient(conn, self);
      },
    });
    self = new WebSocketService(host, listener, ws, tls !== undefined, override);
    host.registerListener(self);
    const scheme = tls !== undefined ? "wss" : "ws";
    host.log.notice(`Listening for websocket clients on ${scheme}://${wsHost.includes(":") ? `[${wsHost}]` : wsHost}:${listener.port}`);
    if (tls === undefined) host.log.warn("Websocket not configured with TLS. DO NOT USE IN PRODUCTION!");
    if (ws.handshake_timeout) {
      // Measured: Bun.serve's idleTimeout does not reach a connection that has not sent a whole request.
      host.log.warn(
        `websocket handshake_timeout of ${ws.handshake_timeout / 1000}s accepted but not applied: the ${rt.name} HTTP server closes a connection that sends no complete upgrade request after its own timeout`,
      );
    }
    return self;
  }

  auth(): Authenticator {
    return this.override ?? this.host.auth;
  }

  /**
   * The listener's own address and TLS, as current nats-server advertises to WebSocket clients (2.9.10 still
   * sent the client port's): TLS already happened in the HTTP layer, so a client must not start it again.
   */
  info(): Record<string, unknown> {
    return {
      host: this.opts.host ?? DEFAULT_HOST,
      port: this.port,
      tls_required: this.tls ? true : undefined,
      tls_verify: undefined,
      ...(this.override !== null && { auth_required: true }),
    };
  }

  /** Lame duck mode: no new WebSocket clients, the connected ones stay until the server closes them. */
  stopAccepting(): void {
    this.listener.stopAccepting();
  }

  stop(): Promise<void> {
    return this.listener.close();
  }
}
