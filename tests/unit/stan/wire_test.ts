/**
 * The hand-written codec of the publish and delivery messages (src/stan/wire.ts) against proto.ts's
 * @bufbuild/protobuf-based one: the same decode of the bytes it writes, the same bytes written, the same
 * errors; and golden bytes laid out as the real clients send them (reference nats-streaming.md §1.3, §7).
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { Ack, MsgProto, PubAck, PubMsg } from "../../../src/stan/proto.ts";
import { decodeAck, decodePubMsg, WireWriter } from "../../../src/stan/wire.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (...parts: (number[] | string | Uint8Array)[]) => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p)))));
const td = new TextDecoder();

test("decodes a PubMsg as the C and JS clients lay it out", () => {
  const golden = bytes(
    [0x0a, 8], "load-pub",
    [0x12, 22], "KJ5NUGN9HL7FVY2QIQ7ZJ8",
    [0x1a, 4], "load",
    [0x2a, 3], "abc",
    [0x32, 22], "1M9PBIHPXRXO83KN9ZFRQX",
  );
  const m = decodePubMsg(golden);
  expect({ ...m, guid: td.decode(m.guid), data: td.decode(m.data) }).toEqual({
    clientID: "load-pub", guid: "KJ5NUGN9HL7FVY2QIQ7ZJ8", subject: "load", reply: "", data: "abc", connID: "1M9PBIHPXRXO83KN9ZFRQX",
  });
  // sha256 (10) and unknown fields of every skippable wire type are passed over.
  const extra = bytes([0x52, 2, 1, 2, 0x78, 0x96, 0x01, 0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x8d, 0x01, 1, 2, 3, 4], golden);
  expect(decodePubMsg(extra)).toEqual(m);
});

test("the Ack as captured from the node client", () => {
  expect(decodeAck(bytes([0x0a, 3], "foo", [0x10, 1]))).toEqual({ subject: "foo", sequence: 1 });
  expect(decodeAck(bytes([0x10, 0x80, 0x80, 0x80, 0x80, 0x10]))).toEqual({ subject: "", sequence: 2 ** 32 });
});

test("PubAck and MsgProto bytes as proto.ts writes them, golden", () => {
  const w = new WireWriter();
  expect(hex(w.pubAck(bytes("g1"), ""))).toBe("0a026731");
  expect(hex(w.pubAck(new Uint8Array(0), "stan: invalid publish request"))).toBe(hex(PubAck.encode({ error: "stan: invalid publish request" })));
  // sequence 300, subject "foo", data "hi", timestamp 1 ns, redelivered, count 1.
  expect(hex(w.msgProto(300, "foo", "", bytes("hi"), 1, true, 1))).toBe("08ac021203666f6f22026869280130013801");
  expect(hex(w.msgProto(0, "", "", new Uint8Array(0), 0, false, 0))).toBe("");
});

const ascii = fc.string({ maxLength: 40 });
const text = fc.string({ unit: "grapheme", maxLength: 80 });
const payload = fc.uint8Array({ maxLength: 3000 });

test("decodePubMsg agrees with PubMsg.decode on whatever PubMsg.encode writes", () => {
  fc.assert(
    fc.property(ascii, ascii, text, text, payload, ascii, (clientID, guid, subject, reply, data, connID) => {
      const b = PubMsg.encode({ clientID, guid, subject, reply, data, connID: new TextEncoder().encode(connID) });
      const full = PubMsg.decode(b);
      const fast = decodePubMsg(b);
      expect({ ...fast, guid: td.decode(fast.guid), data: hex(fast.data) }).toEqual({ clientID: full.clientID, guid: full.guid, subject: full.subject, reply: full.reply, data: hex(full.data), connID: td.decode(full.connID) });
    }),
  );
});

test("decodeAck agrees with Ack.decode", () => {
  fc.assert(
    fc.property(text, fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), (subject, sequence) => {
      const b = Ack.encode({ subject, sequence });
      expect(decodeAck(b)).toEqual({ subject, sequence: Number(Ack.decode(b).sequence) });
    }),
  );
});

test("the writer's bytes are proto.ts's, buffer reuse and growth included", () => {
  const w = new WireWriter();
  fc.assert(
    fc.property(
      fc.nat(), text, text, payload, fc.integer({ min: 0, max: 2 ** 41 }), fc.boolean(), fc.nat({ max: 2 ** 32 - 1 }), ascii, text,
      (seq, subject, reply, data, tsMs, redelivered, count, guid, error) => {
        const ns = Math.round(tsMs * 1e6);
        const want = MsgProto.encode({ sequence: BigInt(seq), subject, reply, data, timestamp: BigInt(ns), redelivered, redeliveryCount: count });
        expect(hex(w.msgProto(seq, subject, reply, data, ns, redelivered, count))).toBe(hex(want));
        expect(hex(w.pubAck(new TextEncoder().encode(guid), error))).toBe(hex(PubAck.encode({ guid, error })));
      },
    ),
  );
});

test("bytes the fast path does not expect fail as proto.ts fails them, or decode as it does", () => {
  const cases = [
    bytes([0x0a, 5, 0x61]), // truncated string
    bytes([0x08, 1]), // clientID with the varint wire type
    bytes([0x0a, 2, 0xc3, 0x28]), // invalid UTF-8 in the client ID
    bytes([0x0b, 0x0c]), // a group (start, end) for field 1
    bytes([0x7b, 0x7c, 0x12, 1, 0x67]), // an empty group in unknown field 15, then guid "g"
    bytes([0x00]), // field 0
  ];
  for (const b of cases) {
    let want: unknown;
    try {
      const full = PubMsg.decode(b);
      want = { ...full, data: hex(full.data), connID: td.decode(full.connID), sha256: undefined };
    } catch {
      want = "throws";
    }
    let got: unknown;
    try {
      const fast = decodePubMsg(b);
      got = { ...fast, guid: td.decode(fast.guid), data: hex(fast.data), sha256: undefined };
    } catch {
      got = "throws";
    }
    expect(got).toEqual(want);
  }
  // The guid is only echoed: its bytes go back as they came, as nats-streaming-server's gogo decoder takes them.
  expect(hex(decodePubMsg(bytes([0x12, 2, 0xc3, 0x28])).guid)).toBe("c328");
  expect(() => decodeAck(bytes([0x10, 0x80]))).toThrow();
  // A sequence beyond 2^53 is the full codec's.
  expect(decodeAck(Ack.encode({ sequence: 2n ** 60n })).sequence).toBe(2 ** 60);
});
