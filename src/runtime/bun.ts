/** The Bun transport: Bun.listen, whose write() takes what the kernel accepts and never buffers. */
import type { Conn, ConnHandler, Listener, ListenOptions, Runtime } from "./types.ts";

type BunSocket = Bun.Socket<BunConn>;

class BunConn implements Conn {
  handler: ConnHandler | null = null;
  constructor(private readonly s: BunSocket) {}
  write(data: Uint8Array): number {
    const n = this.s.write(data);
    return n < 0 ? 0 : n;
  }
  pause(): void {
    this.s.pause();
  }
  resume(): void {
    this.s.resume();
  }
  end(): void {
    this.s.end();
  }
  destroy(): void {
    this.s.terminate();
  }
  get remoteAddress(): string {
    return this.s.remoteAddress;
  }
  get remotePort(): number {
    return this.s.remotePort;
  }
}

export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  listen(opts: ListenOptions): Promise<Listener> {
    const server = Bun.listen<BunConn>({
      hostname: opts.host,
      port: opts.port,
      socket: {
        binaryType: "uint8array",
        open(s) {
          const c = new BunConn(s);
          s.data = c;
          s.setNoDelay(true);
          c.handler = opts.accept(c);
        },
        data(s, d) {
          s.data.handler?.onData(d);
        },
        drain(s) {
          s.data.handler?.onDrain();
        },
        close(s) {
          const h = s.data?.handler;
          if (h) {
            s.data.handler = null;
            h.onClose();
          }
        },
        error(s) {
          const h = s.data?.handler;
          if (h) {
            s.data.handler = null;
            h.onClose();
          }
        },
      },
    });
    return Promise.resolve({
      host: opts.host,
      port: server.port,
      close: () => {
        server.stop(false);
        return Promise.resolve();
      },
    });
  },
};
