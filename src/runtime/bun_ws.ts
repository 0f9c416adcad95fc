/**
 * WebSocket connections on Bun.serve: Bun (uWebSockets) parses and validates frames, unmasks, answers pings
 * and close frames and reassembles fragments; this adapter turns each socket into a Conn.
 */
import type { Conn, ConnHandler, TLSClientConfig, TLSServerConfig, WebSocketListener, WebSocketServeOptions } from "./types.ts";
import { closeStatus } from "./ws_close.ts";

interface SocketData {
  conn: BunWSConn | null;
  ip: string;
  port: number;
}

type Socket = Bun.ServerWebSocket<SocketData>;

const encoder = new TextEncoder();
/** Bytes Bun may hold queued for one socket before writes wait for its drain. */
const HIGH_WATER = 1024 * 1024;

class BunWSConn implements Conn {
  handler: ConnHandler | null = null;
  /** Bun holds more than HIGH_WATER unsent: wait for its drain before handing it more. */
  busy = false;
  private ended = false;
  private status = 1000;
  private reason = "";

  constructor(
    private readonly ws: Socket,
    private readonly compressAbove: number,
  ) {}

  get remoteAddress(): string {
    return this.ws.data.ip;
  }

  get remotePort(): number {
    return this.ws.data.port;
  }

  write(data: Uint8Array): number {
    if (this.busy || this.ended) return 0;
    const sent = this.ws.sendBinary(data, data.length > this.compressAbove);
    // 0: dropped (the socket is closing; backpressureLimit is off). -1: queued under backpressure, Bun copied
    // it; going on until Bun holds HIGH_WATER saves the core's buffer a grow-and-copy per burst.
    if (sent === 0) {
      this.busy = true;
      return 0;
    }
    if (sent === -1 && this.ws.getBufferedAmount() > HIGH_WATER) this.busy = true;
    return data.length;
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  startTLS(_cfg: TLSServerConfig): void {
    this.handler?.onTLS(new Error("TLS on a WebSocket is the listener's, not the connection's"));
  }

  startClientTLS(_cfg: TLSClientConfig): void {
    this.handler?.onTLS(new Error("client TLS on an accepted WebSocket"));
  }

  closing(reason: string): void {
    [this.status, this.reason] = closeStatus(reason);
  }

  end(): void {
    this.ended = true;
    this.handler = null;
    this.ws.close(this.status, this.reason);
  }

  destroy(): void {
    // A close frame still goes out: a client should learn why, as nats-server tells it.
    this.end();
  }
}

export function serveBunWebSocket(opts: WebSocketServeOptions): Promise<WebSocketListener> {
  const tls = opts.tls !== undefined;
  const compressAbove = opts.compression ? opts.compressThreshold : Number.POSITIVE_INFINITY;
  const server = Bun.serve<SocketData>({
    hostname: opts.host,
    port: opts.port,
    ...(opts.tls !== undefined && {
      tls: {
        cert: opts.tls.cert,
        key: opts.tls.key,
        ...(opts.tls.ca !== undefined && { ca: opts.tls.ca }),
        requestCert: opts.tls.requestCert,
        rejectUnauthorized: opts.tls.requestCert,
      },
    }),
    fetch(req, srv) {
      const addr = srv.requestIP(req);
      const ip = addr?.address ?? "";
      const port = addr?.port ?? 0;
      const refusal = opts.check(req, tls, `${ip}:${port}`);
      if (refusal !== null) return refusal;
      if (srv.upgrade(req, { data: { conn: null, ip, port } })) return undefined;
      return new Response("websocket handshake error", { status: 400, headers: { "Sec-Websocket-Version": "13" } });
    },
    websocket: {
      perMessageDeflate: opts.compression,
      maxPayloadLength: opts.maxMessage,
      // The core bounds what is pending (max_pending, write_deadline); a Bun limit would drop a large flush
      // with no drain to follow.
      backpressureLimit: 0,
      // Liveness is NATS PING/PONG inside messages, as with nats-server, which never sends WebSocket pings.
      idleTimeout: 0,
      sendPings: false,
      open(ws) {
        const c = new BunWSConn(ws, compressAbove);
        ws.data.conn = c;
        c.handler = opts.accept(c);
      },
      message(ws, msg) {
        ws.data.conn?.handler?.onData(typeof msg === "string" ? encoder.encode(msg) : msg);
      },
      drain(ws) {
        const c = ws.data.conn;
        if (c === null) return;
        c.busy = false;
        c.handler?.onDrain();
      },
      close(ws) {
        const c = ws.data.conn;
        const h = c?.handler;
        if (c) c.handler = null;
        h?.onClose();
      },
    },
  });
  return Promise.resolve({
    port: server.port ?? opts.port,
    // stop(false) resolves only once every connection has closed: nothing to wait for here.
    stopAccepting: () => void server.stop(false),
    close: () => server.stop(true),
  });
}
