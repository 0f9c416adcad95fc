import { expect, test } from "bun:test";
import { indexBlock, parseRecords, RecordWriter } from "../../../src/store/file/records.ts";

const enc = new TextEncoder();

function block(): Uint8Array {
  const w = new RecordWriter(1 << 16);
  w.floor(1, 0, 0);
  w.msg(1, 1000, "a.b", new Uint8Array(0), enc.encode("one"));
  w.tomb(1, 40, "a.b");
  w.msg(2, 1001, "c", enc.encode("NATS/1.0\r\n\r\n"), enc.encode("two"));
  return w.take()[0]!.buf;
}

test("parseRecords and indexBlock walk the same records", () => {
  const buf = block();
  const types: number[] = [];
  parseRecords(buf, (r) => types.push(r.type));
  expect(types).toEqual([3, 1, 2, 1]);
  const idx = indexBlock(buf);
  expect(idx.seqs).toEqual([1, 2]);
  const offs: number[] = [];
  parseRecords(buf, (r, off) => r.type === 1 && offs.push(off));
  expect(idx.offs).toEqual(offs);
});

test("a torn or unknown record is reported at its offset by both", () => {
  const buf = block();
  const offs: number[] = [];
  parseRecords(buf, (r, off) => r.type === 1 && offs.push(off));
  for (const bad of [buf.subarray(0, buf.length - 1), buf.subarray(0, offs[1]! + 5)]) {
    expect(() => parseRecords(bad, () => {})).toThrow(`malformed record at offset ${offs[1]}`);
    expect(() => indexBlock(bad)).toThrow(`malformed record at offset ${offs[1]}`);
  }
  const unknown = buf.slice();
  unknown[offs[1]!] = 9;
  expect(() => parseRecords(unknown, () => {})).toThrow(`malformed record at offset ${offs[1]}`);
  expect(() => indexBlock(unknown)).toThrow(`malformed record at offset ${offs[1]}`);
});
