/**
 * In-process connections: a client in the same process talks to the server through memory, with no socket
 * (edge functions that cannot listen on TCP, tests, embedding). One `pipe()` gives both ends: a `Conn` for
 * the server's accept and an `InProcessSocket` for the client.
 *
 * The ends never call each other synchronously: bytes are handed over on the next turn of the event loop
 * (setImmediate), so a client that publishes while handling a message cannot re-enter the server, and a
 * busy exchange between the two still lets timers and sockets run. Bytes the server writes are held until
 * the client reads them, up to `highWaterMark`; past that write() takes less and the core waits for onDrain,
 * exactly as with a full TCP send buffer (so slow-consumer handling works unchanged).
 *
 * `InProcessTransport` adapts the client end to nats.js's `Transport` interface (nats-core's transport.ts),
 * declared structurally here so nothing in the server depends on the client library.
 */
import type { Conn, ConnHandler, TLSClientConfig, TLSServerConfig } from "./types.ts";

/** What the server sends the client may hold unread before the server's writes come up short. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** The client's end of an in-process connection. */
export interface InProcessSocket extends AsyncIterable<Uint8Array> {
  /** Sends bytes to the server (copied; delivered on the next event-loop turn). Ignored once closed. */
  write(data: Uint8Array | string): void;
  /** Closes the connection; the server sees the client go away. */
  close(): void;
  readonly isClosed: boolean;
  /** Settles when the connection has closed, from either end. */
  readonly closed: Promise<void>;
}

export interface PipeOptions {
  highWaterMark?: number;
  /** Shown as the client's address (INFO client_ip, connz ip). */
  remoteAddress?: string;
}

const encoder = new TextEncoder();

class Pipe {
  // client -> server
  private toServer: Uint8Array[] = [];
  private deliverScheduled = false;
  private paused = false;
  // server -> client
  private toClient: Uint8Array[] = [];
  private toClientBytes = 0;
  private readerWake: (() => void) | null = null;
  /** The server's last write came up short: tell it when the client has read. */
  private owesDrain = false;

  handler: ConnHandler | null = null;
  private serverEnded = false;
  private done = false;
  private resolveClosed!: () => void;
  readonly closedPromise = new Promise<void>((r) => (this.resolveClosed = r));

  constructor(
    private readonly highWaterMark: number,
    readonly remoteAddress: string,
  ) {}

  get isClosed(): boolean {
    return this.done || this.serverEnded;
  }

  // ---- server side (Conn) --------------------------------------------------------------------------------

  serverWrite(data: Uint8Array): number {
    if (this.isClosed) return 0;
    const room = this.highWaterMark - this.toClientBytes;
    // An empty queue takes a whole frame even past the mark, so a large MSG can always get through.
    const n = this.toClientBytes === 0 ? data.length : Math.min(data.length, Math.max(0, room));
    if (n < data.length) this.owesDrain = true;
    if (n === 0) return 0;
    this.toClient.push(data.slice(0, n));
    this.toClientBytes += n;
    this.wakeReader();
    return n;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleDeliver();
  }

  /** The server closes after what it wrote: the client reads the rest, then sees the end. */
  serverEnd(): void {
    if (this.isClosed) return;
    this.serverEnded = true;
    this.toServer = [];
    this.wakeReader();
    this.finish();
  }

  /** The server closes at once: unread bytes are dropped. */
  serverDestroy(): void {
    if (this.done) return;
    this.toClient = [];
    this.toClientBytes = 0;
    this.serverEnd();
  }

  // ---- client side (InProcessSocket) ---------------------------------------------------------------------

  clientWrite(data: Uint8Array | string): void {
    if (this.isClosed) return;
    this.toServer.push(typeof data === "string" ? encoder.encode(data) : data.slice());
    this.scheduleDeliver();
  }

  clientClose(): void {
    if (this.isClosed) return;
    this.done = true;
    this.toClient = [];
    this.toClientBytes = 0;
    this.wakeReader();
    this.finish();
  }

  async *read(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.toClient.length > 0) {
        const chunks = this.toClient;
        this.toClient = [];
        this.toClientBytes = 0;
        if (this.owesDrain) {
          this.owesDrain = false;
          setImmediate(() => {
            if (!this.isClosed) this.handler?.onDrain();
          });
        }
        for (const c of chunks) yield c;
        continue;
      }
      if (this.done || this.serverEnded) return;
      await new Promise<void>((r) => (this.readerWake = r));
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  private wakeReader(): void {
    const w = this.readerWake;
    this.readerWake = null;
    w?.();
  }

  private scheduleDeliver(): void {
    if (this.deliverScheduled || this.paused || this.handler === null || this.toServer.length === 0) return;
    this.deliverScheduled = true;
    setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.deliverScheduled = false;
    while (!this.paused && !this.isClosed && this.handler !== null && this.toServer.length > 0) {
      this.handler.onData(this.toServer.shift()!);
    }
  }

