/** SeqSet against a Set of numbers: the same members, in ascending order, wherever they are added. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { SeqSet } from "../../../src/store/file/seq_set.ts";

test("random additions above and below the first keep the same members as a Set", () => {
  fc.assert(
    fc.property(fc.nat(2 ** 40), fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 400 }), (start, offsets) => {
      const a = new SeqSet();
      const b = new Set<number>();
      for (const o of offsets) {
        const seq = Math.max(1, start + o);
        a.add(seq);
        b.add(seq);
      }
      expect(a.size).toBe(b.size);
      expect([...a]).toEqual([...b].sort((x, y) => x - y));
      for (let o = -5100; o <= 5100; o += 7) {
        const seq = start + o;
        expect(a.has(seq)).toBe(b.has(seq));
      }
    }),
    { numRuns: 200 },
  );
});

test("a segment's worth of sequences costs a bit each", () => {
  const s = new SeqSet();
  for (let q = 1_000_001; q <= 1_100_000; q += 2) s.add(q);
  expect(s.size).toBe(50_000);
  expect(s.has(1_000_001)).toBe(true);
  expect(s.has(1_000_002)).toBe(false);
  expect(s.has(999_999)).toBe(false);
  expect(s.has(1_100_001)).toBe(false);
});
