/**
 * A connection's last published subject, as bytes and string: publishers mostly repeat one subject, and
 * comparing a few bytes is much cheaper than decoding them to a string for every message.
 */
import type { PubArg } from "./parser.ts";

const decoder = new TextDecoder();

export class LastSubject {
  private bytes = new Uint8Array(128);
  private len = -1;
  private str = "";

  /** pa's subject as a string. */
  of(pa: PubArg): string {
    const b = pa.buf;
    const s = pa.subjStart;
    const n = pa.subjEnd - s;
    const last = this.bytes;
    if (n === this.len) {
      let i = 0;
      while (i < n && last[i] === b[s + i]) i++;
      if (i === n) return this.str;
    }
    const str = decoder.decode(b.subarray(s, s + n));
    if (n <= last.length) {
      last.set(b.subarray(s, s + n), 0);
      this.len = n;
      this.str = str;
    }
    return str;
  }
}
