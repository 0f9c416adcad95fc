/**
 * Finished segments' indexes (frame tables, per-subject counts) stay in memory only within the shared
 * budget and until the idle trim; reads, counts and removals are the same whether they were unloaded or not.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, MemStore, type StreamStore } from "../../../src/store/mod.ts";
import { indexCacheBudget, indexCacheBytes, setIndexCacheBudget } from "../../../src/store/file/index_cache.ts";

const dirs: string[] = [];
const stores: FileStore[] = [];
const enc = new TextEncoder();

afterEach(async () => {
  setIndexCacheBudget(null);
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function filled(key?: string): Promise<{ s: FileStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-index-"));
  dirs.push(dir);
  const s = await FileStore.open({ dir, key, segmentSize: 8 * 1024, blockSize: 1024 });
  stores.push(s);
  const acks = [];
  for (let i = 1; i <= 3000; i++) acks.push(s.append(`k.${i % 7}`, null, enc.encode(`m${i}`), 1_000_000 + i));
  await Promise.all(acks);
  await s.flush();
  return { s, dir };
}

function snapshot(s: FileStore) {
  const msgs = [];
  for (let q = 1; q <= s.lastSeq(); q++) msgs.push(s.load(q)?.subject ?? null);
  const last = [0, 1, 2, 3, 4, 5, 6].map((k) => s.loadLast(`k.${k}`)?.seq);
  const next = [];
  for (let q = s.loadNext("k.3", 1); q !== null; q = s.loadNext("k.3", q.seq + 1)) next.push(q.seq);
  return { state: s.state(), counts: s.subjectCounts(), msgs, last, next };
}

test("the budget is a share of the memory target, 1 to 8 MiB", () => {
  expect(indexCacheBudget()).toBeGreaterThanOrEqual(2 ** 20);
  expect(indexCacheBudget()).toBeLessThanOrEqual(8 * 2 ** 20);
});

test("with a one-byte budget reads, counts and removals match the fully loaded store", async () => {
  const a = await filled("k3y");
  const b = await filled("k3y");
  setIndexCacheBudget(1);
  // Removals while segments are unloaded are taken off their summaries' counts when read back.
  for (const s of [a.s, b.s]) {
    for (const q of [5, 17, 120, 333, 334, 590, 1500, 2999]) await s.remove(q);
    await s.purge({ filter: "k.2", keep: 3 });
    await s.compact(40);
  }
  // Each store keeps at most its last segment used.
  const held = indexCacheBytes();
  setIndexCacheBudget(null);
  expect(snapshot(a.s)).toEqual(snapshot(b.s));
  expect(held * 2).toBeLessThan(indexCacheBytes());
  setIndexCacheBudget(1);
  const unloaded = snapshot(a.s);
  setIndexCacheBudget(null);
  // Everything again with every index in memory.
  const again = await FileStore.open({ dir: a.dir, key: "k3y", segmentSize: 8 * 1024, blockSize: 1024 });
  stores.push(again);
  expect(snapshot(again)).toEqual(unloaded);
});

test("the idle trim unloads every index; the next use reads it back", async () => {
  const { s } = await filled();
  const before = snapshot(s);
  expect(indexCacheBytes()).toBeGreaterThan(0);
  const { trim } = await import("../../../src/runtime/memory.ts");
  await trim();
  expect(indexCacheBytes()).toBe(0);
  expect(snapshot(s)).toEqual(before);
  expect(indexCacheBytes()).toBeGreaterThan(0);
});

test("a summary gone after opening: the segment's index is counted again from its file", async () => {
  const { s, dir } = await filled("k3y");
  await s.remove(10);
  const before = snapshot(s);
  setIndexCacheBudget(1);
  snapshot(s);
  const msgs = join(dir, "msgs");
  for (const f of readdirSync(msgs)) if (f.endsWith(".sum")) unlinkSync(join(msgs, f));
  expect(snapshot(s)).toEqual(before);
  await s.remove(11);
  setIndexCacheBudget(null);
  const counts = s.subjectCounts();
  await s.close();
  const again = await FileStore.open({ dir, key: "k3y", segmentSize: 8 * 1024, blockSize: 1024 });
  stores.push(again);
  expect(again.subjectCounts()).toEqual(counts);
});

test("removals over more subjects than a segment remembers: its counts come back from its file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-index-"));
  dirs.push(dir);
  const a = await FileStore.open({ dir, key: "k3y", segmentSize: 64 * 1024, blockSize: 4096 });
  stores.push(a);
  const model = new MemStore();
  // In batches: one batch is written whole to one segment.
  for (let i = 1; i <= 6000; i += 100) {
    for (const s of [a, model]) {
      const acks = [];
      for (let k = i; k < i + 100; k++) acks.push(s.append(`s.${k % 1500}`, null, enc.encode(`m${k}`), 1_000_000 + k));
      await Promise.all(acks);
    }
  }
  setIndexCacheBudget(1);
  for (const s of [a, model]) for (let q = 2; q <= 1200; q += 2) await s.remove(q);
  const seen = (s: StreamStore) => {
    const { lost: _, ...state } = s.state();
    return { counts: s.subjectCounts(), state, wild: s.loadNext("s.1*", 1)?.seq };
  };
  expect(seen(a)).toEqual(seen(model));
  // The first segment's counts unloaded (another segment used since), then the segment dropped whole: its
  // per-subject counts come off the stream's.
  a.load(2500);
  for (const s of [a, model]) await s.compact(1801);
  expect(seen(a)).toEqual(seen(model));
});
