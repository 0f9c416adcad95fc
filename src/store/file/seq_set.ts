/**
 * A set of message sequences as a bitmap over the range they span: a segment's removed and missing messages
 * (`dmap`, `absent`). A segment covers about 100 000 sequences, so this is at most ~12 KB however many of
 * them are set, where a Set of numbers cost ~30 bytes per member and a KV bucket's segments (most of their
 * messages superseded) held hundreds of thousands of them.
 */
const EMPTY = new Uint32Array(0);

export class SeqSet implements Iterable<number> {
  /** The sequence of bit 0 of word 0 (a multiple of 32). */
  #base = 0;
  #words: Uint32Array = EMPTY;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(seq: number): boolean {
    const i = seq - this.#base;
    if (i < 0 || i >= this.#words.length * 32) return false;
    return (this.#words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  add(seq: number): this {
    if (this.#words.length === 0) this.#base = seq - (seq % 32);
    if (seq < this.#base) this.#grow(seq, true);
    if (seq - this.#base >= this.#words.length * 32) this.#grow(seq, false);
    const i = seq - this.#base;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((this.#words[w] & bit) === 0) {
      this.#words[w] |= bit;
      this.#size++;
    }
    return this;
  }

  *[Symbol.iterator](): Iterator<number> {
    const words = this.#words;
    for (let w = 0; w < words.length; w++) {
      let bits = words[w];
      while (bits !== 0) {
        const low = bits & -bits;
        yield this.#base + w * 32 + (31 - Math.clz32(low));
        bits ^= low;
      }
    }
  }

  /** Makes room for `seq` below the base or past the end, doubling so repeated appends stay amortised O(1). */
  #grow(seq: number, below: boolean): void {
    const old = this.#words;
    if (below) {
      const base = seq - (seq % 32);
      const shift = (this.#base - base) / 32;
      const spare = Math.max(shift, old.length >>> 1);
      const words = new Uint32Array(old.length + spare);
      words.set(old, spare);
      this.#words = words;
      this.#base -= spare * 32;
      return;
    }
    const need = Math.floor((seq - this.#base) / 32) + 1;
    const words = new Uint32Array(Math.max(need, old.length * 2, 4));
    words.set(old);
    this.#words = words;
  }
}
