/** The Bun transport: Bun.listen, whose write() takes what the kernel accepts and never buffers. */
import type {
  Conn,
  ConnHandler,
  HTTPListener,
  HTTPServeOptions,
  Listener,
  ListenOptions,
  PeerCertificate,
  Runtime,
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
  const x = new X509(pc.raw);
  const san = (x.subjectAltName ?? "").split(/,\s*/).filter((e) => e.length > 0);
  const pick = (prefix: string) => san.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
  return { subject: x.subject.split("\n").filter((r) => r.length > 0), emails: pick("email:"), dns: pick("DNS:"), uris: pick("URI:") };
}

class BunConn implements Conn {
  handler: ConnHandler | null = null;
  /** Bun keeps calling the plain socket's data handler with the encrypted bytes after upgradeTLS. */
  tlsStarted = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  constructor(private s: BunSocket) {
    this.remoteAddress = s.remoteAddress;
    this.remotePort = s.remotePort;
  }

  startTLS(cfg: TLSServerConfig): void {
    const self = this;
    this.tlsStarted = true;
    const [, tls] = this.s.upgradeTLS<BunConn>({
      data: this,
      tls: {
        cert: cfg.cert,
        key: cfg.key,
        ...(cfg.ca !== undefined && { ca: cfg.ca }),
        requestCert: cfg.requestCert,
        rejectUnauthorized: false,
        secureOptions: NO_OLD_TLS,
        ...(cfg.ciphers !== undefined && { ciphers: cfg.ciphers }),
      },
      socket: {
        handshake(t, ok, err) {
          const h = self.handler;
          if (!h) return;
          if (!ok) {
            h.onTLS(new Error(err?.message ?? "TLS handshake failed"));
            return;
          }
          const state: TLSState = {
            version: t.getTLSVersion() ?? "",
            cipher: (t.getCipher() as { standardName?: string; name?: string } | undefined)?.standardName ?? t.getCipher()?.name ?? "",
            peer: cfg.requestCert ? peerOf(t) : null,
            verifyError: cfg.requestCert && err ? ((err as { code?: string }).code ?? err.message) : null,
          };
          h.onTLS(state);
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
        binaryType: "uint8array",
        open(s) {
          const c = new BunConn(s);
          s.data = c;
          s.setNoDelay(true);
          c.handler = opts.accept(c);
        },
        data(s, d) {
          if (!s.data.tlsStarted) s.data.handler?.onData(d);
        },
        drain(s) {
          if (!s.data.tlsStarted) s.data.handler?.onDrain();
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
