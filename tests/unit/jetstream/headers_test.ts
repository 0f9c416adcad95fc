import { expect, test } from "bun:test";
import fc from "fast-check";
import { parseHeaders } from "../../../src/jetstream/headers.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** What parseHeaders must give: the block decoded, split at CRLF, each line after the first read as `name: value`. */
function byLines(hdr: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const lines = new TextDecoder().decode(hdr).split("\r\n");
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i]!.indexOf(":");
    if (colon <= 0) continue;
    const key = lines[i]!.slice(0, colon).trim().toLowerCase();
    if (!out.has(key)) out.set(key, lines[i]!.slice(colon + 1).trim());
  }
  return out;
}

test("reads names lower-cased and values trimmed, the first of a name winning", () => {
  const h = parseHeaders(bytes("NATS/1.0\r\nNats-Msg-Id: a1\r\nNats-Stream-Source:  TELE 12 \r\nnats-msg-id: b2\r\n\r\n"));
  expect([...h]).toEqual([["nats-msg-id", "a1"], ["nats-stream-source", "TELE 12"]]);
  expect([...parseHeaders(bytes("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\n\r\n"))]).toEqual([["nats-last-consumer", "5"]]);
  expect(parseHeaders(null).size).toBe(0);
  expect(parseHeaders(new Uint8Array(0)).size).toBe(0);
  expect([...parseHeaders(bytes("NATS/1.0\r\nX-Name: café\r\n\r\n"))]).toEqual([["x-name", "café"]]);
});

test("any block, ASCII or not, well-formed or not, reads as decoding it and splitting it by line would", () => {
  const piece = fc.constantFrom("NATS/1.0", "\r\n", "\r", "\n", ":", " ", "\t", "Nats-Msg-Id", "X-Ab", "v1", "é", "\u00a0", "K");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
      const hdr = bytes(pieces.join(""));
      expect([...parseHeaders(hdr)]).toEqual([...byLines(hdr)]);
    }),
    { numRuns: 2000 },
  );
});
