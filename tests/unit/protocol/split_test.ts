// Split read buffers, ported from nats-server's server/split_test.go (client ops only). nats-server looks
// at c.argBuf / c.msgBuf; here the same splits assert the public state and pa, and that nothing the parser
// keeps across reads points into the previous read buffer: feed() scribbles 'X' over every chunk once
// parse returns, as TestSplitBufferPubOp3/4 do with copy(pubAll, "XXXX...").
import { describe, expect, test } from "bun:test";
import { ERR } from "../../../src/protocol/errors.ts";
import { State } from "../../../src/protocol/parser.ts";
import {
  bytes,
  concat,
  feed,
  newParser,
  oneByteChunks,
  paReply,
  paSubject,
  parseAll,
  type ParserEvent,
  splitAt,
} from "../../_helpers/recording_handler.ts";

function pub(subject: string, reply: string | null, payload: string | Uint8Array, hdr = -1): ParserEvent[] {
  const p = typeof payload === "string" ? bytes(payload) : payload;
  return [
    { op: "pubArgs", subject, reply, hdr, size: p.length },
    { op: "msg", subject, reply, hdr, size: p.length, payload: p, crlf: true },
  ];
}

/** Parses chunk by chunk, checking the state after each one. */
function stepThrough(input: Uint8Array, cuts: number[], states: State[]) {
  const { parser, handler } = newParser();
  const chunks = splitAt(input, cuts);
  expect(chunks.length).toBe(states.length);
  chunks.forEach((chunk, i) => {
    const r = feed(parser, handler, [chunk]);
    expect(r.error).toBeNull();
    expect(parser.state).toBe(states[i]!);
  });
  return { parser, handler };
}

describe("TestSplitBufferSubOp", () => {
  test("SUB foo 1 split after 'SUB fo'", () => {
    const { handler } = stepThrough(bytes("SUB foo 1\r\n"), [6], [State.SUB_ARG, State.OP_START]);
    expect(handler.events).toEqual([{ op: "sub", arg: "foo 1" }]);
  });
});

describe("TestSplitBufferUnsubOp", () => {
  test("UNSUB 1024 split after 'UNSUB 10'", () => {
    const { parser, handler } = newParser();
    feed(parser, handler, [bytes("SUB foo 1024\r\n")]);
    expect(parser.state).toBe(State.OP_START);
    const unsub = bytes("UNSUB 1024\r\n");
    feed(parser, handler, [unsub.subarray(0, 8)]);
    expect(parser.state).toBe(State.UNSUB_ARG);
    feed(parser, handler, [unsub.subarray(8)]);
    expect(parser.state).toBe(State.OP_START);
    expect(handler.events).toEqual([{ op: "sub", arg: "foo 1024" }, { op: "unsub", arg: "1024" }]);
  });
});

describe("TestSplitBufferPubOp", () => {
  test("seven chunks walk OP_PU, PUB_ARG, MSG_PAYLOAD, MSG_END_N with pa kept across reads", () => {
    const input = bytes("PUB foo.bar INBOX.22 11\r\nhello world\r");
    const { parser, handler } = newParser();
    const chunks = splitAt(input, [2, 9, 15, 22, 25, 33]);
    const states = [
      State.OP_PU,
      State.PUB_ARG,
      State.PUB_ARG,
      State.PUB_ARG,
      State.MSG_PAYLOAD,
      State.MSG_PAYLOAD,
      State.MSG_END_N,
    ];
    chunks.forEach((chunk, i) => {
      expect(feed(parser, handler, [chunk]).error).toBeNull();
      expect(parser.state).toBe(states[i]!);
      if (i >= 4) {
        expect(paSubject(parser.pa)).toBe("foo.bar");
        expect(paReply(parser.pa)).toBe("INBOX.22");
        expect(parser.pa.size).toBe(11);
      }
    });
    feed(parser, handler, [bytes("\n")]);
    expect(parser.state).toBe(State.OP_START);
    expect(handler.events).toEqual(pub("foo.bar", "INBOX.22", "hello world"));
  });
});

