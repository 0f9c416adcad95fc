/**
 * Which finished segments keep their index (frame table and per-subject counts) in memory: the most recently
 * used ones, within a byte budget all file stores of the process share, as nats-server's filestore keeps a
 * message block's per-subject state only while the block is in use. The rest are read back from their
 * summaries on the next use, so a store's memory follows what is being worked on, not what is stored.
 *
 * The budget is a share of the process memory target (`memory_limit`, src/runtime/memory.ts); a store over
 * it unloads its own least recently used segments' counts and tombstones, then their frame tables. The idle
 * trim unloads every one.
 */
import { memoryTarget, onIdleTrim } from "../../runtime/memory.ts";
import type { IndexPart, Segment, SegmentIndex } from "./segment.ts";

/** 4 MiB for a 512 MB device; a segment of 1 000 subjects costs about 150 KB. */
const TARGET_SHARE = 1 / 128;
const MIN_BUDGET = 1 * 2 ** 20;
const MAX_BUDGET = 8 * 2 ** 20;

const pool = { bytes: 0, budget: 0 };

export function indexCacheBudget(): number {
  if (pool.budget === 0) pool.budget = Math.min(MAX_BUDGET, Math.max(MIN_BUDGET, Math.floor(memoryTarget().bytes * TARGET_SHARE)));
  return pool.budget;
}

/**
 * Sets the budget (null: back to the memory target's share). Tests set a tiny one to make every read go
 * through unloaded segments.
 */
export function setIndexCacheBudget(bytes: number | null): void {
  pool.budget = bytes ?? 0;
}

/** The bytes every store's loaded segment indexes are counted at (tests). */
export function indexCacheBytes(): number {
  return pool.bytes;
}

const holding = new Set<IndexCache>();
onIdleTrim(() => {
  for (const c of holding) c.unloadAll();
});

export class IndexCache {
  /** Loaded segments in order of use, oldest first, with what each was counted at. */
  readonly #segs = new Map<Segment, number>();
  #bytes = 0;
  /** The last segment used: a read walking one segment touches it again and again. */
  #last: Segment | null = null;
  readonly #reload: (seg: Segment, part: IndexPart) => SegmentIndex;
  readonly #touched = (seg: Segment, grown?: boolean) => this.#touch(seg, grown === true);

  constructor(reload: (seg: Segment, part: IndexPart) => SegmentIndex) {
    this.#reload = reload;
  }

  /** A finished segment whose summary is on disk: from now on its index may be unloaded. */
  add(seg: Segment): void {
    // Without a summary (opened to repair, its summary only checked) it stays loaded, and uncounted.
    if (!seg.unloadable) return;
    seg.reload = this.#reload;
    seg.touched = this.#touched;
    if (!this.#segs.has(seg) && seg.loaded) this.#track(seg);
  }

  /** The segment is gone (unlinked, or replaced by a rewrite). */
  delete(seg: Segment): void {
    seg.reload = null;
    seg.touched = null;
    this.#untrack(seg);
  }

  unloadAll(): void {
    for (const seg of this.#segs.keys()) seg.unload();
    this.#segs.clear();
    this.#add(-this.#bytes);
    this.#last = null;
    holding.delete(this);
  }

  /** The store closed: nothing is unloaded or counted any more. */
  close(): void {
    for (const seg of this.#segs.keys()) {
      seg.reload = null;
      seg.touched = null;
    }
    this.#segs.clear();
    this.#add(-this.#bytes);
    this.#last = null;
    holding.delete(this);
  }

  #touch(seg: Segment, grown: boolean): void {
    if (seg === this.#last && !grown) return;
    this.#last = seg;
    const cost = this.#segs.get(seg);
    // Not tracked (it was just read back), or counted at less than it now holds.
    if (cost === undefined || grown) {
      this.#untrack(seg);
      this.#track(seg);
      return;
    }
    this.#segs.delete(seg);
    this.#segs.set(seg, cost);
  }

  #track(seg: Segment): void {
    const cost = seg.indexCost();
    this.#segs.set(seg, cost);
    this.#add(cost);
    holding.add(this);
    this.#last = seg;
    const budget = indexCacheBudget();
    if (pool.bytes <= budget) return;
    // Counts and tombstones go first, least recently used first: they are most of the bytes (a KV bucket's
    // segment holds a count per key and a tombstone per update), and reads by sequence need only the frame
    // table, which comes back from the summary only after decrypting all of it.
    for (const [s, cost] of this.#segs) {
      if (pool.bytes <= budget) return;
      if (s === seg || !s.unloadCounts()) continue;
      const now = s.indexCost();
      this.#segs.set(s, now);
      this.#add(now - cost);
    }
    while (pool.bytes > budget && this.#segs.size > 1) {
      const oldest = this.#segs.keys().next().value!;
      this.#untrack(oldest);
      oldest.unload();
    }
  }

  #untrack(seg: Segment): void {
    const cost = this.#segs.get(seg);
    if (cost === undefined) return;
    this.#segs.delete(seg);
    this.#add(-cost);
    if (this.#last === seg) this.#last = null;
  }

  #add(n: number): void {
    this.#bytes += n;
    pool.bytes += n;
  }
}
