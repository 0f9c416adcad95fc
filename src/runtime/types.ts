/**
 * The seam between the runtime-agnostic core and a runtime's sockets. Only src/runtime/ implements it;
 * everything else sees these interfaces.
 */

/** Server-side TLS settings, already resolved from the config (PEM text, OpenSSL cipher names). */
export interface TLSServerConfig {
  cert: string;
  key: string;
  ca?: string;
  /** Ask for a client certificate (verify / verify_and_map). The core decides what a failed check means. */
  requestCert: boolean;
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are fixed, as in Go). */
  ciphers?: string;
}

/** The peer certificate's identities, as verify_and_map needs them. */
export interface PeerCertificate {
  /** Subject RDNs in certificate order, each "TYPE=value". */
  subject: string[];
  emails: string[];
  dns: string[];
  uris: string[];
}

export interface TLSState {
  /** e.g. "TLSv1.3". */
  version: string;
  /** IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256. */
  cipher: string;
  peer: PeerCertificate | null;
  /** Why the client certificate did not verify against the CA (null when it did, or none was asked for). */
  verifyError: string | null;
}

/** One accepted connection, as the core sees it. */
export interface Conn {
  /**
   * Writes as much of `data` as the runtime takes right now and returns how many bytes it took (0 when it
   * is busy). The caller keeps the rest and retries after ConnHandler.onDrain. `data` may be reused by the
   * caller as soon as write returns.
   */
  write(data: Uint8Array): number;
  /** Stops reading from the socket (backpressure on a fast producer); resume() starts again. */
  pause(): void;
  resume(): void;
  /**
   * Continues this connection as a TLS server: from now on bytes read and written are decrypted/encrypted.
   * ConnHandler.onTLS reports the end of the handshake.
   */
  startTLS(cfg: TLSServerConfig): void;
  /** Closes after what was already accepted by write() is sent. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What the core gives the runtime for each accepted connection. */
export interface ConnHandler {
  /** Bytes read. The buffer is only valid during the call. */
  onData(data: Uint8Array): void;
  /** The runtime can take more bytes after a short write(). */
  onDrain(): void;
  onClose(): void;
  /** The TLS handshake finished (a TLSState) or failed (an Error). */
  onTLS(result: TLSState | Error): void;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  accept(conn: Conn): ConnHandler;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** An HTTP listener for the monitoring endpoints; the handler is a WHATWG fetch handler (hono's app.fetch). */
export interface HTTPServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM cert and key: serve HTTPS. */
  tls?: { cert: string; key: string; ca?: string };
  fetch(req: Request): Response | Promise<Response>;
}

export interface HTTPListener {
  readonly port: number;
  close(): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  readonly version: string;
  /** false where the runtime cannot continue an accepted socket as TLS. */
  readonly serverTLS: boolean;
  /** Loads what TLS needs; the server awaits it before accepting when TLS is configured. */
  prepareTLS?(): Promise<void>;
  listen(opts: ListenOptions): Promise<Listener>;
  /** Absent where the runtime has no HTTP server (then monitoring cannot be configured). */
  serveHTTP?(opts: HTTPServeOptions): Promise<HTTPListener>;
}