  /** Tells the server (next turn, never inside its own call) and settles `closed`. */
  private finish(): void {
    setImmediate(() => {
      const h = this.handler;
      this.handler = null;
      h?.onClose();
      this.resolveClosed();
    });
  }
}

class ServerEnd implements Conn {
  readonly remotePort = 0;
  constructor(private readonly p: Pipe) {}
  get remoteAddress(): string {
    return this.p.remoteAddress;
  }
  write(data: Uint8Array): number {
    return this.p.serverWrite(data);
  }
  pause(): void {
    this.p.pause();
  }
  resume(): void {
    this.p.resume();
  }
  /**
   * There is no wire to encrypt, but a server that requires TLS has not said in-process clients are exempt:
   * the handshake fails, and the core closes the connection as for any failed handshake.
   */
  startTLS(_cfg: TLSServerConfig): void {
    // Called from inside accept, before the handler is attached: look it up on the next turn.
    setImmediate(() => this.p.handler?.onTLS(new Error("TLS is not available on an in-process connection")));
  }
  startClientTLS(_cfg: TLSClientConfig): void {
    setImmediate(() => this.p.handler?.onTLS(new Error("client TLS on an accepted connection")));
  }
  end(): void {
    this.p.serverEnd();
  }
  destroy(): void {
    this.p.serverDestroy();
  }
}

class ClientEnd implements InProcessSocket {
  constructor(private readonly p: Pipe) {}
  write(data: Uint8Array | string): void {
    this.p.clientWrite(data);
  }
  close(): void {
    this.p.clientClose();
  }
  get isClosed(): boolean {
    return this.p.isClosed;
  }
  get closed(): Promise<void> {
    return this.p.closedPromise;
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.p.read();
  }
}

/**
 * A connected pair. Give `server` to the server's accept and set `attach(handler)` with what it returns;
 * nothing is delivered to the server before that.
 */
export function pipe(opts: PipeOptions = {}): { server: Conn; client: InProcessSocket; attach(h: ConnHandler): void } {
  const p = new Pipe(opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, opts.remoteAddress ?? "inprocess");
  return {
    server: new ServerEnd(p),
    client: new ClientEnd(p),
    attach(h) {
      p.handler = h;
      p.resume();
    },
  };
}

// ---- nats.js ---------------------------------------------------------------------------------------------

/** The slice of nats.js's ConnectionOptions the transport reads. */
interface TransportOptions {
  debug?: boolean;
  tls?: unknown;
}

/**
 * nats.js `Transport` over an in-process socket. `dial` opens the socket (it throws when the server is not
 * running); register it with nats-core's setTransportFactory({ factory: () => new InProcessTransport(dial) }).
 */
export class InProcessTransport implements AsyncIterable<Uint8Array> {
  readonly lang = "nats.js";
  readonly version = "natsedge-inprocess";
  closeError?: Error;
  private sock: InProcessSocket | null = null;
  private done = false;
  private connected = false;
  private resolveClosed!: (v: void | Error) => void;
  private readonly closedPromise = new Promise<void | Error>((r) => (this.resolveClosed = r));

  constructor(private readonly dial: () => InProcessSocket) {}

  get isClosed(): boolean {
    return this.done;
  }

  connect(_server: unknown, opts: TransportOptions): Promise<void> {
    if (opts.tls) return Promise.reject(new Error("TLS is not available on an in-process connection"));
    try {
      this.sock = this.dial();
    } catch (err) {
      return Promise.reject(err);
    }
    this.connected = true;
    void this.sock.closed.then(() => this.closedByPeer());
    return Promise.resolve();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    if (this.sock === null) return;
    // Everything the server wrote before closing is yielded before the close is reported.
    for await (const chunk of this.sock) yield chunk;
    this.closedByPeer();
  }

  isEncrypted(): boolean {
    return false;
  }

  send(frame: Uint8Array): void {
    if (!this.done) this.sock?.write(frame);
  }

  close(err?: Error): Promise<void> {
    return this.shut(err);
  }

  /** Drops the connection as if the network failed: nats.js reconnects if it was asked to. */
  disconnect(): void {
    void this.shut(undefined);
  }

  closed(): Promise<void | Error> {
    return this.closedPromise;
  }

  /** nats.js is done with this transport (a newer one replaced it): close without notifying. */
  discard(): void {
    this.done = true;
    this.sock?.close();
  }

  private closedByPeer(): void {
    if (!this.done) void this.shut(undefined);
  }

  private shut(err: Error | undefined): Promise<void> {
    if (!this.connected || this.done) return Promise.resolve();
    this.done = true;
    this.closeError = err;
    this.sock?.close();
    this.resolveClosed(err);
    return Promise.resolve();
  }
}
