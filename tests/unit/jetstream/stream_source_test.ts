import { expect, test } from "bun:test";
import fc from "fast-check";
import { AckReplyWriter } from "../../../src/jetstream/ack_reply.ts";
import { normalizeStreamConfig } from "../../../src/jetstream/config.ts";
import { withoutHeader } from "../../../src/jetstream/headers.ts";
import { parseAckReply } from "../../../src/jetstream/source_link.ts";
import { indexName, interestSubjects, lastSourcedSeqs, type LinkedStream, parseSourceHeader } from "../../../src/jetstream/stream_source.ts";
import { MemStore } from "../../../src/store/mod.ts";

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const bytes = (s: string) => new TextEncoder().encode(s);

test("parseAckReply reads the origin sequence, delivery sequence, exact time and pending of both reply forms", () => {
  const w = new AckReplyWriter("$JS.ACK.ORDERS.c1");
  const reply = text(w.write(1, 42, 7, 1763797000123.25, 3))!;
  expect(parseAckReply(reply)).toEqual([42, 7, 1763797000123.25, 3]);
  expect(parseAckReply("$JS.ACK.hub.ACCHASH.ORDERS.c1.1.42.7.1763797000123250000.3.xyz")).toEqual([42, 7, 1763797000123.25, 3]);
  expect(parseAckReply("$JS.ACK.ORDERS.c1.1.0.7.1.3")).toBeNull();
  expect(parseAckReply("_INBOX.abc")).toBeNull();
});

test("parseAckReply reads back what the ack reply writer wrote, for any sequences, millisecond timestamp and pending", () => {
  const w = new AckReplyWriter("$JS.ACK.S.C");
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 4_000_000_000_000 }), fc.maxSafeNat(), (dc, s, c, ms, pend) => {
      expect(parseAckReply(text(w.write(dc, s, c, ms, pend))!)).toEqual([s, c, ms, pend]);
    }),
  );
  // Short, empty or non-numeric fields: a sequence must be a positive number, the rest default to 0.
  expect(parseAckReply("$JS.ACK.S.C.1.5.6.123.")).toEqual([5, 6, 0.000123, 0]);
  expect(parseAckReply("$JS.ACK.S.C.1.5.6.x1.y")).toEqual([5, 6, 0, 0]);
  expect(parseAckReply("$JS.ACK.S.C.1.5x.6.1.1")).toBeNull();
  expect(parseAckReply("$JS.ACK.S.C.1..6.1.1")).toBeNull();
  expect(parseAckReply("$JS.ACK.S.C.1.5.6.1")).toBeNull();
});

test("the Nats-Stream-Source value names the origin (hashed with its API when external) and its sequence", () => {
  expect(indexName({ name: "TELE" })).toBe("TELE");
  const ext = indexName({ name: "TELE", external: { api: "$JS.edge.API" } });
  expect(ext).toMatch(/^TELE:[A-Za-z0-9_-]{8}$/);
  expect(ext).not.toBe(indexName({ name: "TELE", external: { api: "$JS.other.API" } }));
  expect(parseSourceHeader("TELE 12")).toEqual(["TELE", 12]);
  expect(parseSourceHeader("TELE")).toBeNull();
  expect(parseSourceHeader("TELE x")).toBeNull();
});

test("lastSourcedSeqs finds each source's newest origin sequence scanning back from the end", async () => {
  const store = new MemStore();
  const hdr = (v: string) => bytes(`NATS/1.0\r\nNats-Stream-Source: ${v}\r\n\r\n`);
  await store.append("a", hdr("A 1"), bytes("1"));
  await store.append("b", hdr("B 7"), bytes("2"));
  await store.append("a", hdr("A 2"), bytes("3"));
  await store.append("local", null, bytes("4"));
  expect(lastSourcedSeqs(store, ["A", "B", "C"])).toEqual(new Map([["A", 2], ["B", 7]]));
});

test("withoutHeader drops one header and keeps the rest, or leaves nothing when it was the only one", () => {
  const h = bytes("NATS/1.0\r\nFoo: 1\r\nNats-Stream-Source: X 1\r\n\r\n");
  expect(text(withoutHeader(h, "Nats-Stream-Source"))).toBe("NATS/1.0\r\nFoo: 1\r\n\r\n");
  expect(withoutHeader(bytes("NATS/1.0\r\nnats-stream-source: X 1\r\n\r\n"), "Nats-Stream-Source")).toBeNull();
  expect(withoutHeader(null, "Foo")).toBeNull();
});

test("a mirror or sourcing stream has no subjects of its own unless given; a mirror with sources is refused", () => {
  expect(normalizeStreamConfig({ name: "M", mirror: { name: "O" } }).subjects).toEqual([]);
  expect(normalizeStreamConfig({ name: "S", sources: [{ name: "O", opt_start_seq: 0, filter_subject: "" }] }).sources).toEqual([{ name: "O" }]);
  expect(normalizeStreamConfig({ name: "P" }).subjects).toEqual(["P"]);
  expect(() => normalizeStreamConfig({ name: "M", mirror: { name: "O" }, sources: [{ name: "O" }] })).toThrow("stream mirrors can not also contain other sources");
  expect(() => normalizeStreamConfig({ name: "M", mirror: { name: "M" } })).toThrow("detected cycle");
  expect(normalizeStreamConfig({ name: "M", mirror: { name: "M", external: { api: "$JS.hub.API" } } }).mirror).toEqual({ name: "M", external: { api: "$JS.hub.API", deliver: "" } });
});

test("interestSubjects follows a mirror's and sources' local origins down, and takes anything past an external one", () => {
  const streams: Record<string, LinkedStream> = {
    A: { subjects: ["a.>"] },
    B: { subjects: ["b.>"], sources: [{ name: "A" }] },
    M: { subjects: [], mirror: { name: "B" } },
    LOOP: { subjects: ["l"], sources: [{ name: "LOOP" }] },
  };
  const lookup = (n: string) => streams[n];
  expect(interestSubjects(streams.M!, lookup)).toEqual(["b.>", "a.>"]);
  expect(interestSubjects({ subjects: [], sources: [{ name: "A" }, { name: "GONE" }] }, lookup)).toEqual(["a.>"]);
  expect(interestSubjects(streams.LOOP!, lookup)).toEqual(["l", "l"]);
  expect(interestSubjects({ subjects: [], mirror: { name: "X", external: { api: "$JS.hub.API" } } }, lookup)).toBeNull();
  expect(interestSubjects({ subjects: ["own"] }, lookup)).toEqual(["own"]);
});
