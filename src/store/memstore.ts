/**
 * The in-memory stream store, and the reference model for the file store: the conformance suite holds both
 * to the same behaviour. Follows nats-server's memstore.go.
 */
import { StoreClosedError } from "./errors.ts";
import { isLiteralFilter, type SubjectMatcher, subjectMatcher } from "./filter.ts";
import { checkDiscardNew, type Limits, normalizeLimits } from "./limits.ts";
import { purgeEx } from "./purge.ts";
import type { PurgeOptions, StoreAck, StoredMsg, StreamLimits, StreamState, StreamStore } from "./store.ts";
import { NOTHING_RECOVERED, storedMsgSize } from "./store.ts";
import { SubjectIndex } from "./subject_index.ts";
import { AgeTimer } from "./age_timer.ts";
import { isDeleteMarker, storedTTL, TtlIndex } from "./ttl.ts";

const EMPTY = new Uint8Array(0);

export class MemStore implements StreamStore {
  readonly kind = "memory";
  readonly recovery = NOTHING_RECOVERED;
  #msgs = new Map<number, StoredMsg>();
  #limits: Limits;
  #first = 1;
  #last = 0;
  #lastTs = 0;
  #bytes = 0;
  #closed = false;
  #meta: Uint8Array | null = null;
  readonly #consumers = new Map<string, Uint8Array>();
  readonly #subjects = new SubjectIndex((subject, from, to, backward) => this.#find(subject, from, to, backward));
  readonly #age = new AgeTimer(() => this.#expire());
  readonly #ttl = new TtlIndex();
  #onExpired: ((subject: string) => void) | null = null;

  constructor(limits?: StreamLimits) {
    this.#limits = normalizeLimits(limits);
  }

