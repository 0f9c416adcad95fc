/**
 * A small LRU of opened blocks (plaintext records plus their message index), keyed by segment generation and
 * frame offset. Just-written blocks go in directly, so reading recent messages never decrypts.
 */
import type { Block } from "./records.ts";

export class BlockCache {
  readonly #map = new Map<string, Block>();
  readonly #max: number;

  constructor(maxBlocks: number) {
    this.#max = maxBlocks;
  }

  get(gen: number, off: number): Block | undefined {
    const k = `${gen}:${off}`;
    const b = this.#map.get(k);
    if (b !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, b);
    }
    return b;
  }

  set(gen: number, off: number, b: Block): void {
    const k = `${gen}:${off}`;
    this.#map.delete(k);
    this.#map.set(k, b);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }

  clear(): void {
    this.#map.clear();
  }
}
