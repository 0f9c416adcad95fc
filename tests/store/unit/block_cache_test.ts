/** The block caches of all file stores share one byte budget: a store over it evicts its own oldest blocks. */
import { expect, test } from "bun:test";
import { BlockCache, blockCacheBudget } from "../../../src/store/file/block_cache.ts";

const block = (bytes: number) => ({ buf: new Uint8Array(bytes), seqs: [1], offs: [0] });

test("caches stay within the shared budget, keeping the newest blocks", () => {
  const budget = blockCacheBudget();
  expect(budget).toBeGreaterThanOrEqual(2 * 2 ** 20);
  expect(budget).toBeLessThanOrEqual(4 * 2 ** 20);
  const a = new BlockCache();
  const b = new BlockCache();
  const n = Math.ceil(budget / 65536) * 2;
  for (let i = 0; i < n; i++) a.set(0, i * 65536, block(65536));
  expect(a.get(0, 0)).toBeUndefined();
  expect(a.get(0, (n - 1) * 65536)).toBeDefined();
  // b fills up against what a holds: it keeps only its newest block, a is not touched.
  for (let i = 0; i < 4; i++) b.set(1, i * 65536, block(65536));
  expect(b.get(1, 3 * 65536)).toBeDefined();
  expect(b.get(1, 0)).toBeUndefined();
  // once a is cleared, b has the room.
  a.clear();
  for (let i = 0; i < 4; i++) b.set(1, i * 65536, block(65536));
  for (let i = 0; i < 4; i++) expect(b.get(1, i * 65536)).toBeDefined();
  b.clear();
});

test("the idle trim empties every cache", async () => {
  const { trim } = await import("../../../src/runtime/memory.ts");
  const a = new BlockCache();
  a.set(0, 0, block(1024));
  a.set(0, 1024, block(1024));
  await trim();
  expect(a.get(0, 0)).toBeUndefined();
  expect(a.get(0, 1024)).toBeUndefined();
  a.set(0, 0, block(1024));
  expect(a.get(0, 0)).toBeDefined();
  a.clear();
});
