/**
 * One segment file in memory: where its frames are, which of its messages are still live, per-subject counts
 * (live) with sequence bounds, the tombstones it carries, and how to read one of its frames back.
 *
 * A finished segment's frame table, per-subject counts and tombstones are its index: once its summary is on
 * disk they can be dropped (`unload`) and read back on the next use, so what a store keeps in memory does not grow
 * with the segments it holds (index_cache.ts decides when). Removals while unloaded only move the counters
 * and are remembered per subject, to be taken off the summary's counts when it is read back.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { type FrameInfo, frameInfo, openFrame } from "./frame.ts";
import type { LostRange } from "../store.ts";
import { SeqSet } from "./seq_set.ts";

export interface FrameRef {
  readonly off: number;
  readonly len: number;
  readonly first: number;
  readonly last: number;
}

/** Live message count of one subject in one segment; first/last bound the live ones (they may be removed). */
export interface SegSubject {
  msgs: number;
  first: number;
  last: number;
}

export type IndexPart = "frames" | "fss";

/**
 * Index read back for a finished segment: at least the part asked for; `live` when its counts already leave
 * out every removal.
 */
export interface SegmentIndex {
  readonly frames: FrameRef[] | null;
  /** With the tombstones, as the summary or the file has them. */
  readonly fss: Map<string, SegSubject> | null;
  readonly tombs: Tomb[] | null;
  readonly live: boolean;
}

export interface Tomb {
  readonly seq: number;
  readonly size: number;
  readonly subject: string;
}

let generations = 0;
/** Subjects whose removals since the summary a segment remembers before it counts from its file instead. */
const MAX_SINCE_SUMMARY = 256;

export const segmentFileName = (id: number): string => `${String(id).padStart(10, "0")}.seg`;
export const summaryFileName = (id: number): string => `${String(id).padStart(10, "0")}.sum`;

/** Binary search over segments in id order for the one whose sequence range holds `seq` (empty ones skipped). */
export function segmentFor(segs: readonly Segment[], seq: number): Segment | undefined {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    let m = mid;
    while (m <= hi && segs[m].first === 0) m++;
    if (m > hi) {
      hi = mid - 1;
      continue;
    }
    const g = segs[m];
    if (g.last < seq) lo = m + 1;
    else if (g.first > seq) hi = mid - 1;
    else return g;
  }
  return undefined;
}

export class Segment {
  /** Distinguishes this instance in the frame cache (a rewrite replaces the file under the same id). */
  readonly gen = ++generations;
  readonly id: number;
  readonly path: string;
  readonly cipher: number;
  readonly keyId: number;
  readonly salt: Uint8Array;
  /** The frame key (empty for plaintext). */
  readonly key: Uint8Array;
  size = 0;
  /** Bounds of the message sequences physically in the file (0 when none). */
  first = 0;
  last = 0;
  /** Live messages and their stored size. */
  msgs = 0;
  bytes = 0;
  /** Stored size of every message physically in the file, live or not (for the sparse-segment check). */
  writtenBytes = 0;
  #frames: FrameRef[] | null = [];
  #fss: Map<string, SegSubject> | null = new Map();
  /**
   * Messages removed per subject since the summary on disk was written or read (null: no summary to fall
   * back on, the index stays in memory).
   */
  #sinceSummary: Map<string, number> | null = null;
  /**
   * Removals since the summary touched more subjects than are worth remembering (a KV bucket's segment): the
   * counts come back from the file instead (`SegmentIndex.live`), the frame table still from the summary.
   */
  #countsStale = false;
  /** Reads the index back (set by the store when the segment becomes unloadable), and marks each use. */
  reload: ((seg: Segment, part: IndexPart) => SegmentIndex) | null = null;
  /** Told of each use, and (`grown`) of each part read back. */
  touched: ((seg: Segment, grown?: boolean) => void) | null = null;
  /** Removed (tombstoned) messages still physically in the file. */
  readonly dmap = new SeqSet();
  /** Sequences in [first, last] that are not in the file (dropped by a rewrite, or in a damaged frame). */
  readonly absent = new SeqSet();
  #tombs: Tomb[] | null = [];
  /** The tombstones were replaced since the summary was written: they stay in memory. */
  #tombsChanged = false;
  /** Highest FLOOR record in the file: [first, last]. */
  floor = 0;
  floorLast = 0;
  floorTs = 0;
  /** Next frame nonce counter; only the writer's own segment uses it. */
  counter = 0;
  readonly lost: LostRange[] = [];
  #fd: number | null = null;

  constructor(id: number, path: string, cipher: number, keyId: number, salt: Uint8Array, key: Uint8Array) {
    this.id = id;
    this.path = path;
    this.cipher = cipher;
    this.keyId = keyId;
    this.salt = salt;
    this.key = key;
  }

  /** Is message `seq` physically here and not removed? (The stream floor is checked by the caller.) */
  has(seq: number): boolean {
    return seq >= this.first && seq <= this.last && this.first > 0 && !this.dmap.has(seq) && !this.absent.has(seq);
  }

  get frames(): FrameRef[] {
    const fr = this.#frames ?? this.#load("frames").frames!;
    this.touched?.(this);
    return fr;
  }

  set frames(frames: FrameRef[]) {
    this.#frames = frames;
  }

  get fss(): Map<string, SegSubject> {
    const fss = this.#fss ?? this.#load("fss").fss!;
    this.touched?.(this);
    return fss;
  }