  append(subject: string, hdr: Uint8Array | null, payload: Uint8Array, ts?: number, ttl?: number): Promise<StoreAck> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    const h = hdr ?? EMPTY;
    const size = storedMsgSize(subject, h.length, payload.length);
    try {
      checkDiscardNew(this.#limits, {
        msgs: this.#msgs.size,
        bytes: this.#bytes,
        subjectMsgs: this.#subjects.count(subject),
        subjectFirstSize: () => this.#sizeOf(this.#subjects.first(subject)),
        newLen: h.length + payload.length,
        newSize: size,
      });
    } catch (err) {
      return Promise.reject(err);
    }
    const seq = ++this.#last;
    const when = ts ?? Date.now();
    if (this.#msgs.size === 0) this.#first = seq;
    // Copies: the caller may reuse its buffers once the promise resolves.
    this.#msgs.set(seq, { subject, seq, ts: when, hdr: h.slice(), payload: payload.slice() });
    this.#bytes += size;
    this.#lastTs = when;
    this.#subjects.add(subject, seq);
    if (this.#limits.allowMsgTTL && h.length > 0) this.#ttl.add(seq, when, ttl ?? storedTTL(h));
    this.#enforceLimits(subject);
    if (this.#limits.maxAgeMs > 0 || this.#ttl.size > 0) {
      const next = this.#expire();
      if (next > 0) this.#age.armBy(next);
    }
    return Promise.resolve({ seq, ts: when });
  }

  load(seq: number): StoredMsg | null {
    return this.#msgs.get(seq) ?? null;
  }

  loadLast(subject: string): StoredMsg | null {
    if (subject === "" || subject === ">") return this.#msgs.get(this.#lastLive()) ?? null;
    if (isLiteralFilter(subject)) return this.#msgs.get(this.#subjects.last(subject)) ?? null;
    const match = subjectMatcher(subject)!;
    for (let seq = this.#last; seq >= this.#first; seq--) {
      const m = this.#msgs.get(seq);
      if (m !== undefined && match(m.subject)) return m;
    }
    return null;
  }

  loadNext(filter: string, start: number): StoredMsg | null {
    let from = Math.max(start, this.#first);
    let to = this.#last;
    if (isLiteralFilter(filter)) {
      if (this.#subjects.count(filter) === 0) return null;
      from = Math.max(from, this.#subjects.first(filter));
      to = this.#subjects.last(filter);
    }
    const match = subjectMatcher(filter);
    for (let seq = from; seq <= to; seq++) {
      const m = this.#msgs.get(seq);
      if (m !== undefined && (match === null || match(m.subject))) return m;
    }
    return null;
  }

  remove(seq: number, opts?: { readonly erase?: boolean }): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    const m = this.#msgs.get(seq);
    if (m === undefined) return Promise.resolve(false);
    if (opts?.erase === true) {
      overwrite(m.payload);
      overwrite(m.hdr);
    }
    this.#removeMsg(m);
    return Promise.resolve(true);
  }

  purge(opts?: PurgeOptions): Promise<number> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return purgeEx({
      msgs: this.#msgs.size,
      lastSeq: this.#last,
      purgeAll: () => this.compact(this.#last + 1),
      compact: (seq) => this.compact(seq),
      filtered: (match) => this.#filtered(match),
      removeMatching: (match, from, to, max) => Promise.resolve(this.#removeMatching(match, from, to, max)),
    }, opts);
  }

  compact(seq: number): Promise<number> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    if (seq === 0) seq = this.#last + 1;
    let purged = 0;
    if (seq > this.#last) {
      purged = this.#msgs.size;
      this.#msgs.clear();
      this.#subjects.clear();
      this.#ttl.clear();
      this.#bytes = 0;
      this.#last = seq - 1;
      this.#first = seq;
      return Promise.resolve(purged);
    }
    for (let s = this.#first; s < seq; s++) {
      const m = this.#msgs.get(s);
      if (m !== undefined) {
        this.#removeMsg(m);
        purged++;
      }
    }
    if (this.#first < seq) this.#first = seq;
    this.#advanceFirst();
    return Promise.resolve(purged);
  }

  deleted(): number[] {
    const out: number[] = [];
    if (this.#msgs.size === 0) return out;
    for (let seq = this.#first; seq <= this.#last; seq++) if (!this.#msgs.has(seq)) out.push(seq);
    return out;
  }

  /** 0 while nothing was ever stored, as nats-server reports a new stream (a purge then gives last + 1). */
  firstSeq(): number {
    return this.#last === 0 ? 0 : this.#first;
  }

  lastSeq(): number {
    return this.#last;
  }

  msgCount(): number {
    return this.#msgs.size;
  }

  state(): StreamState {
    const msgs = this.#msgs.size;
    const first = this.#msgs.get(this.#first);
    return {
      msgs,
      bytes: this.#bytes,
      first_seq: this.firstSeq(),
      first_ts: first?.ts ?? 0,
      last_seq: this.#last,
      last_ts: this.#lastTs,
      num_deleted: msgs === 0 ? 0 : this.#last - this.#first + 1 - msgs,
      num_subjects: this.#subjects.size,
      lost: [],
    };
  }

  subjectCounts(filter = ""): Map<string, number> {
    return this.#subjects.counts(subjectMatcher(filter));
  }

  updateLimits(limits: StreamLimits): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    this.#limits = normalizeLimits(limits);
    for (const subject of [...this.#subjects.subjects()]) this.#enforcePerSubject(subject);
    this.#enforceLimits("");
    this.#age.disarm();
    const next = this.#expire();
    if (next > 0) this.#age.arm(next);
    return Promise.resolve();
  }

  onSubjectExpired(cb: (subject: string) => void): void {
    this.#onExpired = cb;
  }

  readMeta(): Uint8Array | null {
    return this.#meta;
  }

  writeMeta(blob: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    this.#meta = blob.slice();
    return Promise.resolve();
  }

  readConsumerMeta(name: string): Uint8Array | null {
    return this.#consumers.get(name) ?? null;
  }

  writeConsumerMeta(name: string, blob: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    this.#consumers.set(name, blob.slice());
    return Promise.resolve();
  }

  deleteConsumerMeta(name: string): Promise<void> {
    this.#consumers.delete(name);
    return Promise.resolve();
  }

  consumerNames(): string[] {
    return [...this.#consumers.keys()].sort();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#age.disarm();
    return Promise.resolve();
  }

  #sizeOf(seq: number): number {
    const m = this.#msgs.get(seq);
    return m === undefined ? 0 : storedMsgSize(m.subject, m.hdr.length, m.payload.length);
  }

  #lastLive(): number {
    for (let seq = this.#last; seq >= this.#first; seq--) if (this.#msgs.has(seq)) return seq;
    return 0;
  }

  #find(subject: string, from: number, to: number, backward: boolean): number {
    const lo = Math.max(from, this.#first);
    const hi = Math.min(to, this.#last);
    if (backward) {
      for (let s = hi; s >= lo; s--) if (this.#msgs.get(s)?.subject === subject) return s;
    } else {
      for (let s = lo; s <= hi; s++) if (this.#msgs.get(s)?.subject === subject) return s;
    }
    return 0;
  }

  #removeMsg(m: StoredMsg): void {
    this.#msgs.delete(m.seq);
    this.#bytes -= storedMsgSize(m.subject, m.hdr.length, m.payload.length);
    this.#subjects.remove(m.subject, m.seq);
    if (this.#ttl.size > 0) this.#ttl.delete(m.seq);
    if (m.seq === this.#first) this.#advanceFirst();
  }

  /** Moves first_seq to the oldest live message, or past last_seq when there is none (as after a purge). */
  #advanceFirst(): void {
    if (this.#msgs.size === 0) {
      this.#first = this.#last + 1;
      return;
    }
    while (!this.#msgs.has(this.#first)) this.#first++;
  }

  #filtered(match: SubjectMatcher): { msgs: number; first: number; last: number } {
    let msgs = 0;
    let first = 0;
    let last = 0;
    for (let s = this.#first; s <= this.#last; s++) {
      const m = this.#msgs.get(s);
      if (m === undefined || !match(m.subject)) continue;
      msgs++;
      if (first === 0) first = s;
      last = s;
    }
    return { msgs, first, last };
  }

  #removeMatching(match: SubjectMatcher, from: number, to: number, max: number): number {
    let n = 0;
    for (let s = from; s <= to && n < max; s++) {
      const m = this.#msgs.get(s);
      if (m !== undefined && match(m.subject)) {
        this.#removeMsg(m);
        n++;
      }
    }
    return n;
  }

  #enforcePerSubject(subject: string): void {
    const max = this.#limits.maxPerSubject;
    if (max <= 0) return;
    while (this.#subjects.count(subject) > max) {
      const m = this.#msgs.get(this.#subjects.first(subject));
      if (m === undefined) return;
      this.#removeMsg(m);
    }
  }

  /** Discard-old enforcement after a store: per subject first, then max_msgs and max_bytes from the front. */
  #enforceLimits(subject: string): void {
    if (subject !== "") this.#enforcePerSubject(subject);
    if (this.#limits.discardNew) return;
    const { maxMsgs, maxBytes } = this.#limits;
    while ((maxMsgs > 0 && this.#msgs.size > maxMsgs) || (maxBytes > 0 && this.#bytes > maxBytes)) {
      this.#removeMsg(this.#msgs.get(this.#first)!);
    }
  }

  /**
   * Drops the messages whose TTL is due and those older than max_age (skipping `never` ones, as nats-server's
   * expireMsgs does); returns ms until the next one expires (0 = none).
   */
  #expire(): number {
    if (this.#closed) return 0;
    const now = Date.now();
    const emptied: string[] = [];
    let next = 0;
    if (this.#ttl.size > 0) {
      for (const seq of this.#ttl.takeDue(now)) {
        const m = this.#msgs.get(seq);
        if (m !== undefined) this.#expireMsg(m, emptied);
      }
      next = this.#ttl.nextIn(now);
    }
    const maxAge = this.#limits.maxAgeMs;
    if (maxAge > 0) {
      const cutoff = now - maxAge;
      for (let seq = this.#first; seq <= this.#last; seq++) {
        const m = this.#msgs.get(seq);
        if (m === undefined || this.#ttl.isNever(seq)) continue;
        if (m.ts > cutoff) {
          next = next === 0 ? m.ts - cutoff : Math.min(next, m.ts - cutoff);
          break;
        }
        this.#expireMsg(m, emptied);
      }
    }
    if (emptied.length > 0 && this.#onExpired !== null) {
      // After this pass: the marker is a publish, which appends (and expires) again.
      const cb = this.#onExpired;
      queueMicrotask(() => emptied.forEach(cb));
    }
    return next;
  }

  #expireMsg(m: StoredMsg, emptied: string[]): void {
    this.#removeMsg(m);
    if (this.#limits.deleteMarkers && this.#subjects.count(m.subject) === 0 && !isDeleteMarker(m.hdr)) emptied.push(m.subject);
  }
}

/** Random bytes over `b`, in the 64 KiB pieces getRandomValues accepts. */
function overwrite(b: Uint8Array): void {
  for (let i = 0; i < b.length; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(b.length, i + 65536)));
}
