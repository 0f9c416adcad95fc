/**
 * A small LRU of opened blocks (plaintext records plus their message index), keyed by segment generation and
 * frame offset. Just-written blocks go in directly, so reading recent messages never decrypts.
 */
import type { Block } from "./records.ts";

/** Segment offsets stay below 2^32, so generation and offset pack into one exact number. */
const OFFSET_SPAN = 2 ** 32;

export class BlockCache {
  readonly #map = new Map<number, Block>();
  readonly #max: number;
  /** The most recently used key: reading a block message by message hits it again and again. */
  #last = -1;

  constructor(maxBlocks: number) {
    this.#max = maxBlocks;
  }

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
    this.#map.delete(k);
    this.#map.set(k, b);
    this.#last = k;
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }

  clear(): void {
    this.#map.clear();
    this.#last = -1;
  }
}