describe("TestSplitBufferPubOp2", () => {
  test("split inside the payload", () => {
    const { handler } = stepThrough(
      bytes("PUB foo.bar INBOX.22 11\r\nhello world\r\n"),
      [30],
      [State.MSG_PAYLOAD, State.OP_START],
    );
    expect(handler.events).toEqual(pub("foo.bar", "INBOX.22", "hello world"));
  });
});

describe("TestSplitBufferPubOp3 / PubOp4: pub args survive the next read overwriting the buffer", () => {
  test("with a reply", () => {
    const all = bytes("PUB foo bar 11\r\nhello world\r\n");
    const { parser, handler } = newParser();
    feed(parser, handler, [all.subarray(0, 16)]); // the read buffer is scribbled over after this
    expect(paSubject(parser.pa)).toBe("foo");
    expect(paReply(parser.pa)).toBe("bar");
    expect(parser.pa.size).toBe(11);
    feed(parser, handler, [all.subarray(16)]);
    expect(handler.events).toEqual(pub("foo", "bar", "hello world"));
  });

  test("without a reply", () => {
    const all = bytes("PUB foo 11\r\nhello world\r\n");
    const { parser, handler } = newParser();
    feed(parser, handler, [all.subarray(0, 12)]);
    expect(paSubject(parser.pa)).toBe("foo");
    expect(paReply(parser.pa)).toBeNull();
    expect(parser.pa.size).toBe(11);
    feed(parser, handler, [all.subarray(12)]);
    expect(handler.events).toEqual(pub("foo", null, "hello world"));
  });

  test("HPUB with a reply", () => {
    const all = bytes("HPUB foo bar 3 11\r\nhdrlo world\r\n");
    const { parser, handler } = newParser();
    feed(parser, handler, [all.subarray(0, 21)]);
    expect(paSubject(parser.pa)).toBe("foo");
    expect(paReply(parser.pa)).toBe("bar");
    expect(parser.pa.hdr).toBe(3);
    expect(parser.pa.size).toBe(11);
    feed(parser, handler, [all.subarray(21)]);
    expect(handler.events).toEqual(pub("foo", "bar", "hdrlo world", 3));
  });
});

describe("TestSplitBufferPubOp5", () => {
  test("split between the payload's CR and LF keeps a copy of the payload", () => {
    const all = bytes("PUB foo 11\r\nhello world\r\n");
    const { parser, handler } = newParser();
    feed(parser, handler, [all.subarray(0, all.length - 1)]);
    expect(parser.state).toBe(State.MSG_END_N);
    feed(parser, handler, [all.subarray(all.length - 1)]);
    expect(handler.events).toEqual(pub("foo", null, "hello world"));
  });

  test("split right after the payload, before its CR", () => {
    const all = bytes("PUB foo 11\r\nhello world\r\n");
    const { handler } = stepThrough(all, [all.length - 2], [State.MSG_END_R, State.OP_START]);
    expect(handler.events).toEqual(pub("foo", null, "hello world"));
  });

  test("split right after the PUB line's LF (payload entirely in the next read)", () => {
    const all = bytes("PUB foo 11\r\nhello world\r\n");
    const { handler } = stepThrough(all, [12], [State.MSG_PAYLOAD, State.OP_START]);
    expect(handler.events).toEqual(pub("foo", null, "hello world"));
  });

  test("an empty payload split after the PUB line", () => {
    const all = bytes("PUB foo 0\r\n\r\nPING\r\n");
    const { handler } = stepThrough(all, [11, 12], [State.MSG_END_R, State.MSG_END_N, State.OP_START]);
    expect(handler.events).toEqual([...pub("foo", null, ""), { op: "ping" }]);
  });

  test("a split payload followed by garbage instead of CRLF is Unknown Protocol Operation", () => {
    for (const cut of [12, 18, 23, 24]) {
      const r = parseAll(splitAt(bytes("PUB foo 11\r\nhello worldXX"), [cut]));
      expect(r.error?.wire).toBe(ERR.unknownProtocolOperation);
      expect(r.events.filter((e) => e.op === "msg")).toEqual([]);
    }
  });
});

