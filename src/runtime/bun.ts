/** The Bun transport: Bun.listen and Bun.connect, whose write() takes what the kernel accepts and never buffers. */
import { dialWith } from "./dial_attempt.ts";
import { peerIdentities } from "./peer_cert.ts";
import type {
  Conn,
  ConnHandler,
  DialOptions,
  HTTPListener,
  HTTPServeOptions,
  Listener,
  ListenOptions,
  PeerCertificate,
  Runtime,
  TLSClientConfig,
  TLSServerConfig,
  TLSState,
} from "./types.ts";

/** OpenSSL options that switch off SSLv3, TLS 1.0 and TLS 1.1: nats-server's floor is TLS 1.2. */
const NO_OLD_TLS = 0x02000000 | 0x04000000 | 0x10000000;

type BunSocket = Bun.Socket<BunConn>;

/**
 * node:crypto's certificate parser, loaded by prepareTLS: importing node:crypto costs ~7 MiB of idle memory,
 * which a server without TLS should not pay.
 */
let X509: typeof import("node:crypto").X509Certificate | null = null;

function peerOf(s: BunSocket): PeerCertificate | null {
  const pc = s.getPeerCertificate() as { raw?: Uint8Array } | undefined;
  if (!pc?.raw) return null;
  if (X509 === null) throw new Error("TLS used before prepareTLS()");
  return peerIdentities(new X509(pc.raw));
}

/** Bun's TLS settings beside the callback that turns the handshake's outcome into a TLSState or an Error. */
interface Upgrade {
  tls: Bun.TLSOptions;
  handshake(t: BunSocket, ok: boolean, err: Error | null): TLSState | Error;
}

function serverUpgrade(cfg: TLSServerConfig): Upgrade {
  return {
    tls: {
      cert: cfg.cert,
      key: cfg.key,
      ...(cfg.ca !== undefined && { ca: cfg.ca }),
      requestCert: cfg.requestCert,
      rejectUnauthorized: false,
      secureOptions: NO_OLD_TLS,
      ...(cfg.ciphers !== undefined && { ciphers: cfg.ciphers }),
    },
    handshake(t, ok, err) {
      if (!ok) return new Error(err?.message ?? "TLS handshake failed");
      return {
        ...negotiated(t),
        peer: cfg.requestCert ? peerOf(t) : null,
        verifyError: cfg.requestCert && err ? ((err as { code?: string }).code ?? err.message) : null,
      };
    },
  };
}

function clientUpgrade(cfg: TLSClientConfig, host: string): Upgrade {
  return {
    tls: {
      ...(cfg.ca !== undefined && { ca: cfg.ca }),
      ...(cfg.cert !== undefined && { cert: cfg.cert }),
      ...(cfg.key !== undefined && { key: cfg.key }),
      serverName: cfg.servername ?? host,
      rejectUnauthorized: cfg.rejectUnauthorized ?? true,
      secureOptions: NO_OLD_TLS,
    },
    handshake(t, ok, err) {
      if (!ok) return new Error(err?.message ?? "TLS handshake failed");
      return { ...negotiated(t), peer: null, verifyError: err ? ((err as { code?: string }).code ?? err.message) : null };
    },
  };
}

function negotiated(t: BunSocket): { version: string; cipher: string } {
  const c = t.getCipher() as { standardName?: string; name?: string } | undefined;
  return { version: t.getTLSVersion() ?? "", cipher: c?.standardName ?? c?.name ?? "" };
}

class BunConn implements Conn {
  handler: ConnHandler | null = null;
  /** Bun keeps calling the plain socket's data handler with the encrypted bytes after upgradeTLS. */
  tlsStarted = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** `dialled` is the host this side connected to, null for an accepted connection: it fixes the TLS role. */
  constructor(
    private s: BunSocket,
    private readonly dialled: string | null,
  ) {
    this.remoteAddress = s.remoteAddress;
    this.remotePort = s.remotePort;
  }

  startTLS(cfg: TLSServerConfig): void {
    if (this.dialled !== null) this.handler?.onTLS(new Error("server TLS on a dialled connection"));
    else this.upgrade(serverUpgrade(cfg));
  }

  startClientTLS(cfg: TLSClientConfig): void {
    if (this.dialled === null) this.handler?.onTLS(new Error("client TLS on an accepted connection"));
    else this.upgrade(clientUpgrade(cfg, this.dialled));
  }

  private upgrade(u: Upgrade): void {
    const self = this;
    let tls: BunSocket;
    this.tlsStarted = true;
    try {
      [, tls] = this.s.upgradeTLS<BunConn>({
        data: this,
        tls: u.tls,
        socket: {
          handshake(t, ok, err) {
            const h = self.handler;
            if (h) h.onTLS(u.handshake(t, ok, err));
          },
          data(_t, d) {
            self.handler?.onData(d);
          },
          drain() {
            self.handler?.onDrain();
          },
          close() {
            const h = self.handler;
            self.handler = null;
            h?.onClose();
          },
          error() {
            const h = self.handler;
            self.handler = null;
            h?.onClose();
          },
        },
      });
    } catch (err) {
      this.tlsStarted = false;
      // A certificate or key Bun cannot load throws here; OpenSSL's reason names no key material.
      this.handler?.onTLS(new Error(`certificate or key does not load: ${err instanceof Error ? err.message : String(err)}`));
      this.destroy();
      return;
    }
    this.s = tls;
  }

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
}

/** The plain socket's callbacks, shared by accepted and dialled sockets; `open` differs. */
const plainSocket = {
  binaryType: "uint8array",
  data(s: BunSocket, d: Uint8Array) {
    if (!s.data.tlsStarted) s.data.handler?.onData(d);
  },
  drain(s: BunSocket) {
    if (!s.data.tlsStarted) s.data.handler?.onDrain();
  },
  close(s: BunSocket) {
    const h = s.data?.handler;
    if (h) {
      s.data.handler = null;
      h.onClose();
    }
  },
  error(s: BunSocket) {
    const h = s.data?.handler;
    if (h) {
      s.data.handler = null;
      h.onClose();
    }
  },
} as const;

export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  serverTLS: true,
  async prepareTLS(): Promise<void> {
    X509 ??= (await import("node:crypto")).X509Certificate;
  },
  listen(opts: ListenOptions): Promise<Listener> {
    const server = Bun.listen<BunConn>({
      hostname: opts.host,
      port: opts.port,
      socket: {
        ...plainSocket,
        open(s) {
          const c = new BunConn(s, null);
          s.data = c;
          s.setNoDelay(true);
          c.handler = opts.accept(c);
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
  dial(host: string, port: number, opts: DialOptions): Promise<Conn> {
    return dialWith(host, port, opts, (attempt) => {
      Bun.connect<BunConn>({
        hostname: host,
        port,
        socket: {
          ...plainSocket,
          open(s) {
            if (attempt.abandoned) {
              s.terminate();
              return;
            }
            const c = new BunConn(s, host);
            s.data = c;
            s.setNoDelay(true);
            attempt.connected(c);
          },
          connectError(_s, err) {
            attempt.failed(err);
          },
        },
      }).catch((err: unknown) => attempt.failed(err));
    });
  },
  serveHTTP(opts: HTTPServeOptions): Promise<HTTPListener> {
    const server = Bun.serve({
      hostname: opts.host,
      port: opts.port,
      ...(opts.tls !== undefined && { tls: opts.tls }),
      fetch: opts.fetch,
    });
    return Promise.resolve({
      port: server.port ?? opts.port,
      // Closing also ends keep-alive connections: a monitoring scraper must not hold shutdown up.
      close: () => server.stop(true),
    });
  },
};
