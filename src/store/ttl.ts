/**
 * Per-message TTL as nats-server 2.11 has it (stream.go getMessageTTL/parseMessageTTL, filestore.go's timed
 * hash wheel): a message's `Nats-TTL` header gives its life in seconds, or `never`, which also exempts it
 * from max_age. Both stores keep a TtlIndex of the messages that carry one; the file store rebuilds it from
 * the stored headers when it opens, so expiry survives a restart.
 */
import { parseGoDuration } from "../config/_duration.ts";

/** nats-server's "never" TTL. */
export const TTL_NEVER = -1;

export class TtlError extends Error {
  constructor(value: string) {
    super(`invalid per-message TTL ${JSON.stringify(value)}`);
    this.name = "TtlError";
  }
}

/**
 * parseMessageTTL: seconds (> 0), 0 for none, TTL_NEVER for "never" (any case). A Go duration must be at
 * least 1s and is truncated to whole seconds; otherwise a plain decimal number of seconds ("0" is a Go
 * duration of zero, so it is invalid). Throws TtlError otherwise.
 */
export function parseMessageTTL(value: string): number {
  if (value.toLowerCase() === "never") return TTL_NEVER;
  let ms: number | undefined;
  try {
    ms = parseGoDuration(value);
  } catch {
    ms = undefined;
  }
  if (ms !== undefined) {
    if (ms < 1000) throw new TtlError(value);
    return Math.trunc(ms / 1000);
  }
  if (!/^\d+$/.test(value)) throw new TtlError(value);
  return Number(value);
}

const latin1 = new TextDecoder("latin1");

/** A header's value in a raw `NATS/1.0…` block (`lowerName` in lower case), or undefined when it is absent. */
function headerValue(hdr: Uint8Array, lowerName: string): string | undefined {
  if (hdr.length === 0) return undefined;
  const text = latin1.decode(hdr);
  const key = `\r\n${lowerName}:`;
  const at = text.toLowerCase().indexOf(key);
  if (at < 0) return undefined;
  const from = at + key.length;
  const end = text.indexOf("\r\n", from);
  return text.slice(from, end < 0 ? text.length : end).trim();
}

/**
 * Whether a stored message is a delete marker itself, so its expiry leaves no new marker: a limit marker, or
 * a KV purge (nats-server's sdm.go isSubjectDeleteMarker).
 */
export function isDeleteMarker(hdr: Uint8Array): boolean {
  return headerValue(hdr, "nats-marker-reason") !== undefined || headerValue(hdr, "kv-operation") === "PURGE";
}

/** The TTL a stored header block gives (0 for none, and for a value the stream would have refused). */
export function storedTTL(hdr: Uint8Array): number {
  const v = headerValue(hdr, "nats-ttl");
  if (v === undefined) return 0;
  try {
    return parseMessageTTL(v);
  } catch {
    return 0;
  }
}

/** The messages with a TTL: when each expires (a min-heap, entries checked against the map when popped). */
export class TtlIndex {
  readonly #due = new Map<number, number>();
  readonly #never = new Set<number>();
  #heap: { seq: number; at: number }[] = [];

  get size(): number {
    return this.#due.size + this.#never.size;
  }

  /** Records message `seq` stored at `ts` (ms) with `ttl` seconds (TTL_NEVER for never; 0 records nothing). */
  add(seq: number, ts: number, ttl: number): void {
    if (ttl === TTL_NEVER) this.#never.add(seq);
    else if (ttl > 0) {
      const at = ts + ttl * 1000;
      this.#due.set(seq, at);
      this.#push({ seq, at });
    }
  }

  isNever(seq: number): boolean {
    return this.#never.size > 0 && this.#never.has(seq);
  }

  /** Forgets a message that left the store some other way. */
  delete(seq: number): void {
    if (this.#due.size > 0) this.#due.delete(seq);
    if (this.#never.size > 0) this.#never.delete(seq);
  }

  /** Forgets every message below `seq` (a purge or compaction moved the front). */
  deleteBelow(seq: number): void {
    for (const s of this.#never) if (s < seq) this.#never.delete(s);
    for (const s of this.#due.keys()) if (s < seq) this.#due.delete(s);
  }

  clear(): void {
    this.#due.clear();
    this.#never.clear();
    this.#heap = [];
  }

  /** Takes the sequences due at `now`, in sequence order. */
  takeDue(now: number): number[] {
    const out: number[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
      const e = this.#pop();
      if (this.#due.get(e.seq) === e.at) {
        this.#due.delete(e.seq);
        out.push(e.seq);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Ms from `now` until the next message expires, 0 when none waits. */
  nextIn(now: number): number {
    while (this.#heap.length > 0 && this.#due.get(this.#heap[0]!.seq) !== this.#heap[0]!.at) this.#pop();
    return this.#heap.length === 0 ? 0 : Math.max(1, this.#heap[0]!.at - now);
  }

  #push(e: { seq: number; at: number }): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  #pop(): { seq: number; at: number } {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
