/**
 * The reply subject of every delivery, `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.
 * <timestamp ns>.<pending>`, written as bytes into one reused buffer. Built as a template string and then
 * UTF-8 encoded it was the largest single cost of sending a stored message.
 */
import { copyInto, writeDecimal } from "../protocol/encode.ts";

const encoder = new TextEncoder();
const DOT = 0x2e;

export class AckReplyWriter {
  readonly #prefixLen: number;
  readonly #buf: Uint8Array;
  /**
   * The digits of the last whole-millisecond part written: a backlog's messages were stored tens to a page
   * per millisecond, and that part (past 2^31) is otherwise formatted through a string for every delivery.
   */
  #ms = -1;
  readonly #msDigits = new Uint8Array(20);
  #msLen = 0;
  /**
   * The buffer's views by length: a reply differs from the last in content, rarely in length, and a new view
   * per delivery (an object to make) cost more than writing the numbers.
   */
  readonly #views: Uint8Array[] = [];

  constructor(prefix: string) {
    const p = encoder.encode(`${prefix}.`);
    this.#prefixLen = p.length;
    // Five numbers of at most 20 digits each, and their dots.
    this.#buf = new Uint8Array(p.length + 5 * 21);
    this.#buf.set(p);
  }

  /** The reply subject's bytes; valid until the next call. `tsMs` is the stored float-millisecond timestamp. */
  write(delivered: number, streamSeq: number, consumerSeq: number, tsMs: number, pending: number): Uint8Array {
    const b = this.#buf;
    let p = writeDecimal(b, this.#prefixLen, delivered);
    b[p++] = DOT;
    p = writeDecimal(b, p, streamSeq);
    b[p++] = DOT;
    p = writeDecimal(b, p, consumerSeq);
    b[p++] = DOT;
    p = this.#nanos(b, p, tsMs);
    b[p++] = DOT;
    p = writeDecimal(b, p, pending);
    return (this.#views[p] ??= b.subarray(0, p));
  }

  /**
   * Float milliseconds as integer nanoseconds. A timestamp in nanoseconds is past 2^53, so it is written as
   * whole milliseconds followed by six digits of fraction, each exact in a double.
   */
  #nanos(b: Uint8Array, p: number, ms: number): number {
    if (!(ms > 0)) return writeDecimal(b, p, 0);
    let whole = Math.floor(ms);
    let frac = Math.round((ms - whole) * 1e6);
    if (frac >= 1e6) {
      whole++;
      frac = 0;
    }
    if (whole === 0) return writeDecimal(b, p, frac);
    if (whole !== this.#ms) {
      this.#msLen = writeDecimal(this.#msDigits, 0, whole);
      this.#ms = whole;
    }
    p = copyInto(b, p, this.#msDigits, 0, this.#msLen);
    // Six digits, zero-padded: frac < 10^6 fits int32.
    for (let i = 5; i >= 0; i--) {
      const q = (frac / 10) | 0;
      b[p + i] = 48 + (frac - q * 10);
      frac = q;
    }
    return p + 6;
  }
}
