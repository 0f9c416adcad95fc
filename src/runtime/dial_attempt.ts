/**
 * What dialling shares across runtimes: one timer over TCP connect and the TLS-first handshake, the
 * handshake's outcome settling the dial, a late socket closed after the dial gave up, one error shape.
 * The runtime adapters only open sockets and report back.
 */
import type { Conn, ConnHandler, DialOptions, TLSState } from "./types.ts";

const DEFAULT_DIAL_TIMEOUT_MS = 2000;

/** A runtime's connection with the handler slot its socket callbacks read. */
export interface DialledConn extends Conn {
  handler: ConnHandler | null;
}

export interface DialAttempt {
  /** The socket connected: the attempt hands it to opts.open and, for TLS-first, starts the handshake. */
  connected(conn: DialledConn): void;
  /** Connecting failed or the socket closed before it connected. */
  failed(cause: unknown): void;
  /** The dial has already given up: a socket that connects now must be closed. */
  readonly abandoned: boolean;
}

/** "dial host:port: cause", with the cause kept as Error.cause. Certificates and keys never appear in it. */
export function dialError(host: string, port: number, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const suffix = typeof code === "string" && !why.includes(code) ? ` (${code})` : "";
  return new Error(`dial ${host}:${port}: ${why}${suffix}`, { cause });
}

/**
 * Runs one dial. `start` opens the socket and reports through the attempt; it may return a function that
 * abandons a connect still in progress when the dial times out.
 */
export function dialWith(
  host: string,
  port: number,
  opts: DialOptions,
  start: (a: DialAttempt) => (() => void) | void,
): Promise<Conn> {
  return new Promise<Conn>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    let conn: DialledConn | null = null;
    let settled = false;
    const fail = (cause: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(dialError(host, port, cause));
      if (conn !== null) conn.destroy();
      else abort?.();
    };
    const succeed = (c: Conn): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(c);
    };
    let abort: (() => void) | void = undefined;
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    abort = start({
      get abandoned() {
        return settled && conn === null;
      },
      failed: fail,
      connected(c) {
        conn = c;
        const h = opts.open(c);
        if (opts.tls === undefined) {
          c.handler = h;
          succeed(c);
          return;
        }
        // Until the handshake ends the dial listens in, then steps out of the way.
        c.handler = {
          onData: (d) => h.onData(d),
          onDrain: () => h.onDrain(),
          onClose: () => {
            fail(new Error("connection closed during the TLS handshake"));
            h.onClose();
          },
          onTLS: (r: TLSState | Error) => {
            c.handler = h;
            h.onTLS(r);
            if (r instanceof Error) fail(new Error(`TLS handshake: ${r.message}`, { cause: r }));
            else succeed(c);
          },
        };
        c.startClientTLS(opts.tls);
      },
    });
  });
}
