// Plaintext frames written before frame version 2 carry a CRC-32C of their records; version 2 frames carry a
// CRC-32. Stores written by the older code must still open, read, and report damage.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileStore } from "../../../src/store/mod.ts";
import { crc32c } from "../../../src/store/file/crc32c.ts";
import { FRAME_HEADER, SEGMENT_HEADER } from "../../../src/store/file/frame.ts";
import { useTempDirs } from "../_fs.ts";

const tempDir = useTempDirs();

/** Rewrites every frame of every segment as the version 1 format had it; returns how many. */
function downgradeFrames(dir: string, damage = false): number {
  let n = 0;
  const msgs = join(dir, "msgs");
  for (const name of readdirSync(msgs).filter((f) => f.endsWith(".seg"))) {
    const b = new Uint8Array(readFileSync(join(msgs, name)));
    const v = new DataView(b.buffer);
    for (let at = SEGMENT_HEADER; at + FRAME_HEADER <= b.length; ) {
      expect(b[at + 2]).toBe(2);
      expect(b[at + 3]).toBe(0); // plaintext
      const bodyLen = v.getUint32(at + 8, true);
      const recs = b.subarray(at + FRAME_HEADER, at + FRAME_HEADER + bodyLen - 4);
      b[at + 2] = 1;
      v.setUint32(at + 28, crc32c(b.subarray(at, at + 28)), true);
      v.setUint32(at + FRAME_HEADER + bodyLen - 4, crc32c(recs), true);
      if (damage && v.getUint32(at + 12, true) === 1) recs[recs.length - 1] ^= 0x01; // the frame holding seq 1
      at += FRAME_HEADER + bodyLen;
      n++;
    }
    writeFileSync(join(msgs, name), b);
  }
  return n;
}

async function fill(dir: string): Promise<void> {
  const s = await FileStore.open({ dir, name: "V", blockSize: 256 });
  for (let i = 1; i <= 40; i++) await s.append(`v.${i % 3}`, null, new TextEncoder().encode(`message ${i}`));
  await s.close();
}

test("a store whose plaintext frames are version 1 (CRC-32C) reads back every message", async () => {
  const dir = tempDir();
  await fill(dir);
  expect(downgradeFrames(dir)).toBeGreaterThan(3);
  const s = await FileStore.open({ dir, name: "V", blockSize: 256 });
  expect(s.state().msgs).toBe(40);
  expect(s.state().lost).toEqual([]);
  for (let i = 1; i <= 40; i++) expect(new TextDecoder().decode(s.load(i)!.payload)).toBe(`message ${i}`);
  // New appends go out as version 2 frames next to the old ones.
  await s.append("v.new", null, new TextEncoder().encode("after"));
  await s.close();
  const again = await FileStore.open({ dir, name: "V", blockSize: 256 });
  expect(new TextDecoder().decode(again.load(41)!.payload)).toBe("after");
  expect(new TextDecoder().decode(again.load(1)!.payload)).toBe("message 1");
  await again.close();
});

test("a damaged version 1 frame is still caught by its CRC-32C", async () => {
  const dir = tempDir();
  await fill(dir);
  downgradeFrames(dir, true);
  const s = await FileStore.open({ dir, name: "V", blockSize: 256 });
  expect(s.load(1)).toBeNull();
  expect(s.state().lost).toEqual([expect.objectContaining({ first: 1, reason: expect.stringContaining("checksum mismatch") })]);
  expect(new TextDecoder().decode(s.load(40)!.payload)).toBe("message 40");
  await s.close();
});
