/** When the idle trim runs: a quiet spell after busy work, from the CPU each one-second check used. */
import { expect, test } from "bun:test";
import { QuietSpell } from "../../src/runtime/memory.ts";

/** The checks (ms of CPU in each second) after which the spell said "trim now". */
function trims(checks: number[]): number[] {
  const spell = new QuietSpell();
  const out: number[] = [];
  checks.forEach((ms, i) => {
    if (spell.check(ms)) out.push(i);
  });
  return out;
}

test("an idle server is never trimmed again: there was no busy work", () => {
  expect(trims([0, 3, 0, 8, 0, 0, 2, 0])).toEqual([]);
});

test("the trim runs after two quiet seconds following busy work, and once", () => {
  expect(trims([900, 900, 0, 0, 0, 0, 0])).toEqual([3]);
});

test("the collector's work just after a burst delays the trim without starting a new wait for busy work", () => {
  // 20-30 ms in a second is what the collector took after storing 1M messages: not busy, not quiet either.
  expect(trims([900, 30, 0, 0, 0])).toEqual([3]);
  expect(trims([900, 25, 25, 0, 0])).toEqual([4]);
});

test("a publisher pausing for a second between bursts is not trimmed at each pause", () => {
  expect(trims([500, 0, 500, 0, 500, 0, 500])).toEqual([]);
});

test("each new burst earns one more trim", () => {
  expect(trims([900, 0, 0, 0, 400, 0, 0])).toEqual([2, 6]);
});
