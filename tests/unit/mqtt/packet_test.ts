// The MQTT packet codec: split reads, the remaining-length varint, and the checks nats-server 2.9.10's
// TestMQTTParseConnect/ParseSub/ParsePub/ParsePubAck make, by message.
import { describe, expect, test } from "bun:test";
import { ConnackCode, ConnectRefusal, decodeConnect, decodePacketId, decodePublish, decodeSubscribe } from "../../../src/mqtt/decode.ts";
import { PacketError, PacketReader, publish, suback } from "../../../src/mqtt/packet.ts";

const enc = new TextEncoder();
const str = (s: string) => {
  const b = enc.encode(s);
  return [b.length >> 8, b.length & 0xff, ...b];
};
const bytes = (...b: number[]) => Uint8Array.from(b);

function connectBody(flags: number, id = "c1", rest: number[] = [], level = 4, proto = "MQTT"): Uint8Array {
  return Uint8Array.from([...str(proto), level, flags, 0, 30, ...str(id), ...rest]);
}

describe("PacketReader", () => {
  test("returns packets split across reads and several in one read", () => {
    const r = new PacketReader(1024);
    const wire = [0xc0, 0, 0x30, 3, 0, 1, 0x61, 0xe0, 0];
    const types: number[] = [];
    for (const b of wire) for (const p of r.push(bytes(b))) types.push(p.type);
    for (const p of r.push(Uint8Array.from(wire))) types.push(p.type);
    expect(types).toEqual([12, 3, 14, 12, 3, 14]);
  });

  test("refuses a fifth remaining-length byte and a packet over its limit", () => {
    expect(() => [...new PacketReader(1 << 28).push(bytes(0x30, 0xff, 0xff, 0xff, 0xff, 1))]).toThrow("malformed remaining length");
    expect(() => [...new PacketReader(100).push(bytes(0x30, 0x80, 0x01))]).toThrow("remaining length 128 exceeds the limit of 100");
  });
});

describe("CONNECT", () => {
  test("a clean session with a Will and credentials", () => {
    const c = decodeConnect(connectBody(0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80, "dev", [...str("will/t"), 0, 2, 0x68, 0x69, ...str("u"), ...str("p")]));
    expect(c.clientId).toBe("dev");
    expect(c.clean).toBe(true);
    expect(c.keepAlive).toBe(30);
    expect(c.will).toEqual({ topic: "will/t", message: bytes(0x68, 0x69), qos: 1, retain: true });
    expect(c.username).toBe("u");
    expect(c.password).toEqual(enc.encode("p"));
  });

  const closes: [string, Uint8Array, string][] = [
    ["MQTT 3.1", connectBody(2, "c", [], 3, "MQIsdp"), `older protocol "MQIsdp" not supported`],
    ["reserved flag", connectBody(0x03), "reserved bit"],
    ["Will QoS without Will", connectBody(0x02 | 0x08), "Will QoS and Will Retain must be 0"],
    ["Will QoS 3", connectBody(0x02 | 0x04 | 0x18), "not 3"],
    ["password without user name", connectBody(0x02 | 0x40), "password flag set but username flag is not"],
  ];
  for (const [name, body, message] of closes) {
    test(`${name} closes the connection`, () => {
      expect(() => decodeConnect(body)).toThrow(PacketError);
      expect(() => decodeConnect(body)).toThrow(message);
    });
  }

  const refusals: [string, Uint8Array, number][] = [
    ["protocol level 3", connectBody(2, "c", [], 3), ConnackCode.UNACCEPTABLE_PROTOCOL],
    ["empty client ID without clean session", connectBody(0, ""), ConnackCode.IDENTIFIER_REJECTED],
    ["invalid UTF-8 client ID", Uint8Array.from([...str("MQTT"), 4, 2, 0, 0, 0, 1, 0xf1]), ConnackCode.IDENTIFIER_REJECTED],
    ["empty user name", connectBody(0x82, "c", str("")), ConnackCode.BAD_USERNAME_OR_PASSWORD],
  ];
  for (const [name, body, rc] of refusals) {
    test(`${name} is refused with CONNACK ${rc}`, () => {
      try {
        decodeConnect(body);
        throw new Error("accepted");
      } catch (e) {
        expect(e).toBeInstanceOf(ConnectRefusal);
        expect((e as ConnectRefusal).rc).toBe(rc);
      }
    });
  }
});

