// headerValues (the publish path's byte-level header lookup) against parseHeaders, the plain decoder it
// stands in for: for any block, the looked-for names get the same values, first one winning, any case.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HeaderNames, headerValues, parseHeaders } from "../../src/jetstream/headers.ts";

const encoder = new TextEncoder();
const NAMES = ["nats-expected-stream", "nats-ttl", "nats-msg-id", "nats-rollup", "x-a"];
const names = new HeaderNames(NAMES);

function same(block: string): void {
  const b = encoder.encode(block);
  const want = [...parseHeaders(b)].filter(([k]) => NAMES.includes(k));
  expect([...headerValues(b, names)]).toEqual(want);
}

describe("headerValues", () => {
  test("named cases: case, spaces, duplicates, statuses, values with colons and UTF-8", () => {
    for (const block of [
      "",
      "NATS/1.0\r\n\r\n",
      "NATS/1.0 503\r\n\r\n",
      "NATS/1.0\r\nNats-Msg-Id: abc\r\n\r\n",
      "NATS/1.0\r\nNATS-MSG-ID:abc\r\nnats-msg-id: second\r\n\r\n",
      "NATS/1.0\r\n  Nats-TTL :  5s  \r\nNats-Rollup: sub\r\n\r\n",
      "NATS/1.0\r\n:novalue\r\nx-a: é ü \r\n\r\n",
      "NATS/1.0\r\nNats-Stream-Source: S 12\r\nNats-Expected-Stream: T\r\n\r\n",
      "NATS/1.0\r\nNats-Msg-Id: a:b:c\r\n\r\n",
      "NATS/1.0\r\nnats-ttlx: 1\r\nnats-tt: 2\r\n\r\n",
      "NATS/1.0\r\nX-A: \u00a0v\u00a0\r\n\r\n",
      "NATS/1.0\r\nx-a: v",
    ]) same(block);
  });

  test("random blocks of header-like pieces", () => {
    const pieces = ["\r\n", ":", " ", "\t", "Nats-Msg-Id", "nats-ttl", "x-a", "X-A", "v", "é", "\r", "\n", "NATS/1.0"];
    const block = fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((p) => p.join(""));
    fc.assert(fc.property(block, (b) => same(b)), { numRuns: 20_000 });
  });
});
