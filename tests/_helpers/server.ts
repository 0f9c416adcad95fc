/** Test harness: an in-process natsedge on a random port, plus raw-socket and real-client helpers. */
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { createConnection } from "node:net";
import { startServer, type ServerHandle, type StartOptions } from "../../mod.ts";
import { REFERENCE_SERVER, runReferenceServer } from "./reference_server.ts";
import { ReceivingConn } from "./received.ts";

export interface TestServer extends ServerHandle {
  url: string;
  logs: string[];
}

export async function runServer(opts: StartOptions = {}): Promise<TestServer> {
  if (REFERENCE_SERVER !== "") {
    // Differential mode (see reference_server.ts): there is no in-process Server; tests that reach into
    // `srv.server` cannot run in this mode.
    const ref = await runReferenceServer({ host: "127.0.0.1", port: -1, ...opts });
    return Object.assign(ref, { url: `127.0.0.1:${ref.port}`, ready: Promise.resolve() }) as unknown as TestServer;
  }
  const logs: string[] = [];
  const h = await startServer({ host: "127.0.0.1", port: -1, logSink: (l) => logs.push(l), ...opts });
  return Object.assign(h, { url: `127.0.0.1:${h.port}`, logs });
}

export function client(srv: TestServer, opts: ConnectionOptions = {}): Promise<NatsConnection> {
  return connect({ servers: srv.url, reconnect: false, ...opts });
}

/**
 * The socket under RawConn: Bun's (when running on Bun) or node:net's (elsewhere, e.g. under deno test).
 * write() has Bun's semantics: it takes what the socket accepts now and returns that count.
 */
interface RawSocket {
  write(data: string | Uint8Array): number;
  /** Writes everything, buffering what the kernel does not take yet (node:net only). */
  writeAll?(data: string | Uint8Array): void;
  flush(): void;
  pause(): void;
  resume(): void;
  end(): void;
}

interface RawEvents {
  data(d: Uint8Array): void;
  close(): void;
  drain(): void;
}

/** node:net behind RawSocket: a write while the previous one has not drained takes 0 bytes, as Bun's does. */
function nodeSocket(port: number, on: RawEvents): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.setNoDelay(true);
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      s.on("error", () => on.close());
      resolve({
        write(d) {
          if (s.destroyed) return -1;
          if (s.writableNeedDrain) return 0;
          s.write(d);
          return typeof d === "string" ? new TextEncoder().encode(d).length : d.length;
        },
        writeAll(d) {
          if (!s.destroyed) s.write(d);
        },
        flush() {},
        pause: () => void s.pause(),
        resume: () => void s.resume(),
        end: () => void s.end(),
      });
    });
    s.on("data", (d: Uint8Array) => on.data(d));
    s.on("close", () => on.close());
    s.on("drain", () => on.drain());
  });
}

/**
 * A raw TCP connection for protocol-level tests: send bytes, then wait for what the server writes, matching
 * on content rather than sleeping.
 */
export class RawConn extends ReceivingConn {
  private drainWaiters: (() => void)[] = [];
  private constructor(private readonly sock: RawSocket) {
    super(10000);
  }

  static async open(port: number): Promise<RawConn> {
    let self: RawConn | null = null;
    if (!("Bun" in globalThis)) {
      // The server's INFO can arrive before the connect promise resolves: hold events until self exists.
      const early: ((c: RawConn) => void)[] = [];
      const on = (f: (c: RawConn) => void) => (self !== null ? f(self) : void early.push(f));
      const sock = await nodeSocket(port, {
        data: (d) => on((c) => c.onData(new TextDecoder().decode(d))),
        close: () => on((c) => c.onClose()),
        drain: () => on((c) => c.onDrain()),
      });
      const conn = new RawConn(sock);
      self = conn;
      for (const f of early.splice(0)) f(conn);
      return conn;
    }
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          self!.onData(new TextDecoder().decode(d));
        },
        close() {
          self!.onClose();
        },
        drain() {
          self!.onDrain();
        },
        error() {
          self!.onClose();
        },
      },
    });
    self = new RawConn(sock);
    return self;
  }

  private onDrain(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  /**
   * Writes all of `data`, waiting for the socket to drain when the kernel buffer is full (Bun's `write` does
   * not queue what it cannot write now; `send` is only safe for small frames). Rejects if the connection closes.
   */
  async sendAll(data: string | Uint8Array): Promise<void> {
    let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    while (bytes.length > 0) {
      if (this.closed) throw new Error(`connection closed with ${bytes.length} bytes unsent`);
      const n = this.sock.write(bytes);
      this.sock.flush();
      if (n < 0) throw new Error("write on a closed connection");
      bytes = bytes.subarray(n);
      if (bytes.length > 0) {
        await new Promise<void>((resolve) => {
          this.drainWaiters.push(resolve);
          this.rx.onceClosed(resolve);
        });
      }
    }
  }

  /** Stops reading from the socket, so the server sees TCP backpressure (a consumer that never reads). */
  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  send(s: string | Uint8Array): void {
    if (this.sock.writeAll) this.sock.writeAll(s);
    else this.sock.write(s);
    this.sock.flush();
  }

  /** Round-trips a PING so that everything sent before it has been processed. */
  async sync(): Promise<string> {
    const n = (this.rx.text.match(/PONG\r\n/g) ?? []).length;
    this.send("PING\r\n");
    await this.waitFor(new RegExp(`(?:[\\s\\S]*PONG\\r\\n){${n + 1}}`));
    return this.rx.text;
  }

  close(): void {
    this.sock.end();
  }
}