describe("PUBLISH, SUBSCRIBE, PUBACK", () => {
  const cases: [string, () => unknown, string][] = [
    ["empty topic", () => decodePublish(0, bytes(0, 0)), "topic cannot be empty"],
    ["QoS 1 packet identifier 0", () => decodePublish(2, bytes(0, 3, 0x66, 0x6f, 0x6f, 0, 0)), "packet identifier cannot be 0"],
    ["subscribe reserved flags", () => decodeSubscribe(3, bytes(0, 1, ...str("a"), 0), true), "flags must be 0x2"],
    ["subscribe without filters", () => decodeSubscribe(2, bytes(0, 1), true), "must contain at least 1 topic filter"],
    ["empty filter", () => decodeSubscribe(2, bytes(0, 1, 0, 0), true), "topic filter cannot be empty"],
    ["invalid UTF-8 filter", () => decodeSubscribe(2, bytes(0, 1, 0, 1, 241), true), "invalid utf8 for topic filter"],
    ["filter without QoS", () => decodeSubscribe(2, bytes(0, 1, 0, 1, 0x61), true), "QoS"],
    ["QoS 3", () => decodeSubscribe(2, bytes(0, 1, 0, 1, 0x61, 3), true), "subscribe QoS value must be 0, 1 or 2"],
    ["NUL in a topic", () => decodePublish(0, bytes(0, 1, 0)), "invalid null character"],
    ["PUBACK of packet 0", () => decodePacketId(bytes(0, 0), "puback"), "packet identifier cannot be 0"],
  ];
  for (const [name, run, message] of cases) {
    test(`${name} is refused`, () => {
      expect(run).toThrow(message);
    });
  }

  test("topics of the same length decode to their own text, however they alternate, and a NUL still fails", () => {
    const pub = (t: string) => decodePublish(0, Uint8Array.from([0, t.length, ...enc.encode(t), 0x78])).topic;
    expect([pub("a/b"), pub("a/c"), pub("a/b"), pub("a/b"), pub("b/b")]).toEqual(["a/b", "a/c", "a/b", "a/b", "b/b"]);
    expect(() => decodePublish(0, bytes(0, 3, 0x61, 0x2f, 0))).toThrow("invalid null character");
    expect(pub("a/b")).toBe("a/b");
  });

  test("a payload given by offsets is sent as that range only", () => {
    const whole = enc.encode("HDRpayloadTAIL");
    const p = publish({ topic: enc.encode("t"), payload: whole, start: 3, end: 10, qos: 0, retain: false, dup: false, pid: 0 });
    expect(new TextDecoder().decode(decodePublish(0, p.subarray(2)).payload)).toBe("payload");
  });

  test("a QoS 1 PUBLISH and a SUBACK encode as the spec lays them out", () => {
    const p = publish({ topic: enc.encode("a/b"), payload: enc.encode("hi"), qos: 1, retain: true, dup: true, pid: 258 });
    expect([...p]).toEqual([0x3b, 9, 0, 3, 0x61, 0x2f, 0x62, 1, 2, 0x68, 0x69]);
    expect([...suback(7, [0, 1, 0x80])]).toEqual([0x90, 5, 0, 7, 0, 1, 0x80]);
    const big = publish({ topic: enc.encode("t"), payload: new Uint8Array(200), qos: 0, retain: false, dup: false, pid: 0 });
    expect([...big.subarray(0, 3)]).toEqual([0x30, 0xcb, 0x01]);
    const [back] = [...new PacketReader(1024).push(big)];
    expect(decodePublish(back!.flags, back!.body).payload.length).toBe(200);
  });
});
