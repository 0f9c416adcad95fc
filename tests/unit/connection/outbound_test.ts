// The outbound buffer holds no memory until a connection writes, grows with what is pending, and gives its
// memory back once drained and released (idle connections hold none).
import { expect, test } from "bun:test";
import { Outbound } from "../../../src/connection/outbound.ts";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

test("nothing is allocated before the first write", () => {
  const o = new Outbound();
  expect(o.buf.length).toBe(0);
  expect(o.pending).toBe(0);
  expect(o.view().length).toBe(0);
});

test("the first write allocates a small buffer, a larger one grows it, and the bytes stay in order", () => {
  const o = new Outbound();
  o.append(bytes(10, 1));
  expect(o.buf.length).toBe(1024);
  o.append(bytes(5000, 2));
  expect(o.buf.length).toBe(8192);
  const v = o.view();
  expect(v.length).toBe(5010);
  expect(v.subarray(0, 10).every((b) => b === 1)).toBe(true);
  expect(v.subarray(10).every((b) => b === 2)).toBe(true);
});

test("a partly taken buffer keeps the rest, compacting before it grows", () => {
  const o = new Outbound();
  o.append(bytes(800, 1));
  o.append(bytes(100, 2));
  o.consume(800);
  o.append(bytes(900, 3));
  expect(o.buf.length).toBe(1024);
  const v = o.view();
  expect(v.length).toBe(1000);
  expect(v.subarray(0, 100).every((b) => b === 2)).toBe(true);
  expect(v.subarray(100).every((b) => b === 3)).toBe(true);
});

test("release gives the buffer back only when nothing is pending", () => {
  const o = new Outbound();
  o.append(bytes(300, 7));
  o.release();
  expect(o.pending).toBe(300);
  expect(o.view().every((b) => b === 7)).toBe(true);
  o.consume(300);
  o.release();
  expect(o.buf.length).toBe(0);
  o.append(bytes(4, 9));
  expect([...o.view()]).toEqual([9, 9, 9, 9]);
});

test("a buffer a burst grew past 4 MiB is dropped as soon as it drains", () => {
  const o = new Outbound();
  o.append(bytes(5 * 1024 * 1024, 1));
  o.consume(5 * 1024 * 1024);
  expect(o.buf.length).toBe(0);
});
