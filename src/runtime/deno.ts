/**
 * The Deno transport: Deno.listen with an async read loop. Deno's writes are promises, so this adapter owns
 * at most one write in flight and reports a busy socket as a 0-byte write; the core keeps the bytes and
 * retries on onDrain, exactly as it does for a short write under Bun. Server TLS runs over the same
 * connection through deno_tls.ts; dialling goes through node_dial.ts.
 */
import type {
  Conn,
  ConnHandler,
  DialOptions,
  HTTPListener,
  HTTPServeOptions,
  Listener,
  ListenOptions,
  Runtime,
  TLSClientConfig,
  TLSServerConfig,
} from "./types.ts";
import type { DenoConn, DenoNamespace } from "./deno_types.ts";
import { DenoServerTLS, loadServerTLS } from "./deno_tls.ts";

const READ_BUFFER = 64 * 1024;

function deno(): DenoNamespace {
  return (globalThis as unknown as { Deno: DenoNamespace }).Deno;
}

class DenoAdapterConn implements Conn {
  handler: ConnHandler | null = null;
  private writing = false;
  private closed = false;
  private endAfterWrite = false;
  /** The plain write in flight: TLS records go out after it (the clear INFO precedes the handshake). */
  private lastWrite: Promise<void> = Promise.resolve();
  private secure: DenoServerTLS | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(private readonly c: DenoConn) {
    this.remoteAddress = c.remoteAddr.hostname;
    this.remotePort = c.remoteAddr.port;
  }

  write(data: Uint8Array): number {
    if (this.secure !== null) return this.secure.write(data);
    if (this.writing || this.closed) return 0;
    this.writing = true;
    this.lastWrite = this.writeAll(data.slice());
    return data.length;
  }

  private async writeAll(buf: Uint8Array): Promise<void> {
    try {
      await this.send(buf);
    } catch {
      this.destroy();
      return;
    }
    this.writing = false;
    if (this.endAfterWrite) this.destroy();
    else this.handler?.onDrain();
  }

  private async send(buf: Uint8Array): Promise<void> {
    let off = 0;
    while (off < buf.length) off += await this.c.write(buf.subarray(off));
  }

  /** The TLS session's way out: after the plain write in flight, one record batch at a time. */
  private writeRaw(buf: Uint8Array): Promise<void> {
    const next = this.lastWrite.then(() => this.send(buf));
    this.lastWrite = next.catch(() => {});
    return next;
  }

  private paused: (() => void) | null = null;
  private pauseWait: Promise<void> | null = null;

  pause(): void {
    this.secure?.pause();
    if (this.pauseWait === null) this.pauseWait = new Promise((r) => (this.paused = r));
  }

  resume(): void {
    this.secure?.resume();
    const r = this.paused;
    this.paused = null;
    this.pauseWait = null;
    r?.();
  }

  startTLS(cfg: TLSServerConfig): void {
    if (this.secure !== null || this.closed) return;
    const self = this;
    try {
      this.secure = new DenoServerTLS(cfg, {
        writeRaw: (buf) => self.writeRaw(buf),
        destroy: () => self.destroy(),
        get handler() {
          return self.handler;
        },
      });
    } catch (err) {
      // A certificate or key that does not load throws here; the reason names no key material.
      this.handler?.onTLS(new Error(`certificate or key does not load: ${err instanceof Error ? err.message : String(err)}`));
      this.destroy();
    }
  }

  startClientTLS(_cfg: TLSClientConfig): void {
    this.handler?.onTLS(new Error("client TLS on an accepted connection"));
  }

  end(): void {
    if (this.secure !== null) this.secure.end();
    else if (this.writing) this.endAfterWrite = true;
    else this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.resume();
    this.secure?.destroy();
    try {
      this.c.close();
    } catch {
      // Already closed by the peer: nothing left to release.
    }
    const h = this.handler;
    this.handler = null;
    h?.onClose();
  }

  async readLoop(): Promise<void> {
    const buf = new Uint8Array(READ_BUFFER);
    try {
      for (;;) {
        if (this.pauseWait !== null) await this.pauseWait;
        const n = await this.c.read(buf);
        if (this.closed) break;
        if (n === null) {
          if (this.secure === null) break;
          // What was fed is still being decrypted: the session closes the connection once it is delivered.
          this.secure.endOfInput();
          return;
        }
        if (this.secure !== null) this.secure.feed(buf.subarray(0, n));
        else this.handler?.onData(buf.subarray(0, n));
      }
    } catch {
      // A reset connection ends the loop like EOF does.
    }
    this.destroy();
  }
}

export const denoRuntime: Runtime = {
  name: "deno",
  version: deno().version.deno,
  serverTLS: true,
  fixedTLSCiphers: true,
  prepareTLS: loadServerTLS,
  listen(opts: ListenOptions): Promise<Listener> {
    const l = deno().listen({ hostname: opts.host, port: opts.port, transport: "tcp" });
    let open = true;
    void (async () => {
      try {
        for await (const c of l) {
          c.setNoDelay(true);
          const conn = new DenoAdapterConn(c);
          conn.handler = opts.accept(conn);
          void conn.readLoop();
        }
      } catch (err) {
        if (open) throw err;
      }
    })();
    return Promise.resolve({
      host: opts.host,
      port: l.addr.port,
      close: () => {
        open = false;
        l.close();
        return Promise.resolve();
      },
    });
  },
  /**
   * Over node:net and node:tls, loaded on the first dial: Deno.startTls cannot present a client
   * certificate, which a leaf connecting to a server that verifies clients needs.
   */
  async dial(host: string, port: number, opts: DialOptions): Promise<Conn> {
    return (await import("./node_dial.ts")).nodeDial(host, port, opts);
  },
  serveHTTP(opts: HTTPServeOptions): Promise<HTTPListener> {
    return new Promise((resolve) => {
      const server = deno().serve({
        hostname: opts.host,
        port: opts.port,
        ...(opts.tls !== undefined && { cert: opts.tls.cert, key: opts.tls.key }),
        // Deno.serve prints "Listening on ..." unless told otherwise; natsedge logs its own line.
        onListen: ({ port }) => resolve({ port, close: () => server.shutdown() }),
      }, opts.fetch);
    });
  },
};
