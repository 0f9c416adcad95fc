/**
 * A small LRU of opened blocks (plaintext records plus their message index), keyed by segment generation and
 * frame offset. Just-written blocks go in directly, so reading recent messages never decrypts.
 *
 * All file stores of the process share one byte budget, a share of the process memory target
 * (`memory_limit`, src/runtime/memory.ts): a store over it evicts its own oldest blocks, so a busy stream
 * cannot grow the process past the target however many streams there are. When the server goes idle every
 * cache is emptied (src/runtime/memory.ts's idle trim): the next read of an old block decrypts it again.
 */
import { memoryTarget, onIdleTrim } from "../../runtime/memory.ts";
import type { Block } from "./records.ts";

/** Segment offsets stay below 2^32, so generation and offset pack into one exact number. */
const OFFSET_SPAN = 2 ** 32;
/**
 * The caches' share of the memory target, and its bounds: 2 MiB at 128MB, 4 MiB from 256MB up. Small on
 * purpose: the engine sizes its next heap from what is live, so a cached byte cost about two of peak RSS
 * while storing (a 16 MiB cap put 1M × 128 B stored at a 170-190 MB peak, 4 MiB at 110 MB), while a block
 * outside the cache is read back with one read and one open of 64 KiB (tens of µs, a fraction of a µs per
 * message of it).
 */
const TARGET_SHARE = 1 / 64;
const MIN_BUDGET = 2 * 2 ** 20;
const MAX_BUDGET = 4 * 2 ** 20;

/** What every cache of the process holds, against the budget (settled on first use). */
const pool = { bytes: 0, budget: 0 };

export function blockCacheBudget(): number {
  if (pool.budget === 0) pool.budget = Math.min(MAX_BUDGET, Math.max(MIN_BUDGET, Math.floor(memoryTarget().bytes * TARGET_SHARE)));
  return pool.budget;
}

/** A block's cost: its bytes plus the two number arrays indexing it. */
function cost(b: Block): number {
  return b.buf.byteLength + b.seqs.length * 16 + 64;
}

/** The caches holding anything, for the idle trim. */
const holding = new Set<BlockCache>();
onIdleTrim(() => {
  for (const c of holding) c.clear();
});

export class BlockCache {
  readonly #map = new Map<number, Block>();
  #bytes = 0;
  /** The most recently used key: reading a block message by message hits it again and again. */
  #last = -1;

  get(gen: number, off: number): Block | undefined {
    const k = gen * OFFSET_SPAN + off;
    const b = this.#map.get(k);
    if (b !== undefined && k !== this.#last) {
      this.#map.delete(k);
      this.#map.set(k, b);
      this.#last = k;
    }
    return b;
  }

  set(gen: number, off: number, b: Block): void {
    const k = gen * OFFSET_SPAN + off;
    const old = this.#map.get(k);
    if (old !== undefined) this.#drop(k, old);
    this.#map.set(k, b);
    this.#add(cost(b));
    holding.add(this);
    this.#last = k;
    const budget = blockCacheBudget();
    while (pool.bytes > budget && this.#map.size > 1) {
      const [oldest, ob] = this.#map.entries().next().value!;
      this.#drop(oldest, ob);
    }
  }

  clear(): void {
    this.#map.clear();
    this.#add(-this.#bytes);
    this.#last = -1;
    holding.delete(this);
  }

  #drop(k: number, b: Block): void {
    this.#map.delete(k);
    this.#add(-cost(b));
  }

  #add(n: number): void {
    this.#bytes += n;
    pool.bytes += n;
  }
}
