/**
 * Does the file store's memory grow with what it holds? `bun bench/store_scale.ts`
 *
 * One ChaCha20-Poly1305-encrypted FileStore, 128 B messages over SUBJECTS subjects (KV-like: each subject
 * rewritten again and again). At each checkpoint (10k, 100k, 1M, 10M stored by default) it collects garbage,
 * reads the process RSS (the block and index caches as the writes left them, within their budgets), times
 * the reads a server does: a random sequence (`load`), last-by-subject (`loadLast`, KV get), and a consumer's
 * in-order read (`loadNext` over the last 100k messages); then runs the server's idle trim (caches emptied,
 * full GC) and reads the settled RSS 5 s later (the allocator gives freed pages back over a few seconds) and
 * the JavaScript heap: what stays with the store however long it is left alone.
 * Also the peak RSS (VmHWM) up to 1M stored. Env: SCALE_STEPS (default "10000,100000,1000000,10000000"),
 * SCALE_SUBJECTS (default 1000), STORE_BENCH_DIR (default the OS temp dir). Needs ~1.7 GB of disk for 10M.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { heapStats } from "bun:jsc";
import { FileStore } from "../src/store/mod.ts";
import { trim } from "../src/runtime/memory.ts";

const STEPS = (process.env.SCALE_STEPS ?? "10000,100000,1000000,10000000").split(",").map(Number);
const SUBJECTS = Array.from({ length: Number(process.env.SCALE_SUBJECTS ?? 1000) }, (_, i) => `kv.bucket.key${i}`);
const ROOT = mkdtempSync(join(process.env.STORE_BENCH_DIR ?? tmpdir(), "natsedge-store-scale-"));
const WINDOW = 256;

function status(field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
  return Number(m![1]) / 1024;
}

function perOp(n: number, f: (i: number) => void): string {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f(i);
  return (((performance.now() - t0) * 1000) / n).toFixed(2);
}

const s = await FileStore.open({ dir: join(ROOT, "s"), key: "bench-key", cipher: "chacha" });
const payload = new Uint8Array(128).fill(0x61);
let stored = 0;
let peakTo1M = 0;
const rows: string[] = [];
for (const target of STEPS) {
  while (stored < target) {
    const acks = [];
    const end = Math.min(target, stored + WINDOW);
    for (let k = stored; k < end; k++) acks.push(s.append(SUBJECTS[k % SUBJECTS.length]!, null, payload));
    await Promise.all(acks);
    stored = end;
  }
  await s.flush();
  if (target <= 1_000_000) peakTo1M = status("VmHWM");
  Bun.gc(true);
  await new Promise((r) => setTimeout(r, 200));
  Bun.gc(true);
  const rss = status("VmRSS");
  const last = s.lastSeq();
  const rand = () => 1 + Math.floor(Math.random() * last);
  const load = perOp(20_000, () => s.load(rand()));
  const kv = perOp(20_000, (i) => s.loadLast(SUBJECTS[(i * 7919) % SUBJECTS.length]!));
  let seq = Math.max(1, last - 100_000);
  const consume = perOp(Math.min(100_000, last), () => {
    const m = s.loadNext(">", seq);
    seq = (m?.seq ?? seq) + 1;
  });
  await trim();
  await new Promise((r) => setTimeout(r, 5000));
  Bun.gc(true);
  const settled = status("VmRSS");
  const heap = heapStats().heapSize / 2 ** 20;
  rows.push(`| ${target.toLocaleString("en-US")} | ${rss.toFixed(1)} | ${settled.toFixed(1)} | ${heap.toFixed(1)} | ${load} | ${kv} | ${consume} |`);
  console.error(rows.at(-1));
}
await s.close();
rmSync(ROOT, { recursive: true, force: true });
console.log(`# store scale — ${new Date().toISOString()}, bun ${Bun.version}, ChaCha20-Poly1305, 128 B, ${SUBJECTS.length} subjects`);
console.log("");
console.log("| stored | RSS MB (after GC) | settled RSS MB (idle trim + 5 s) | JS heap MB | load(seq) µs | loadLast(subject) µs | loadNext in order µs |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(r);
console.log("");
console.log(`peak RSS (VmHWM) up to 1M stored: ${peakTo1M.toFixed(1)} MB`);
