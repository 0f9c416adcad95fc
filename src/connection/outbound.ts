/**
 * A connection's outbound bytes: one growable buffer per connection, filled by every message routed to it
 * during a read cycle and handed to the socket in one write when the cycle ends. What the socket does not
 * take stays here until the runtime reports drain.
 *
 * The buffer is allocated at the first write, starts small and doubles as traffic needs, and is given back
 * by `release` once empty: thousands of idle connections (an edge's sensors) hold no buffer, where a fixed
 * 16 KiB each was most of their resident memory.
 */
const EMPTY = new Uint8Array(0);
/** The first allocation: INFO, PONG and a few small messages fit. */
const FIRST = 1024;
/** An emptied buffer above this is replaced at once: a burst may have grown it a lot. */
const KEEP_MAX = 4 * 1024 * 1024;

export class Outbound {
  buf: Uint8Array = EMPTY;
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
      let size = cap === 0 ? FIRST : cap * 2;
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
      if (this.buf.length > KEEP_MAX) this.buf = EMPTY;
    }
  }

  /** Gives the buffer back when nothing is pending (the connection has been quiet); the next write allocates. */
  release(): void {
    if (this.start === this.end) {
      this.buf = EMPTY;
      this.start = 0;
      this.end = 0;
    }
  }

  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
}
