/**
 * Server TLS on an accepted Deno connection, from any point of its byte stream. Deno.listenTls starts TLS at
 * the first byte and Deno.startTls is client-only, but nats-server's default sends INFO in the clear and
 * upgrades after it. node:tls's TLSSocket, given a Duplex over the raw connection, serves both. Deno's
 * TLSSocket asks for a client certificate but never checks it (authorized stays false, with no error), so
 * the chain is checked here against ca_file (peer_cert.ts).
 */
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { X509Certificate } from "node:crypto";
import { chainError, parseBundle, peerIdentities } from "./peer_cert.ts";
import type { ConnHandler, PeerCertificate, TLSServerConfig, TLSState } from "./types.ts";

interface Modules {
  TLSSocket: typeof import("node:tls").TLSSocket;
  Duplex: typeof import("node:stream").Duplex;
  X509: typeof import("node:crypto").X509Certificate;
}

let mods: Modules | null = null;

/** Loads node:tls, node:stream and node:crypto: a server without TLS should not pay their idle memory. */
export async function loadServerTLS(): Promise<void> {
  if (mods !== null) return;
  const [tls, stream, crypto] = await Promise.all([import("node:tls"), import("node:stream"), import("node:crypto")]);
  mods = { TLSSocket: tls.TLSSocket, Duplex: stream.Duplex, X509: crypto.X509Certificate };
}

/** ca_file's certificates, parsed once per configuration rather than per connection. */
const anchors = new WeakMap<TLSServerConfig, X509Certificate[]>();

function trusted(m: Modules, cfg: TLSServerConfig): X509Certificate[] {
  let list = anchors.get(cfg);
  if (list === undefined) {
    list = cfg.ca === undefined ? [] : parseBundle(m.X509, cfg.ca);
    anchors.set(cfg, list);
  }
  return list;
}

/** The raw connection under the session. */
export interface RawSide {
  /** Writes all of `data` (TLS records) after anything written before. */
  writeRaw(data: Uint8Array): Promise<void>;
  /** The session is over: close the socket. */
  destroy(): void;
  readonly handler: ConnHandler | null;
}

interface PeerDetail {
  raw?: Uint8Array;
  issuerCertificate?: PeerDetail;
}

export class DenoServerTLS {
  private readonly wire: Duplex;
  private readonly t: TLSSocket;
  private settled = false;
  private closed = false;

  /** Throws when the certificate or key does not load. */
  constructor(
    private readonly cfg: TLSServerConfig,
    private readonly raw: RawSide,
  ) {
    if (mods === null) throw new Error("TLS used before prepareTLS()");
    const m = mods;
    this.wire = new m.Duplex({
      read() {},
      write(chunk: Uint8Array, _enc, cb) {
        raw.writeRaw(chunk).then(() => cb(), cb);
      },
      final(cb) {
        cb();
        raw.destroy();
      },
    });
    this.t = new m.TLSSocket(this.wire as never, {
      isServer: true,
      cert: cfg.cert,
      key: cfg.key,
      ...(cfg.ca !== undefined && { ca: cfg.ca }),
      requestCert: cfg.requestCert,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      ...(cfg.ciphers !== undefined && { ciphers: cfg.ciphers }),
    });
    this.t.once("secure", () => {
      this.settled = true;
      this.raw.handler?.onTLS(this.state(m));
    });
    this.t.on("data", (d: Uint8Array) => this.raw.handler?.onData(d));
    this.t.on("drain", () => this.raw.handler?.onDrain());
    this.t.on("error", (err: Error) => {
      if (!this.settled) {
        this.settled = true;
        this.raw.handler?.onTLS(err);
      }
      this.raw.destroy();
    });
    this.t.on("close", () => this.raw.destroy());
  }

  private state(m: Modules): TLSState {
    const c = this.t.getCipher();
    const base = { version: this.t.getProtocol() ?? "", cipher: c.standardName ?? c.name };
    if (!this.cfg.requestCert) return { ...base, peer: null, verifyError: null };
    const chain: X509Certificate[] = [];
    const seen = new Set<PeerDetail>();
    for (let d = this.t.getPeerCertificate(true) as PeerDetail | undefined; d?.raw && !seen.has(d); d = d.issuerCertificate) {
      seen.add(d);
      chain.push(new m.X509(d.raw));
    }
    const [leaf, ...presented] = chain;
    if (leaf === undefined) return { ...base, peer: null, verifyError: null };
    const peer: PeerCertificate = peerIdentities(leaf);
    return { ...base, peer, verifyError: chainError(leaf, presented, trusted(m, this.cfg)) };
  }

  /** Bytes read from the socket; copied, as the read loop reuses its buffer. */
  feed(bytes: Uint8Array): void {
    this.wire.push(bytes.slice());
  }

  /** The peer closed its side: what was fed is still decrypted and delivered before the session closes. */
  endOfInput(): void {
    this.wire.push(null);
  }

  write(data: Uint8Array): number {
    if (this.closed || this.t.writableNeedDrain) return 0;
    // node may hold the buffer until it is encrypted, and the caller reuses it as soon as we return.
    this.t.write(data.slice());
    return data.length;
  }

  pause(): void {
    this.t.pause();
  }

  resume(): void {
    this.t.resume();
  }

  end(): void {
    this.t.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.t.destroy();
    this.wire.destroy();
  }
}
