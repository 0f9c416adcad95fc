/**
 * Dialling over node:net and node:tls, which both Bun and Deno provide; the Deno transport uses it because
 * Deno.startTls cannot present a client certificate. node's write() queues whatever it is given, so this
 * Conn takes a whole write while the socket is not asking for a drain and nothing while it is, which is
 * the short-write contract the core expects.
 */
import net from "node:net";
import tls from "node:tls";
import { dialWith } from "./dial_attempt.ts";
import type { Conn, ConnHandler, DialOptions, TLSClientConfig, TLSServerConfig } from "./types.ts";

class NodeConn implements Conn {
  handler: ConnHandler | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(
    private s: net.Socket,
    private readonly host: string,
  ) {
    this.remoteAddress = s.remoteAddress ?? host;
    this.remotePort = s.remotePort ?? 0;
    s.on("close", () => this.closed());
    // "close" follows every error; the cause is not the core's business once the dial has settled.
    s.on("error", () => {});
    this.listen(s);
  }

  private listen(s: net.Socket): void {
    s.on("data", (d: Uint8Array) => this.handler?.onData(d));
    s.on("drain", () => this.handler?.onDrain());
  }

  private closed(): void {
    const h = this.handler;
    this.handler = null;
    h?.onClose();
  }

  write(data: Uint8Array): number {
    if (this.s.destroyed || this.s.writableNeedDrain) return 0;
    // node may hold the buffer until the kernel takes it, and the caller reuses it as soon as we return.
    this.s.write(data.slice());
    return data.length;
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
    this.s.destroy();
  }

  startTLS(_cfg: TLSServerConfig): void {
    this.handler?.onTLS(new Error("server TLS on a dialled connection"));
  }

  startClientTLS(cfg: TLSClientConfig): void {
    const plain = this.s;
    plain.removeAllListeners("data");
    plain.removeAllListeners("drain");
    const name = cfg.servername ?? this.host;
    let t: tls.TLSSocket;
    try {
      t = tls.connect({
        socket: plain,
        host: name,
        // SNI carries names only (RFC 6066); an IP is still checked against the certificate's IP SANs.
        ...(net.isIP(name) === 0 && { servername: name }),
        ...(cfg.ca !== undefined && { ca: cfg.ca }),
        ...(cfg.cert !== undefined && { cert: cfg.cert }),
        ...(cfg.key !== undefined && { key: cfg.key }),
        rejectUnauthorized: cfg.rejectUnauthorized ?? true,
        minVersion: "TLSv1.2",
      });
    } catch (err) {
      // A certificate or key that does not load throws here; OpenSSL's reason names no key material.
      this.handler?.onTLS(new Error(`certificate or key does not load: ${err instanceof Error ? err.message : String(err)}`));
      this.destroy();
      return;
    }
    let done = false;
    t.once("secureConnect", () => {
      done = true;
      const c = t.getCipher();
      this.handler?.onTLS({
        version: t.getProtocol() ?? "",
        cipher: c.standardName ?? c.name,
        peer: null,
        verifyError: t.authorized ? null : String(t.authorizationError),
      });
    });
    t.on("error", (err: Error) => {
      if (done) return;
      done = true;
      this.handler?.onTLS(err);
      t.destroy();
    });
    t.on("close", () => this.closed());
    this.s = t;
    this.listen(t);
  }
}

export function nodeDial(host: string, port: number, opts: DialOptions): Promise<Conn> {
  return dialWith(host, port, opts, (attempt) => {
    const s = net.connect({ host, port });
    s.setNoDelay(true);
    s.once("error", (err) => attempt.failed(err));
    s.once("connect", () => {
      if (attempt.abandoned) {
        s.destroy();
        return;
      }
      attempt.connected(new NodeConn(s, host));
    });
    return () => s.destroy();
  });
}
