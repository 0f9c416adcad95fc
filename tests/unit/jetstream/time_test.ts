import { expect, test } from "bun:test";
import { goDuration } from "../../../src/jetstream/time.ts";

test("goDuration() writes durations as Go's time.Duration.String() does", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [1, "1ns"],
    [1_500, "1.5µs"],
    [1_234_567, "1.234567ms"],
    [250_000_000, "250ms"],
    [1_000_000_000, "1s"],
    [1_500_000_000, "1.5s"],
    [60_000_000_000, "1m0s"],
    [90_500_000_000, "1m30.5s"],
    [3_600_000_000_000, "1h0m0s"],
    [3_723_000_000_001, "1h2m3.000000001s"],
    [-1_500_000_000, "-1.5s"],
  ];
  for (const [ns, text] of cases) expect(goDuration(ns)).toBe(text);
});
