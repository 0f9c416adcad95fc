// No (key, nonce) pair ever seals two different plaintexts: every seal the store makes is recorded across
// random operation sequences with reopens, crashes (with torn tails), compactions, erasures, cipher
// switches and key rotations.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cipher, FileStore, type StreamStore } from "../../../src/store/mod.ts";

type Op =
  | { kind: "append"; n: number; size: number }
  | { kind: "remove"; pick: number; erase: boolean }
  | { kind: "purge"; keep: number }
  | { kind: "meta" }
  | { kind: "reopen"; cipher: Cipher; rotate: boolean }
  | { kind: "crash"; tear: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("append" as const), n: fc.integer({ min: 1, max: 40 }), size: fc.nat(200) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat(), erase: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("purge" as const), keep: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "meta" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("reopen" as const),
      cipher: fc.constantFrom<Cipher>("chacha", "aes", "xchacha"),
      rotate: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("crash" as const), tear: fc.nat(300) }) },
);

const RUNS = Number(process.env.STORE_PROPERTY_RUNS ?? 1);

describe("nonce uniqueness", () => {
  test("a (key, nonce) pair never seals two different plaintexts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 60, size: "max" }), async (ops) => {
        const seen = new Map<string, string>();
        const observeSeal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array) => {
          const id = Buffer.from(key).toString("hex") + ":" + Buffer.from(nonce).toString("hex");
          const h = createHash("sha256").update(plaintext).digest("hex");
          const before = seen.get(id);
          if (before !== undefined && before !== h) throw new Error(`key/nonce reused for a different plaintext: ${id}`);
          seen.set(id, h);
        };
        const root = mkdtempSync(join(tmpdir(), "natsedge-nonce-"));
        let dir = join(root, "s0");
        let key = "key-0";
        let prevKey: string | undefined;
        let cipher: Cipher = "chacha";
        // Per-subject limits make segments sparse, so compaction rewrites happen along the way.
        const open = () =>
          FileStore.open({ dir, name: "N", key, prevKey, cipher, segmentSize: 2048, blockSize: 256, observeSeal, limits: { max_msgs_per_subject: 3 } });
        let s: StreamStore = await open();
        try {
          for (const [i, o] of ops.entries()) {
            if (o.kind === "append") {
              const acks = [];
              for (let k = 0; k < o.n; k++) acks.push(s.append(`s.${(i + k) % 5}`, null, new Uint8Array(o.size).fill(k)));
              await Promise.all(acks);
            } else if (o.kind === "remove") {
              const st = s.state();
              await s.remove(st.first_seq + (o.pick % Math.max(1, st.msgs)), { erase: o.erase });
            } else if (o.kind === "purge") {
              await s.purge({ keep: o.keep });
            } else if (o.kind === "meta") {
              await s.writeMeta(new TextEncoder().encode(`meta ${i}`));
              await s.writeConsumerMeta("c", new TextEncoder().encode(`consumer ${i}`));
            } else if (o.kind === "reopen") {
              await s.close();
              cipher = o.cipher;
              if (o.rotate) {
                prevKey = key;
                key = `key-${i}`;
              }
              s = await open();
              prevKey = undefined;
            } else {
              // Crash: copy the directory as the process left it, tear the newest segment's tail, go on there.
              await s.flush();
              const copy = join(root, `crash${i}`);
              cpSync(dir, copy, { recursive: true });
              await s.close();
              dir = copy;
              const segs = readdirSync(join(dir, "msgs")).filter((f) => f.endsWith(".seg")).sort();
              const last = join(dir, "msgs", segs[segs.length - 1]);
              const size = statSync(last).size;
              if (o.tear > 0 && size > 32 + o.tear) truncateSync(last, size - o.tear);
              s = await open();
            }
          }
        } finally {
          // A store that failed rejects close(); the property has already failed then, so just clean up.
          await s.close().catch(() => {});
          rmSync(root, { recursive: true, force: true });
        }
        expect(seen.size).toBeGreaterThan(0);
      }),
      { numRuns: 25 * RUNS },
    );
  }, 60_000 * RUNS);
});
