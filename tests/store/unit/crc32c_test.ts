// CRC-32C against the RFC 3720 test vectors, at every alignment and length the word loop can meet.
import { describe, expect, test } from "bun:test";
import { crc32c } from "../../../src/store/file/crc32c.ts";

function bytewise(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (const x of b) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32c()", () => {
  test("crc32c() matches the RFC 3720 vectors", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });

  test("crc32c() agrees with a bit-by-bit CRC at every offset and length, and over a sub-range", () => {
    const data = Uint8Array.from({ length: 200 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let off = 0; off < 8; off++) {
      for (let len = 0; len < 70; len++) expect(crc32c(data.subarray(off, off + len))).toBe(bytewise(data.subarray(off, off + len)));
    }
    expect(crc32c(data, 5, 150)).toBe(bytewise(data.subarray(5, 150)));
  });
});
