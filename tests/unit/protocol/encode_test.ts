import { afterEach, expect, test } from "bun:test";
import fc from "fast-check";
import { configureDecimalFaults, decimalLength, writeDecimal } from "../../../src/protocol/encode.ts";

const text = (b: Uint8Array, end: number) => new TextDecoder().decode(b.subarray(0, end));

afterEach(() => configureDecimalFaults({ strict: true, report: () => {} }));

test("writeDecimal writes every non-negative safe integer as its decimal digits", () => {
  const b = new Uint8Array(32);
  for (const v of [0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER]) expect(text(b, writeDecimal(b, 0, v))).toBe(String(v));
  fc.assert(fc.property(fc.maxSafeNat(), (v) => expect(text(b, writeDecimal(b, 0, v))).toBe(String(v))));
  fc.assert(fc.property(fc.maxSafeNat(), (v) => expect(decimalLength(v)).toBe(String(v).length)));
});

test("in strict mode (the test suites) a negative or fractional number throws instead of writing non-digits", () => {
  const b = new Uint8Array(32);
  for (const v of [-1, -38, -(2 ** 40), 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(() => writeDecimal(b, 0, v)).toThrow(RangeError);
});

test("otherwise a bad number is clamped to digits and reported", () => {
  const seen: number[] = [];
  configureDecimalFaults({ strict: false, report: (v) => seen.push(v) });
  const b = new Uint8Array(32);
  // -38 + 48 is a line feed: written raw it ended an HMSG control line early.
  expect(text(b, writeDecimal(b, 0, -38))).toBe("0");
  expect(text(b, writeDecimal(b, 0, 12.7))).toBe("12");
  expect(text(b, writeDecimal(b, 0, 2 ** 33 + 0.5))).toBe(String(2 ** 33));
  expect(text(b, writeDecimal(b, 0, Number.NaN))).toBe("0");
  expect(seen).toEqual([-38, 12.7, 2 ** 33 + 0.5, Number.NaN]);
});
