import { expect, test } from "bun:test";
import { parseMessageTTL, TTL_NEVER, TtlError } from "../../../src/store/mod.ts";
import { isDeleteMarker, storedTTL, TtlIndex } from "../../../src/store/ttl.ts";

const enc = new TextEncoder();

test("parseMessageTTL() reads Nats-TTL as nats-server 2.11's parseMessageTTL", () => {
  const cases: [string, number][] = [["1s", 1], ["1.9s", 1], ["2m", 120], ["1h30m", 5400], ["30", 30], ["never", TTL_NEVER], ["Never", TTL_NEVER], ["+5s", 5]];
  for (const [v, want] of cases) expect(parseMessageTTL(v), v).toBe(want);
  for (const bad of ["0", "0s", "999ms", "-1", "-5s", "soon", "", "1x", "5 s"]) expect(() => parseMessageTTL(bad), bad).toThrow(TtlError);
});

test("storedTTL() and isDeleteMarker() read a raw header block", () => {
  expect(storedTTL(enc.encode("NATS/1.0\r\nNats-TTL: 5s\r\n\r\n"))).toBe(5);
  expect(storedTTL(enc.encode("NATS/1.0\r\nnats-ttl:never\r\n\r\n"))).toBe(TTL_NEVER);
  expect(storedTTL(enc.encode("NATS/1.0\r\nX-Nats-TTL: 5s\r\n\r\n"))).toBe(0);
  expect(storedTTL(enc.encode("NATS/1.0\r\nNats-TTL: nope\r\n\r\n"))).toBe(0);
  expect(storedTTL(new Uint8Array(0))).toBe(0);
  expect(isDeleteMarker(enc.encode("NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\n\r\n"))).toBe(true);
  expect(isDeleteMarker(enc.encode("NATS/1.0\r\nKV-Operation: PURGE\r\nNats-Rollup: sub\r\n\r\n"))).toBe(true);
  expect(isDeleteMarker(enc.encode("NATS/1.0\r\nKV-Operation: DEL\r\n\r\n"))).toBe(false);
});

test("TtlIndex hands out due sequences in order, once, and skips forgotten ones", () => {
  const ix = new TtlIndex();
  ix.add(3, 1000, 2); // due at 3000
  ix.add(1, 1000, 5); // due at 6000
  ix.add(2, 1000, 1); // due at 2000
  ix.add(4, 1000, TTL_NEVER);
  ix.add(5, 1000, 0);
  expect(ix.size).toBe(4);
  expect(ix.isNever(4)).toBe(true);
  expect(ix.nextIn(1000)).toBe(1000);
  expect(ix.takeDue(2500)).toEqual([2]);
  ix.delete(3);
  expect(ix.takeDue(4000)).toEqual([]);
  expect(ix.nextIn(4000)).toBe(2000);
  ix.deleteBelow(5);
  expect(ix.takeDue(10_000)).toEqual([]);
  expect([ix.size, ix.nextIn(10_000), ix.isNever(4)]).toEqual([0, 0, false]);
});
