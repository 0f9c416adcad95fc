/**
 * Feeds a connection's reads to its protocol's parser, and keeps what arrives while the parser is suspended
 * (an asynchronous CONNECT check: bcrypt, Ed25519) with the socket paused until `resume`. The client and leaf
 * protocols share it.
 */
import type { Parser } from "../protocol/parser.ts";
import type { Connection } from "./connection.ts";

export class ParsedInput {
  private held: Uint8Array | null = null;

  constructor(
    private readonly parser: Parser,
    private readonly link: Connection,
    private readonly onError: (err: unknown) => void,
    private readonly flushPending: () => void,
  ) {}

  feed(data: Uint8Array): void {
    if (this.parser.suspended) {
      this.hold(data);
      return;
    }
    try {
      const n = this.parser.parse(data);
      if (n < data.length) this.hold(data.subarray(n));
    } catch (err) {
      this.onError(err);
    }
    this.flushPending();
  }

  /** Reads again and parses what was held; the caller has cleared `parser.suspended`. */
  resume(): void {
    const held = this.held;
    this.held = null;
    this.link.conn.resume();
    if (held !== null) this.feed(held);
    else this.flushPending();
  }

  /** The read buffer is only ours during onData: keep a copy. */
  private hold(data: Uint8Array): void {
    if (this.held === null) {
      this.held = data.slice();
      this.link.conn.pause();
      return;
    }
    const next = new Uint8Array(this.held.length + data.length);
    next.set(this.held, 0);
    next.set(data, this.held.length);
    this.held = next;
  }
}
