/**
 * A connection's outbound bytes: one growable buffer per connection, filled by every message routed to it
 * during a read cycle and handed to the socket in one write when the cycle ends. What the socket does not
 * take stays here until the runtime reports drain.
 */
const INITIAL = 16 * 1024;

export class Outbound {
  buf: Uint8Array = new Uint8Array(INITIAL);
  start = 0;
  end = 0;

  get pending(): number {
    return this.end - this.start;
  }

  /** Makes room for n more bytes and returns the write offset. */
  reserve(n: number): number {
    const cap = this.buf.length;
    if (this.end + n <= cap) return this.end;
    const pending = this.end - this.start;
    if (pending + n <= cap && this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let size = cap * 2;
      while (size < pending + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
    }
    this.start = 0;
    this.end = pending;
    return this.end;
  }

  append(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    this.end = at + data.length;
  }

  /** Marks n bytes as taken by the socket. */
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      // A burst may have grown the buffer a lot; give the memory back once it is empty.
      if (this.buf.length > 4 * 1024 * 1024) this.buf = new Uint8Array(INITIAL);
    }
  }

  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
}
