import { expect, test } from "bun:test";
import fc from "fast-check";
import { AckReplyWriter } from "../../../src/jetstream/ack_reply.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("writes the ack subject nats-server uses, with the timestamp in integer nanoseconds", () => {
  const w = new AckReplyWriter("$JS.ACK.ORDERS.worker");
  // Stored timestamps are float ms: 1763797000123.25 is exact, so its nanoseconds are too.
  expect(text(w.write(1, 42, 7, 1763797000123.25, 0))).toBe("$JS.ACK.ORDERS.worker.1.42.7.1763797000123250000.0");
  expect(text(w.write(12, 9_007_199_254_740_991, 1, 1763797000123, 5))).toBe("$JS.ACK.ORDERS.worker.12.9007199254740991.1.1763797000123000000.5");
  expect(text(w.write(1, 1, 1, 0.5, 1))).toBe("$JS.ACK.ORDERS.worker.1.1.1.500000.1");
  expect(text(w.write(1, 1, 1, 0, 1))).toBe("$JS.ACK.ORDERS.worker.1.1.1.0.1");
  // A fraction that rounds up carries into the milliseconds.
  expect(text(w.write(1, 1, 1, 1999.9999999, 1))).toBe("$JS.ACK.ORDERS.worker.1.1.1.2000000000.1");
});

test("timestamps in the same millisecond, then another, then the first again, each keep their own digits", () => {
  const w = new AckReplyWriter("$JS.ACK.S.C");
  expect(text(w.write(1, 1, 1, 1763797000123.5, 0))).toBe("$JS.ACK.S.C.1.1.1.1763797000123500000.0");
  expect(text(w.write(1, 2, 2, 1763797000123.75, 0))).toBe("$JS.ACK.S.C.1.2.2.1763797000123750000.0");
  expect(text(w.write(1, 3, 3, 99.25, 0))).toBe("$JS.ACK.S.C.1.3.3.99250000.0");
  expect(text(w.write(1, 4, 4, 1763797000123, 0))).toBe("$JS.ACK.S.C.1.4.4.1763797000123000000.0");
});

test("names with non-ASCII characters are written as UTF-8", () => {
  expect(text(new AckReplyWriter("$JS.ACK.strøm.ç").write(1, 2, 3, 4, 5))).toBe("$JS.ACK.strøm.ç.1.2.3.4000000.5");
});

test("the numbers match a template string's, for any sequence and a millisecond-precise timestamp", () => {
  const w = new AckReplyWriter("$JS.ACK.S.C");
  fc.assert(
    fc.property(fc.nat(), fc.maxSafeNat(), fc.maxSafeNat(), fc.integer({ min: 1, max: 4_000_000_000_000 }), fc.nat(), (dc, s, c, ms, pend) => {
      expect(text(w.write(dc, s, c, ms, pend))).toBe(`$JS.ACK.S.C.${dc}.${s}.${c}.${ms}000000.${pend}`);
    }),
  );
});
