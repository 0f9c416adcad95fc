/**
 * WebSocket connections on Deno.serve and Deno.upgradeWebSocket. Deno does the framing, masking, ping/pong
 * and close frames and reassembles fragments, but offers no permessage-deflate (clients fall back to plain
 * frames), no message size limit (enforced here, after the fact), no way to pause reading, and backpressure
 * only as bufferedAmount, which is polled.
 */
import type { DenoNamespace, DenoWebSocket } from "./deno_types.ts";
import type { Conn, ConnHandler, TLSClientConfig, TLSServerConfig, WebSocketListener, WebSocketServeOptions } from "./types.ts";
import { closeStatus } from "./ws_close.ts";

/** Above this many queued bytes a write is refused until the socket drains below half of it. */
const HIGH_WATER = 1024 * 1024;
const DRAIN_POLL_MS = 5;

const encoder = new TextEncoder();

class DenoWSConn implements Conn {
  handler: ConnHandler | null = null;
  private ended = false;
  private drainTimer: ReturnType<typeof setInterval> | null = null;
  private status = 1000;
  private reason = "";

  constructor(
    private readonly ws: DenoWebSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  write(data: Uint8Array): number {
    if (this.ended) return 0;
    if (this.ws.bufferedAmount > HIGH_WATER) {
      this.awaitDrain();
      return 0;
    }
    // send() may keep the view: the caller reuses its buffer once write returns.
    this.ws.send(data.slice());
    return data.length;
  }

  private awaitDrain(): void {
    if (this.drainTimer !== null) return;
    this.drainTimer = setInterval(() => {
      if (this.ended || this.ws.bufferedAmount > HIGH_WATER / 2) return;
      this.stopDrainPoll();
      this.handler?.onDrain();
    }, DRAIN_POLL_MS);
  }

  private stopDrainPoll(): void {
    if (this.drainTimer !== null) clearInterval(this.drainTimer);
    this.drainTimer = null;
  }

  pause(): void {}

  resume(): void {}

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
    if (this.ended) return;
    this.ended = true;
    this.stopDrainPoll();
    this.handler = null;
    this.ws.close(this.status, this.reason);
  }

  destroy(): void {
    this.end();
  }

  /** A message larger than the limit closes the connection, as a too-big frame does under Bun. */
  tooBig(): void {
    const h = this.handler;
    this.status = 1009;
    this.reason = "Message Too Big";
    this.end();
    h?.onClose();
  }
}

export function serveDenoWebSocket(deno: DenoNamespace, opts: WebSocketServeOptions): Promise<WebSocketListener> {
  const tls = opts.tls !== undefined;
  let accepting = true;
  return new Promise((resolve) => {
    const server = deno.serve(
      {
        hostname: opts.host,
        port: opts.port,
        ...(opts.tls !== undefined && { cert: opts.tls.cert, key: opts.tls.key }),
        onListen: ({ port }) =>
          resolve({
            port,
            // Deno.serve has no way to stop listening and keep upgraded sockets; refusing upgrades is the nearest.
            stopAccepting: () => {
              accepting = false;
            },
            close: () => server.shutdown(),
          }),
      },
      (req, info) => {
        const { hostname, port } = info.remoteAddr;
        if (!accepting) return new Response("server is shutting down", { status: 503 });
        const refusal = opts.check(req, tls, `${hostname}:${port}`);
        if (refusal !== null) return refusal;
        let up: ReturnType<DenoNamespace["upgradeWebSocket"]>;
        try {
          // NATS PING/PONG keeps the connection alive; Deno's own pings would be a second mechanism.
          up = deno.upgradeWebSocket(req, { idleTimeout: 0 });
        } catch {
          return new Response("websocket handshake error", { status: 400, headers: { "Sec-Websocket-Version": "13" } });
        }
        const ws = up.socket;
        ws.binaryType = "arraybuffer";
        const c = new DenoWSConn(ws, hostname, port);
        ws.onopen = () => {
          c.handler = opts.accept(c);
        };
        ws.onmessage = (e) => {
          const data = typeof e.data === "string" ? encoder.encode(e.data) : new Uint8Array(e.data);
          if (data.length > opts.maxMessage) c.tooBig();
          else c.handler?.onData(data);
        };
        ws.onclose = ws.onerror = () => {
          const h = c.handler;
          c.handler = null;
          h?.onClose();
        };
        return up.response;
      },
    );
  });
}