describe("TestSplitConnectArg", () => {
  test("CONNECT in four reads", () => {
    const json = `{"verbose":false,"tls_required":false,"user":"test","pedantic":true,"pass":"pass"}`;
    const all = bytes(`CONNECT ${json}\r\n`);
    const { parser, handler } = newParser();
    const cuts = [5, 22, all.length - 2];
    const states = [State.OP_CONNE, State.CONNECT_ARG, State.CONNECT_ARG, State.OP_START];
    splitAt(all, cuts).forEach((chunk, i) => {
      expect(feed(parser, handler, [chunk]).error).toBeNull();
      expect(parser.state).toBe(states[i]!);
      if (i < 3) expect(handler.events).toEqual([]);
    });
    expect(handler.events).toEqual([{ op: "connect", arg: json }]);
  });
});

describe("TestSplitDanglingArgBuf", () => {
  // nats-server checks that c.argBuf is nil after each op; the observable equivalent is that no bytes of a
  // split argument leak into the next op's argument, whether that op is split or whole.
  test("split ops followed by whole ops on one connection", () => {
    const { parser, handler } = newParser();
    const connect = `{"verbose":false,"tls_required":false,"user":"test","pedantic":true,"pass":"pass"}`;
    const steps: [string, number[]][] = [
      ["SUB foo 1\r\n", [6]],
      ["SUB bar 2\r\n", []],
      ["UNSUB 1024\r\n", [8]],
      ["UNSUB 5\r\n", []],
      ["PUB foo.bar INBOX.22 11\r\nhello world\r\n", [22, 25]],
      ["PUB a 1\r\nx\r\n", []],
      ["-ERR Too Long\r\n", [8]],
      ["-ERR x\r\n", []],
      [`CONNECT ${connect}\r\n`, [22]],
      ["CONNECT {}\r\n", []],
      [`INFO {"server_id":"id"}\r\n`, [8]],
      ["SUB baz 3\r\n", []],
      // PUB split in the middle of the payload, then a whole PUB.
      ["PUB foo 5\r\nhello\r\n", [14]],
      ["PUB b 2\r\nyo\r\n", []],
    ];
    for (const [op, cuts] of steps) expect(feed(parser, handler, splitAt(bytes(op), cuts)).error).toBeNull();
    expect(handler.events).toEqual([
      { op: "sub", arg: "foo 1" },
      { op: "sub", arg: "bar 2" },
      { op: "unsub", arg: "1024" },
      { op: "unsub", arg: "5" },
      ...pub("foo.bar", "INBOX.22", "hello world"),
      ...pub("a", null, "x"),
      { op: "err", arg: "Too Long" },
      { op: "err", arg: "x" },
      { op: "connect", arg: connect },
      { op: "connect", arg: "{}" },
      { op: "sub", arg: "baz 3" },
      ...pub("foo", null, "hello"),
      ...pub("b", null, "yo"),
    ]);
  });
});

describe("TestSplitBufferMsgOp / routed ops from a client", () => {
  test("RMSG split after 'RM' fails on the first read", () => {
    const all = bytes("RMSG $G foo.bar _INBOX.22 11\r\nhello world\r");
    const { parser, handler } = newParser();
    const r = feed(parser, handler, splitAt(all, [2, 9, 15, 22, 25, 37, 40]));
    expect(r.error?.wire).toBe(ERR.unknownProtocolOperation);
    expect(r.errorChunk).toBe(0);
    expect(handler.events).toEqual([]);
  });
});

