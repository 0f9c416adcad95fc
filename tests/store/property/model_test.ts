// The file store (plaintext and encrypted) against the memory store as the reference model: random
// operation sequences, including clean reopens and crashes (a copy of the directory taken while the store
// is running), must leave both with the same state and the same messages.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, MemStore, type StreamLimits, type StreamStore } from "../../../src/store/mod.ts";
import { setIndexCacheBudget } from "../../../src/store/file/index_cache.ts";

type Op =
  | { kind: "append"; subject: string; size: number }
  | { kind: "remove"; pick: number; erase: boolean }
  | { kind: "purge"; filter: string; keep: number; seq: number }
  | { kind: "compact"; pick: number }
  | { kind: "limits"; limits: StreamLimits }
  | { kind: "next"; filter: string; steps: number }
  | { kind: "reopen" }
  | { kind: "crash" };

const subject = fc.constantFrom("a", "b", "c.x", "c.y");
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("append" as const), subject, size: fc.nat(300) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat(), erase: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("purge" as const),
      filter: fc.constantFrom("", "a", "c.*"),
      keep: fc.constantFrom(0, 0, 1, 3),
      seq: fc.constantFrom(0, 0, 5, 20),
    }).filter((p) => p.keep === 0 || p.seq === 0),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("compact" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("limits" as const),
      limits: fc.record({
        max_msgs: fc.constantFrom(0, 5, 30),
        max_bytes: fc.constantFrom(0, 2000),
        max_msgs_per_subject: fc.constantFrom(0, 2, 6),
        discard: fc.constantFrom("old" as const, "old" as const, "new" as const),
      }),
    }),
  },
  // A consumer reading on in order, interleaved with the other operations (the store's read cursor).
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("next" as const), filter: fc.constantFrom("", "a", "c.*", "c.x"), steps: fc.integer({ min: 1, max: 25 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
);

function same(model: StreamStore, file: StreamStore): void {
  const { lost: _l, ...ms } = model.state();
  const { lost: _f, ...fs } = file.state();
  expect(fs).toEqual(ms);
  expect(file.subjectCounts()).toEqual(model.subjectCounts());
  expect(file.deleted()).toEqual(model.deleted());
  for (let seq = Math.max(1, ms.first_seq - 2); seq <= ms.last_seq + 1; seq++) {
    const a = model.load(seq);
    const b = file.load(seq);
    expect(b?.subject).toBe(a?.subject);
    expect(b?.ts).toBe(a?.ts);
    expect(b === null ? null : [...b.payload]).toEqual(a === null ? null : [...a.payload]);
  }
  for (const s of ["a", "b", "c.x", "c.*", ">"]) {
    expect(file.loadLast(s)?.seq).toBe(model.loadLast(s)?.seq);
    expect(file.loadNext(s, ms.first_seq + 1)?.seq).toBe(model.loadNext(s, ms.first_seq + 1)?.seq);
  }
}

async function run(ops: Op[], key: string | undefined): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "natsedge-model-"));
  let dir = join(root, "s0");
  let limits: StreamLimits = {};
  const open = (d: string) => FileStore.open({ dir: d, name: "M", key, segmentSize: 4096, blockSize: 512, limits });
  const model = new MemStore();
  let file: StreamStore = await open(dir);
  let ts = 1_000_000;
  const readAt = new Map<string, number>();
  try {
    for (const [n, o] of ops.entries()) {
      if (o.kind === "append") {
        const payload = new Uint8Array(o.size).fill(n & 0xff);
        const a = await model.append(o.subject, null, payload, ++ts).catch((e: Error) => e.message);
        const b = await file.append(o.subject, null, payload, ts).catch((e: Error) => e.message);
        expect(b).toEqual(a);
      } else if (o.kind === "remove") {
        const st = model.state();
        const seq = st.first_seq + (o.pick % Math.max(1, st.last_seq - st.first_seq + 2));
        expect(await file.remove(seq, { erase: o.erase })).toBe(await model.remove(seq, { erase: o.erase }));
      } else if (o.kind === "purge") {
        const p = { filter: o.filter, keep: o.keep, seq: o.seq };
        expect(await file.purge(p)).toBe(await model.purge(p));
      } else if (o.kind === "compact") {
        const seq = o.pick % (model.state().last_seq + 3);
        expect(await file.compact(seq)).toBe(await model.compact(seq));
      } else if (o.kind === "limits") {
        limits = o.limits;
        await model.updateLimits(limits);
        await file.updateLimits(limits);
      } else if (o.kind === "next") {
        let at = readAt.get(o.filter) ?? 0;
        for (let i = 0; i < o.steps; i++) {
          const a = model.loadNext(o.filter, at + 1);
          const b = file.loadNext(o.filter, at + 1);
          expect(b?.seq).toBe(a?.seq);
          expect(b?.subject).toBe(a?.subject);
          expect(b === null ? null : [...b.payload]).toEqual(a === null ? null : [...a.payload]);
          if (a === null) break;
          at = a.seq;
        }
        readAt.set(o.filter, at);
      } else if (o.kind === "reopen") {
        await file.close();
        file = await open(dir);
      } else {
        // The disk as a crash would leave it: everything acknowledged is written, nothing was closed.
        await file.flush();
        const copy = join(root, `s${n + 1}`);
        cpSync(dir, copy, { recursive: true });
        await file.close();
        dir = copy;
        file = await open(dir);
      }
      same(model, file);
    }
  } finally {
    // A store that failed rejects close(); the property has already failed then, so just clean up.
    await file.close().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}

// STORE_PROPERTY_RUNS scales the number of runs up for a deeper search (the defaults keep the suite quick).
const RUNS = Number(process.env.STORE_PROPERTY_RUNS ?? 1);

describe("FileStore against the MemStore model", () => {
  test("random operations, reopens and crashes leave a plaintext file store equal to the model", async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 100, size: "max" }), (ops) => run(ops, undefined)), {
      numRuns: 60 * RUNS,
    });
  }, 60_000 * RUNS);

  test("random operations, reopens and crashes leave an encrypted file store equal to the model", async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 100, size: "max" }), (ops) => run(ops, "k3y")), {
      numRuns: 30 * RUNS,
    });
  }, 60_000 * RUNS);

  // A budget of one byte keeps only the last segment used in memory: every other read, removal and count
  // goes through an index read back from its summary, less the removals made since.
  test("the same with finished segments' indexes unloaded as soon as another one is used", async () => {
    setIndexCacheBudget(1);
    try {
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 100, size: "max" }), (ops) => run(ops, "k3y")), {
        numRuns: 30 * RUNS,
      });
    } finally {
      setIndexCacheBudget(null);
    }
  }, 60_000 * RUNS);
});
