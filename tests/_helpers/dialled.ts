/**
 * The test's side of a connection made with Runtime.dial: records what arrives, the TLS outcome and the
 * close, with the same wait-on-the-wire helpers as RawConn.
 */
import type { Conn, ConnHandler, DialOptions, Runtime, TLSState } from "../../src/runtime/types.ts";
import { Received } from "./received.ts";

const encoder = new TextEncoder();

export class Dialled implements ConnHandler {
  readonly rx = new Received(4000);
  conn!: Conn;
  private readonly decoder = new TextDecoder("latin1");
  private tlsResult: (r: TLSState | Error) => void = () => {};
  /** Settles with what the first TLS handshake on this connection came to. */
  readonly tls = new Promise<TLSState | Error>((r) => (this.tlsResult = r));

  onData(d: Uint8Array): void {
    this.rx.append(this.decoder.decode(d, { stream: true }));
  }
  onDrain(): void {}
  onClose(): void {
    this.rx.markClosed();
  }
  onTLS(r: TLSState | Error): void {
    this.tlsResult(r);
  }

  /** Lines this short always fit the socket: a short write here is a failure, not backpressure. */
  send(s: string): void {
    const b = encoder.encode(s);
    const n = this.conn.write(b);
    if (n !== b.length) throw new Error(`short write: ${n} of ${b.length}`);
  }
}

/** Dials host:port; the returned recorder is attached before the first byte is read. */
export async function dial(rt: Runtime, port: number, opts: Omit<DialOptions, "open"> = {}, host = "127.0.0.1"): Promise<Dialled> {
  const d = new Dialled();
  await rt.dial(host, port, {
    ...opts,
    open: (c) => {
      d.conn = c;
      return d;
    },
  });
  return d;
}

/** The INFO line a server sends first, parsed. */
export async function readInfo(d: Dialled): Promise<Record<string, unknown>> {
  const text = await d.rx.waitFor(/^INFO (\{.*\}) ?\r\n/);
  return JSON.parse(/^INFO (\{.*\}) ?\r\n/.exec(text)![1]!) as Record<string, unknown>;
}

/** CONNECT then PING, and the PONG that shows the server took both. */
export async function connectAndPing(d: Dialled): Promise<void> {
  d.send(`CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n`);
  await d.rx.waitFor("PONG\r\n");
}
