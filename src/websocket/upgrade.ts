/**
 * One accepted socket on the WebSocket port until it is a WebSocket: TLS first when the listener has it,
 * then the upgrade request, both within handshake_timeout (nats-server's HTTP ReadTimeout), then the checks
 * and the 101. After that it only passes the raw connection's events on to the WsConn.
 */
import type { Conn, ConnHandler, TLSServerConfig, TLSState } from "../runtime/types.ts";
import { cookie } from "./cookie.ts";
import { refusal } from "./handshake.ts";
import { HeadBuffer, httpError, MAX_HEAD, offersDeflate, parseHead, type RequestHead, switchingProtocols } from "./http_head.ts";
import type { Deflate } from "./deflate.ts";
import type { OriginPolicy } from "./origin.ts";
import { WsConn } from "./ws_conn.ts";

/** What an upgrade needs from the listener; read per connection, so a reload's TLS applies to the next one. */
export interface UpgradeSettings {
  tls: TLSServerConfig | null;
  origins: OriginPolicy;
  /** permessage-deflate when the block enables it (loaded only then), else null. */
  compression: Deflate | null;
  compressThreshold: number;
  maxMessage: number;
  /** 0: no limit. */
  handshakeTimeoutMs: number;
  /** The cookie whose value stands in for a CONNECT without `jwt` (the block's jwt_cookie). */
  jwtCookie: string | undefined;
  /** Refuses new upgrades (lame duck mode). */
  accepting: boolean;
  /** Logs a refusal as nats-server does: `<peer> - websocket handshake error: <reason>`. */
  refused(peer: string, reason: string): void;
  /**
   * What speaks on a request's path once upgraded (nats-server: NATS clients on any path, MQTT on /mqtt,
   * leaf nodes on /leafnode), or null to answer 404.
   */
  route(head: RequestHead): WsRoute | null;
  /** Called once, when the socket has upgraded or ended before it. */
  done(u: Upgrade): void;
}

/** nats-server's wsFrameSizeForBrowsers. */
const BROWSER_FRAME = 4096;

export interface WsRoute {
  /** Sec-WebSocket-Protocol for the 101 (MQTT's "mqtt"). */
  protocol?: string;
  /** Hands the upgraded connection to what serves it. */
  accept(ws: WsConn, head: RequestHead): ConnHandler;
}

export class Upgrade implements ConnHandler {
  private readonly headBytes = new HeadBuffer();
  private tls: TLSState | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ws: WsConn | null = null;
  /** What came while the 101 was being made (the accept key is a WebCrypto digest): read once upgraded. */
  private early: Uint8Array[] | null = null;
  private next: ConnHandler | null = null;
  private finished = false;

  constructor(
    private readonly raw: Conn,
    private readonly s: UpgradeSettings,
  ) {}

  get peer(): string {
    return `${this.raw.remoteAddress}:${this.raw.remotePort}`;
  }

  start(): void {
    if (this.s.handshakeTimeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.ws === null) this.abort();
      }, this.s.handshakeTimeoutMs);
    }
    if (this.s.tls !== null) this.raw.startTLS(this.s.tls);
  }

  /** Ends a socket that has not upgraded (shutdown, timeout, a failed TLS handshake). */
  abort(): void {
    if (this.ws !== null) return;
    this.raw.destroy();
    this.finish();
  }

  onTLS(result: TLSState | Error): void {
    if (result instanceof Error) {
      this.s.refused(this.peer, `TLS handshake error: ${result.message}`);
      return this.abort();
    }
    // verify: a client without a certificate that chains to the CA fails the handshake, as Go's listener does.
    if (this.s.tls?.requestCert && (result.peer === null || result.verifyError !== null)) {
      this.s.refused(this.peer, `TLS handshake error: client certificate: ${result.verifyError ?? "none presented"}`);
      return this.abort();
    }
    this.tls = result;
  }

  onData(data: Uint8Array): void {
    if (this.ws !== null) return this.ws.onData(data);
    if (this.early !== null) return void this.early.push(data.slice());
    if (this.finished || (this.s.tls !== null && this.tls === null)) return;
    const { bytes: b, end } = this.headBytes.add(data);
    if (end < 0) {
      if (b.length > MAX_HEAD) this.refuse(431, "request head too large");
      return;
    }
    const head = parseHead(b.subarray(0, end));
    if (typeof head === "string") return this.refuse(400, head);
    if (!this.s.accepting) return this.refuse(503, "server is not accepting clients");
    const r = refusal(head, this.s.origins, this.s.tls !== null);
    if (r !== null) return this.refuse(r[0], r[1]);
    if (end < b.length) return this.refuse(400, "client sent data before handshake is complete");
    const route = this.s.route(head);
    if (route === null) return this.refuse(404, `nothing is served on ${JSON.stringify(head.path)}`);
    this.early = [];
    void this.upgrade(head, route);
  }

  private async upgrade(head: RequestHead, route: WsRoute): Promise<void> {
    const h = head.headers;
    const compression = offersDeflate(h) ? this.s.compression : null;
    const noMasking = h.get("nats-no-masking") === "true";
    // nats-server's browser detection (wsUpgrade): 4 KiB frames for browsers, and Safari (the only one whose
    // UA has both Version/ and Safari/) gets compressed messages unfragmented.
    const ua = h.get("user-agent") ?? "";
    const browser = ua.startsWith("Mozilla/");
    const key = h.get("sec-websocket-key")!;
    const response = await switchingProtocols(key, { compression: compression !== null, noMasking, ...(route.protocol !== undefined && { protocol: route.protocol }) });
    // Closed, timed out or shut down while the accept key was computed.
    if (this.finished) return;
    this.headBytes.clear();
    const ws = new WsConn(this.raw, {
      compression,
      compressThreshold: this.s.compressThreshold,
      noMasking,
      maskWrites: false,
      maxMessage: this.s.maxMessage,
      tls: this.tls,
      forwardedFor: head.forwardedFor,
      cookieJwt: this.s.jwtCookie !== undefined ? cookie(h, this.s.jwtCookie) : null,
      maxFrame: browser ? BROWSER_FRAME : 0,
      wholeCompressed: browser && ua.includes("Version/") && ua.includes("Safari/"),
    });
    this.ws = ws;
    ws.send(response);
    ws.handler = route.accept(ws, head);
    this.finish();
    const early = this.early ?? [];
    this.early = null;
    for (const d of early) ws.onData(d);
  }

  private refuse(status: number, reason: string): void {
    this.s.refused(this.peer, reason);
    this.raw.write(httpError(status));
    this.raw.end();
    this.finish();
  }

  onDrain(): void {
    this.ws?.onDrain();
  }

  onClose(): void {
    this.ws?.onClose();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.s.done(this);
  }
}
