/** The STAN protobuf codec against the bytes the real clients send (reference §7) and proto3's rules. */
import { expect, test } from "bun:test";
import { Ack, ConnectRequest, MsgProto, SubscriptionRequest, SubscriptionResponse } from "../../../src/stan/proto.ts";
import { isValidChannel } from "../../../src/stan/errors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("decodes the node client's ConnectRequest and Ack as captured", () => {
  const connID = "1M9PBIHPXRXO83KN9ZFRQX";
  const bytes = Buffer.concat([
    Buffer.from([0x0a, 16]), Buffer.from("natsedge-probe-1"),
    Buffer.from([0x12, 29]), Buffer.from("_INBOX.1M9PBIHPXRXO83KN9ZFREJ"),
    Buffer.from([0x18, 1, 0x22, 22]), Buffer.from(connID),
    Buffer.from([0x28, 5, 0x30, 3]),
  ]);
  const req = ConnectRequest.decode(new Uint8Array(bytes));
  expect({ ...req, connID: new TextDecoder().decode(req.connID) }).toEqual({
    clientID: "natsedge-probe-1", heartbeatInbox: "_INBOX.1M9PBIHPXRXO83KN9ZFREJ", protocol: 1, connID, pingInterval: 5, pingMaxOut: 3,
  });
  expect(Ack.decode(new Uint8Array([0x0a, 3, 0x66, 0x6f, 0x6f, 0x10, 1]))).toEqual({ subject: "foo", sequence: 1n });
});

test("defaults are left out, negative int32 is a 10-byte varint, 64-bit fields keep every nanosecond", () => {
  expect(hex(SubscriptionResponse.encode({ ackInbox: "", error: "" }))).toBe("");
  expect(hex(ConnectRequest.encode({ pingInterval: -1 }))).toBe("28ffffffffffffffffff01");
  const ts = 1_760_000_000_123_456_789n;
  expect(MsgProto.decode(MsgProto.encode({ sequence: 2n ** 40n, timestamp: ts })).timestamp).toBe(ts);
});

test("unknown fields are skipped; a known field with the wrong wire type or a truncated message is an error", () => {
  const withUnknown = new Uint8Array([0xa2, 0x06, 2, 0x61, 0x62, 0x0a, 1, 0x78]);
  expect(SubscriptionRequest.decode(withUnknown).clientID).toBe("x");
  expect(() => SubscriptionRequest.decode(new Uint8Array([0x08, 1]))).toThrow();
  expect(() => SubscriptionRequest.decode(new Uint8Array([0x0a, 5, 0x61]))).toThrow();
});

test("channel names: literal subjects without slashes", () => {
  expect(["foo", "foo.bar", "a-b_c"].every(isValidChannel)).toBe(true);
  expect(["", ".foo", "foo.", "a..b", "foo.*", "foo.>", "a/b"].some(isValidChannel)).toBe(false);
});
