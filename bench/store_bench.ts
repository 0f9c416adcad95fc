// Stream store benchmark: `bun bench/store_bench.ts`. Appends (plaintext vs each cipher, with sync_interval
// default and "always"), read-back, bytes written per message, and recovery time. Env:
//   STORE_BENCH_N=<msgs>          messages per append run at 128 B (1 KB runs use a quarter), default 300000
//   STORE_BENCH_RECOVERY_MB=<mb>  size of the recovery store (default 256; the 1 GB figure: 1024)
//   STORE_BENCH_DIR=<dir>         where to put the stores (default the OS temp dir)
// Appends are issued 256 at a time without awaiting each, as a server does for one socket read of
// publishes; the batch is awaited before the next, so every message counted is acknowledged.
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cipher, cipherName, FileStore } from "../src/store/mod.ts";

const N = Number(process.env.STORE_BENCH_N ?? 300_000);
const RECOVERY_MB = Number(process.env.STORE_BENCH_RECOVERY_MB ?? 256);
const ROOT = mkdtempSync(join(process.env.STORE_BENCH_DIR ?? tmpdir(), "natsedge-store-bench-"));
const WINDOW = 256;
const SUBJECTS = Array.from({ length: 16 }, (_, i) => `bench.orders.${i.toString(16)}`);

type Mode = { label: string; key?: string; cipher?: Cipher };
const MODES: Mode[] = [
  { label: "plaintext" },
  { label: cipherName("aes"), key: "bench-key", cipher: "aes" },
  { label: cipherName("chacha"), key: "bench-key", cipher: "chacha" },
  { label: cipherName("xchacha"), key: "bench-key", cipher: "xchacha" },
];

let runs = 0;
const freshDir = () => join(ROOT, `s${++runs}`);

async function fill(s: FileStore, n: number, size: number): Promise<void> {
  const payload = new Uint8Array(size).fill(0x61);
  for (let i = 0; i < n; i += WINDOW) {
    const acks = [];
    const end = Math.min(n, i + WINDOW);
    for (let k = i; k < end; k++) acks.push(s.append(SUBJECTS[k & 15], null, payload));
    await Promise.all(acks);
  }
}

interface Row {
  mode: string;
  size: number;
  sync: string;
  msgsPerSec: number;
  mbPerSec: number;
  bytesPerMsg: number;
  ratio: number;
  readPerSec: number;
}

async function appendRun(m: Mode, size: number, sync: "always" | undefined, n: number): Promise<Row> {
  const dir = freshDir();
  const s = await FileStore.open({ dir, name: "BENCH", key: m.key, cipher: m.cipher, sync });
  const base = s.bytesWritten;
  const t0 = performance.now();
  await fill(s, n, size);
  const secs = (performance.now() - t0) / 1000;
  await s.close();
  const msgBytes = SUBJECTS[0].length + size;
  const written = s.bytesWritten - base;
  // Read back from a reopened store, so every block is read from the file and opened again.
  const r = await FileStore.open({ dir, name: "BENCH", key: m.key, cipher: m.cipher });
  const t1 = performance.now();
  let seq = 1;
  let count = 0;
  for (let msg = r.loadNext(">", seq); msg !== null; msg = r.loadNext(">", msg.seq + 1)) count++;
  const readSecs = (performance.now() - t1) / 1000;
  if (count !== n) throw new Error(`read back ${count} of ${n}`);
  await r.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    mode: m.label,
    size,
    sync: sync ?? "2m",
    msgsPerSec: n / secs,
    mbPerSec: (n * msgBytes) / secs / 1e6,
    bytesPerMsg: written / n,
    ratio: written / n / msgBytes,
    readPerSec: count / readSecs,
  };
}

async function recoveryRun(m: Mode): Promise<string> {
  const dir = freshDir();
  const size = 1024;
  const n = Math.floor((RECOVERY_MB * 1024 * 1024) / (size + 60));
  const s = await FileStore.open({ dir, name: "BENCH", key: m.key, cipher: m.cipher });
  await fill(s, n, size);
  await s.close();
  const reopen = async (): Promise<number> => {
    const t = performance.now();
    const r = await FileStore.open({ dir, name: "BENCH", key: m.key, cipher: m.cipher });
    const ms = performance.now() - t;
    if (r.state().msgs !== n) throw new Error(`recovery found ${r.state().msgs} of ${n} messages`);
    await r.close();
    return ms;
  };
  const sums = () => readdirSync(join(dir, "msgs")).filter((f) => f.endsWith(".sum")).sort();
  const clean = await reopen();
  // As after kill -9: the segment being written (the last one holding data) has no summary and is scanned.
  const lastData = readdirSync(join(dir, "msgs")).filter((f) => f.endsWith(".seg") && statSync(join(dir, "msgs", f)).size > 65536).sort().at(-1)!;
  unlinkSync(join(dir, "msgs", lastData.replace(".seg", ".sum")));
  const crash = await reopen();
  // Worst case, every summary lost: every segment is read and authenticated.
  for (const f of sums()) unlinkSync(join(dir, "msgs", f));
  const scan = await reopen();
  rmSync(dir, { recursive: true, force: true });
  return `| ${m.label} | ${RECOVERY_MB} MiB, ${n} msgs | ${clean.toFixed(0)} ms | ${crash.toFixed(0)} ms | ${scan.toFixed(0)} ms |`;
}

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(0)}k` : x.toFixed(0));

try {
  console.log(`store bench: ${N} msgs at 128 B, ${N / 4} at 1 KB, window ${WINDOW}; runtime ${process.versions.bun ? `bun ${process.versions.bun}` : "other"}`);
  // Warm the JIT on every path first, so the first mode measured is not the one paying for compilation.
  for (const m of MODES) await appendRun(m, 128, undefined, 20_000);
  console.log("| cipher | msg B | sync | appends/s | MB/s | disk B/msg | disk B per msg B | reads/s |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const size of [128, 1024]) {
    for (const sync of [undefined, "always"] as const) {
      for (const m of MODES) {
        const n = size === 128 ? N : Math.floor(N / 4);
        const r = await appendRun(m, size, sync, sync === "always" ? Math.floor(n / 2) : n);
        console.log(
          `| ${r.mode} | ${r.size} | ${r.sync} | ${fmt(r.msgsPerSec)} | ${r.mbPerSec.toFixed(0)} | ${r.bytesPerMsg.toFixed(1)} | ${r.ratio.toFixed(2)} | ${fmt(r.readPerSec)} |`,
        );
      }
    }
  }
  console.log("\n| cipher | store | reopen after close | reopen after kill -9 | reopen, no summaries |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const m of [MODES[0], MODES[1], MODES[2]]) console.log(await recoveryRun(m));
} finally {
  rmSync(ROOT, { recursive: true, force: true });
}
