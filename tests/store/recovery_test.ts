// Recovery: a torn tail is cut and reported with everything before it kept; a bit flip in a block is
// reported by stream and sequence range while the rest of the stream is served; summaries that do not
// match their segment are ignored.
import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileStore, type LostRange } from "../../src/store/mod.ts";
import { dec, enc, files, useTempDirs } from "./_fs.ts";

const tempDir = useTempDirs();
const segs = (dir: string) => files(join(dir, "msgs")).filter((f) => f.endsWith(".seg"));
const sums = (dir: string) => files(join(dir, "msgs")).filter((f) => f.endsWith(".sum"));

/** 300 messages in one segment, 10 per block: block k holds sequences 10k+1 … 10k+10. */
async function build(dir: string, key: string | undefined): Promise<void> {
  const s = await FileStore.open({ dir, name: "REC", key, blockSize: 10 * (27 + 5 + 12) - 1 });
  const acks = [];
  for (let i = 1; i <= 300; i++) acks.push(s.append(`rec.${i % 4}`, null, enc(`pay-${String(i).padStart(8, "0")}`)));
  await Promise.all(acks);
  await s.close();
}

/** Flips one bit in the body of the block holding `seq` (frame headers carry first/last seq at +12/+20). */
function flipInBlockOf(dir: string, seq: number): void {
  const seg = segs(dir).find((f) => statSync(f).size > 1000)!;
  const b = readFileSync(seg);
  for (let p = 32; p + 32 < b.length;) {
    const first = b.readUInt32LE(p + 12);
    const last = b.readUInt32LE(p + 20);
    const nlen = b[p + 3] === 3 ? 24 : b[p + 3] === 0 ? 0 : 12;
    const len = 32 + nlen + b.readUInt32LE(p + 8);
    if (first <= seq && seq <= last) {
      b[p + 32 + nlen + 20] ^= 0x01;
      writeFileSync(seg, b);
      return;
    }
    p += len;
  }
  throw new Error(`no block holds ${seq}`);
}