// A stream with every client op, including awkward payloads, used for the exhaustive split checks below.
const STREAM = concat([
  bytes(`CONNECT {"verbose":false,"pedantic":false,"name":"splitter"}\r\n`),
  bytes("PING\r\n"),
  bytes("SUB foo.* q 1\r\n"),
  bytes("sub\tbar\t2\r\n"),
  bytes("PUB foo.bar INBOX.1 12\r\n\r\nhello\r\nxx\r\r\n"),
  bytes("PUB foo.empty 0\r\n\r\n"),
  bytes("HPUB foo.h reply 24 29\r\nNATS/1.0\r\nA: b\r\nC: d\r\n\r\nworld\r\n"),
  bytes("hpub\tfoo.h2\t12\t12\r\nNATS/1.0\r\n\r\n\r\n"),
  bytes("PUB  foo.ws   5  \r\n\n\n\n\n\n\r\n"),
  bytes("+OK\r\n"),
  bytes(`INFO {"a":1}\r\n`),
  bytes("UNSUB 1 10\r\n"),
  bytes("PONG\r\n"),
  bytes("-ERR 'boom'\r\n"),
  bytes("UNSUB 2\r\n"),
]);

const STREAM_EVENTS: ParserEvent[] = [
  { op: "connect", arg: `{"verbose":false,"pedantic":false,"name":"splitter"}` },
  { op: "ping" },
  { op: "sub", arg: "foo.* q 1" },
  { op: "sub", arg: "bar\t2" },
  ...pub("foo.bar", "INBOX.1", "\r\nhello\r\nxx\r"),
  ...pub("foo.empty", null, ""),
  ...pub("foo.h", "reply", "NATS/1.0\r\nA: b\r\nC: d\r\n\r\nworld", 24),
  ...pub("foo.h2", null, "NATS/1.0\r\n\r\n", 12),
  ...pub("foo.ws", null, "\n\n\n\n\n"),
  { op: "unsub", arg: "1 10" },
  { op: "pong" },
  { op: "err", arg: "'boom'" },
  { op: "unsub", arg: "2" },
];

describe("every split point", () => {
  test("the whole stream in one read", () => {
    const r = parseAll(STREAM);
    expect(r.error).toBeNull();
    expect(r.parser.state).toBe(State.OP_START);
    expect(r.events).toEqual(STREAM_EVENTS);
  });

  test("one-byte reads", () => {
    const r = parseAll(oneByteChunks(STREAM));
    expect(r.error).toBeNull();
    expect(r.events).toEqual(STREAM_EVENTS);
  });

  test("empty reads between every byte change nothing", () => {
    const empty = new Uint8Array(0);
    const chunks = [empty, ...oneByteChunks(STREAM).flatMap((c) => [c, empty])];
    const r = parseAll(chunks);
    expect(r.error).toBeNull();
    expect(r.events).toEqual(STREAM_EVENTS);
  });

  test("two reads, split at every offset", () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      const r = parseAll(splitAt(STREAM, [cut]));
      if (r.error !== null) throw new Error(`split at ${cut}: ${r.error.message}`);
      expect(r.events).toEqual(STREAM_EVENTS);
    }
  });

  test("three reads, both cuts at every offset of a PUB and an HPUB frame", () => {
    const frames = concat([
      bytes("PUB a.b r 7\r\n\r\n\r\n\r\n\r\r\n"),
      bytes("HPUB c r 5 9\r\nH\r\n\r\nbody\r\n"),
    ]);
    const want = [...pub("a.b", "r", "\r\n\r\n\r\n\r"), ...pub("c", "r", "H\r\n\r\nbody", 5)];
    for (let a = 1; a < frames.length; a++) {
      for (let b = a + 1; b < frames.length; b++) {
        const r = parseAll(splitAt(frames, [a, b]));
        if (r.error !== null) throw new Error(`split at ${a},${b}: ${r.error.message}`);
        expect(r.events).toEqual(want);
      }
    }
  });

  test("a payload larger than a read, in 64 KiB reads", () => {
    const payload = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) & 0xff);
    const frame = concat([bytes("PUB big 200000\r\n"), payload, bytes("\r\nPING\r\n")]);
    const cuts = [];
    for (let o = 65536; o < frame.length; o += 65536) cuts.push(o);
    const r = parseAll(splitAt(frame, cuts));
    expect(r.error).toBeNull();
    expect(r.events).toEqual([...pub("big", null, payload), { op: "ping" }]);
  });
});
