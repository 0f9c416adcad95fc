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

/**
 * Client-side TLS for a dialled connection (a leaf or route connecting out), PEM text. The server's
 * certificate must chain to `ca` (the system roots when absent) and carry `servername`.
 */
export interface TLSClientConfig {
  ca?: string;
  /** Client certificate and its key, for a server that verifies clients. */
  cert?: string;
  key?: string;
  /** The name the server's certificate must carry, also sent as SNI. Default: the dialled host. */
  servername?: string;
  /** false accepts any server certificate (nats-server's `insecure`). Default true. */
  rejectUnauthorized?: boolean;
}

export interface TLSState {
  /** e.g. "TLSv1.3". */
  version: string;
  /** IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256. */
  cipher: string;
  peer: PeerCertificate | null;
  /**
   * Why the peer's certificate did not verify (null when it did, or nothing was checked): the client's
   * when serving TLS, the server's when dialling with rejectUnauthorized false.
   */
  verifyError: string | null;
}

/** One connection, accepted or dialled, as the core sees it. */
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
  /**
   * Continues a dialled connection as a TLS client, as a leaf does after reading a plain INFO that asks for
   * TLS. ConnHandler.onTLS reports the end of the handshake; a certificate that does not verify is an Error.
   */
  startClientTLS(cfg: TLSClientConfig): void;
  /**
   * Why the core is about to end() or destroy() this connection (a CloseReason): a WebSocket carries it in
   * its close frame. Plain sockets have nothing to say it with.
   */
  closing?(reason: string): void;
  /** Closes after what was already accepted by write() is sent. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The client's address as a proxy in front reported it (a WebSocket's X-Forwarded-For), for logs only. */
  readonly forwardedFor?: string | null;
  /** The JWT a WebSocket upgrade request carried in the `jwt_cookie` cookie: the CONNECT's when it has none. */
  readonly cookieJwt?: string | null;
}

/** What the core gives the runtime for each accepted or dialled connection. */
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

export interface DialOptions {
  /** Gets the connection once TCP is connected, before any byte is read, as ListenOptions.accept does. */
  open(conn: Conn): ConnHandler;
  /**
   * TLS from the first byte (a server with handshake_first). To read a plain INFO first, dial without it
   * and call conn.startClientTLS.
   */
  tls?: TLSClientConfig;
  /** Gives up when TCP and the TLS handshake have not completed in this long. Default 2000 ms. */
  timeoutMs?: number;
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
  /** true where the TLS stack keeps its own TLS 1.2 suites (Deno's rustls): cipher_suites is then not applied. */
  readonly fixedTLSCiphers?: boolean;
  /** Loads what TLS needs; the server awaits it before accepting when TLS is configured. */
  prepareTLS?(): Promise<void>;
  listen(opts: ListenOptions): Promise<Listener>;
  /**
   * Connects out. Resolves once connected (and, with opts.tls, the handshake verified); rejects with an
   * Error naming host:port and the cause. After open() the handler hears onClose whichever way it ends.
   */
  dial(host: string, port: number, opts: DialOptions): Promise<Conn>;
  /** Absent where the runtime has no HTTP server (then monitoring cannot be configured). */
  serveHTTP?(opts: HTTPServeOptions): Promise<HTTPListener>;
}