for (const key of [undefined, "k"]) {
  const label = key === undefined ? "plaintext" : "encrypted";
  describe(`FileStore recovery (${label})`, () => {
    test("a torn tail is truncated and reported; everything before it is kept and its sequences are not reused", async () => {
      const dir = tempDir();
      await build(dir, key);
      const seg = segs(dir).find((f) => statSync(f).size > 1000)!;
      const size = statSync(seg).size;
      truncateSync(seg, size - 7);
      const s = await FileStore.open({ dir, name: "REC", key });
      expect(s.recovery.truncated).toEqual([expect.objectContaining({ segment: 1, first: 291, last: 300 })]);
      expect(s.recovery.truncated[0].bytes).toBeGreaterThan(0);
      const st = s.state();
      // The cut frame's header survived: its sequences were handed out and are not given out again.
      expect(st).toMatchObject({ last_seq: 300, msgs: 290, num_deleted: 10 });
      expect(st.lost).toEqual([expect.objectContaining({ first: 291, last: 300, reason: expect.stringContaining("torn write") })]);
      for (const q of [1, 150, 290]) expect(dec(s.load(q)!.payload)).toBe(`pay-${String(q).padStart(8, "0")}`);
      expect(s.load(295)).toBeNull();
      expect((await s.append("rec.x", null, enc("after"))).seq).toBe(301);
      await s.close();
      const again = await FileStore.open({ dir, name: "REC", key });
      expect(again.state()).toMatchObject({ msgs: 291, last_seq: 301 });
      expect(again.recovery.truncated).toHaveLength(0);
      await again.close();
    });

    test("a flipped bit in a block read from its summary is lost when first read: skipped, uncounted, reported once", async () => {
      const dir = tempDir();
      await build(dir, key);
      flipInBlockOf(dir, 105);
      const reports: LostRange[] = [];
      const s = await FileStore.open({ dir, name: "REC", key, onDamage: (l) => reports.push(l) });
      // The summary still matches: nothing is known until the block is read.
      expect(s.state().msgs).toBe(300);
      expect(s.load(105)).toBeNull();
      expect(reports).toEqual([expect.objectContaining({ first: 101, last: 110, reason: expect.stringContaining("segment 1 at offset") })]);
      expect(reports[0].msgs).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
      expect(reports[0].bytes).toBeGreaterThan(0);
      const st = s.state();
      expect(st).toMatchObject({ msgs: 290, last_seq: 300, num_deleted: 10 });
      expect(st.lost).toEqual(reports);
      expect([...s.subjectCounts().values()].reduce((a, b) => a + b, 0)).toBe(290);
      expect(dec(s.load(100)!.payload)).toBe("pay-00000100");
      expect(dec(s.load(111)!.payload)).toBe("pay-00000111");
      expect(s.loadNext(">", 101)!.seq).toBe(111);
      expect(s.load(106)).toBeNull();
      expect(reports).toHaveLength(1);
      expect((await s.append("rec.x", null, enc("after"))).seq).toBe(301);
      await s.close();
      // The rewritten summary knows the gap: a restart neither counts nor reports those messages again.
      const again = await FileStore.open({ dir, name: "REC", key, onDamage: (l) => reports.push(l) });
      expect(again.state()).toMatchObject({ msgs: 291, last_seq: 301 });
      for (let q = 1; q <= 301; q++) if (q < 101 || q > 110) expect(again.load(q)).not.toBeNull();
      expect(reports).toHaveLength(1);
      await again.close();
    });

    test("a flipped bit found while scanning (no summary) is reported at open and those messages are not served", async () => {
      const dir = tempDir();
      await build(dir, key);
      for (const f of sums(dir)) rmSync(f);
      flipInBlockOf(dir, 205);
      const s = await FileStore.open({ dir, name: "REC", key });
      expect(s.recovery.damaged).toEqual([
        expect.objectContaining({
          segment: 1,
          first: 201,
          last: 210,
          reason: key === undefined ? "checksum mismatch" : expect.stringContaining("message authentication failed"),
        }),
      ]);
      expect(s.state()).toMatchObject({ msgs: 290, last_seq: 300 });
      expect(s.state().lost).toEqual([{ first: 201, last: 210, reason: expect.any(String), msgs: [201, 202, 203, 204, 205, 206, 207, 208, 209, 210], bytes: expect.any(Number) }]);
      expect(s.load(205)).toBeNull();
      expect(dec(s.load(211)!.payload)).toBe("pay-00000211");
      await s.close();
    });

    test("a summary that does not match its segment is ignored and the segment is scanned", async () => {
      const dir = tempDir();
      await build(dir, key);
      const sum = sums(dir)[0];
      const b = readFileSync(sum);
      b[b.length - 10] ^= 0xff;
      writeFileSync(sum, b);
      const s = await FileStore.open({ dir, name: "REC", key });
      expect(s.state()).toMatchObject({ msgs: 300, first_seq: 1, last_seq: 300 });
      expect(s.subjectCounts().get("rec.1")).toBe(75);
      await s.close();
    });

    test("repair reads past a matching summary, rewrites the segment without the damaged block, and a restart is clean", async () => {
      const dir = tempDir();
      await build(dir, key);
      flipInBlockOf(dir, 105);
      const s = await FileStore.open({ dir, name: "REC", key, repair: true });
      expect(s.recovery.damaged).toEqual([expect.objectContaining({ segment: 1, first: 101, last: 110 })]);
      expect(s.recovery.rewritten).toEqual(["0000000001.seg"]);
      expect(s.state()).toMatchObject({ msgs: 290, last_seq: 300, num_deleted: 10 });
      await s.close();
      const again = await FileStore.open({ dir, name: "REC", key, repair: true });
      expect(again.recovery.damaged).toEqual([]);
      expect(again.recovery.rewritten).toEqual([]);
      expect(again.state()).toMatchObject({ msgs: 290, last_seq: 300, num_deleted: 10 });
      for (let q = 1; q <= 300; q++) expect(again.load(q)?.seq ?? null).toBe(q > 100 && q <= 110 ? null : q);
      await again.close();
    });

    test("repair sets a segment with an unreadable header aside as .damaged; the other segments are served", async () => {
      const dir = tempDir();
      const w = await FileStore.open({ dir, name: "REC", key, segmentSize: 2048 });
      for (let i = 1; i <= 60; i++) await w.append("rec.a", null, enc(`pay-${String(i).padStart(8, "0")}`.padEnd(100, ".")));
      await w.close();
      const all = segs(dir);
      expect(all.length).toBeGreaterThan(3);
      const victim = all[1];
      const b = readFileSync(victim);
      b.fill(0, 0, 32);
      writeFileSync(victim, b);
      const s = await FileStore.open({ dir, name: "REC", key, repair: true });
      expect(s.recovery.damaged).toEqual([expect.objectContaining({ segment: 2, first: 0, reason: "damaged segment header" })]);
      const kept = s.state().msgs;
      expect(kept).toBeLessThan(60);
      await s.close();
      expect(files(join(dir, "msgs"))).toContain(`${victim}.damaged`);
      expect(segs(dir)).not.toContain(victim);
      const again = await FileStore.open({ dir, name: "REC", key });
      expect(again.recovery.damaged).toEqual([]);
      expect(again.state().msgs).toBe(kept);
      expect(dec(again.load(1)!.payload)).toStartWith("pay-00000001");
      expect(dec(again.load(60)!.payload)).toStartWith("pay-00000060");
      await again.close();
    });

    test("when the newest block is the damaged one, its sequences are still not reused, repaired or not", async () => {
      for (const repair of [false, true]) {
        const dir = tempDir();
        await build(dir, key);
        for (const f of sums(dir)) rmSync(f);
        flipInBlockOf(dir, 295);
        const s = await FileStore.open({ dir, name: "REC", key, repair });
        expect(s.state()).toMatchObject({ msgs: 290, last_seq: 300 });
        expect((await s.append("rec.x", null, enc("after"))).seq).toBe(301);
        await s.close();
      }
    });
  });
}