  /** The tombstones this segment carries (interior deletes of messages in it or in older segments). */
  get tombs(): Tomb[] {
    const tombs = this.#tombs ?? this.#load("fss").tombs!;
    this.touched?.(this);
    return tombs;
  }

  set tombs(tombs: Tomb[]) {
    this.#tombs = tombs;
    this.#tombsChanged = true;
  }

  /** Whether any of the index is in memory (an unloaded part is read back on use). */
  get loaded(): boolean {
    return this.#fss !== null || this.#frames !== null;
  }

  /** About what the index holds in memory, in bytes (0 when unloaded). */
  indexCost(): number {
    let n = 0;
    if (this.#frames !== null) n += 128 + this.#frames.length * 64;
    if (this.#fss !== null) for (const subject of this.#fss.keys()) n += 112 + subject.length;
    if (this.#tombs !== null) for (const t of this.#tombs) n += 64 + t.subject.length;
    return n;
  }

  /** The per-subject counts are read back from the file, not the summary (see #countsStale). */
  get countsStale(): boolean {
    return this.#countsStale;
  }

  /** Whether there is a summary to read the index back from. */
  get unloadable(): boolean {
    return this.#sinceSummary !== null;
  }

  /** The summary on disk now matches this segment: its index may be unloaded from here on. */
  summarized(): void {
    this.#sinceSummary = new Map();
    this.#countsStale = false;
    this.#tombsChanged = false;
  }

  /**
   * Drops the per-subject counts and tombstones, keeping the frame table; false when there were none to drop
   * or no summary to read them back from.
   */
  unloadCounts(): boolean {
    if (this.#sinceSummary === null || this.reload === null || this.#fss === null) return false;
    this.#fss = null;
    if (!this.#tombsChanged) this.#tombs = null;
    return true;
  }

  /** Drops the index from memory; false (and nothing dropped) when there is no summary to read it back from. */
  unload(): boolean {
    if (this.#sinceSummary === null || this.reload === null) return false;
    this.#frames = null;
    this.#fss = null;
    if (!this.#tombsChanged) this.#tombs = null;
    return true;
  }

  /**
   * Takes an index read back: from the summary (`live` false: the removals since are taken off here) or
   * from the file itself with the removals already applied.
   */
  #load(part: IndexPart): SegmentIndex {
    const ix = this.reload!(this, part);
    const fss = ix.fss;
    if (fss !== null && this.#fss === null) {
      if (!ix.live) {
        for (const [subject, n] of this.#sinceSummary!) {
          const ss = fss.get(subject);
          if (ss !== undefined && (ss.msgs -= n) <= 0) fss.delete(subject);
        }
      }
      // A segment whose messages are all gone counts no subjects, whatever its summary said.
      if (this.msgs === 0) fss.clear();
      this.#fss = fss;
    }
    if (ix.frames !== null && this.#frames === null) this.#frames = ix.frames;
    if (ix.tombs !== null && this.#tombs === null) this.#tombs = ix.tombs;
    this.touched?.(this, true);
    return { frames: this.#frames, fss: this.#fss, tombs: this.#tombs, live: true };
  }

  addMsg(seq: number, subject: string, size: number): void {
    if (this.first === 0) this.first = seq;
    this.last = seq;
    this.msgs++;
    this.bytes += size;
    this.writtenBytes += size;
    const ss = this.fss.get(subject);
    if (ss === undefined) this.fss.set(subject, { msgs: 1, first: seq, last: seq });
    else {
      ss.msgs++;
      ss.last = seq;
      if (ss.msgs === 1) ss.first = seq;
    }
  }

  /** Accounts for the removal of a live message. */
  dropMsg(subject: string, size: number): void {
    this.msgs--;
    this.bytes -= size;
    const since = this.#sinceSummary;
    if (since !== null && !this.#countsStale) {
      since.set(subject, (since.get(subject) ?? 0) + 1);
      if (since.size > MAX_SINCE_SUMMARY) {
        this.#countsStale = true;
        since.clear();
      }
    }
    // Unloaded: the count comes back from the summary less what `since` remembers.
    const fss = this.#fss;
    if (fss === null) return;
    const ss = fss.get(subject);
    if (ss !== undefined && --ss.msgs <= 0) fss.delete(subject);
  }

  /** Binary search for the frame holding message `seq`. */
  frameFor(seq: number): FrameRef | undefined {
    const fr = this.frames;
    let lo = 0;
    let hi = fr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const f = fr[mid];
      if (f.last < seq) lo = mid + 1;
      else if (f.first > seq) hi = mid - 1;
      else return f;
    }
    return undefined;
  }

  /** Reads and opens one frame; throws AuthError or a checksum error when its bytes were altered. */
  readFrame(f: FrameRef): Uint8Array {
    const buf = new Uint8Array(f.len);
    const n = readSync(this.fd(), buf, 0, f.len, f.off);
    if (n !== f.len) throw new Error(`short read: ${n} of ${f.len} bytes at offset ${f.off}`);
    const info = frameInfo(buf, 0);
    if (typeof info === "string") throw new Error(`frame header ${info}`);
    return openFrame(buf, info as FrameInfo, this.key);
  }

  /** The writer's read-write descriptor for a segment it just created. */
  adopt(fd: number): void {
    this.#fd = fd;
  }

  fd(): number {
    if (this.#fd === null) this.#fd = openSync(this.path, "r");
    return this.#fd;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
