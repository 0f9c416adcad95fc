// The client protocol parser, ported from nats-server's server/parser_test.go (client connections only) plus
// the FuzzParser seeds of server/parser_fuzz_test.go. nats-server asserts its internal fields (c.as, c.drop,
// c.argBuf); here the same cases assert the public state, c.pa equivalents and the exact handler events.
import { describe, expect, test } from "bun:test";
import { ERR, ProtocolError } from "../../../src/protocol/errors.ts";
import { parseSize, State } from "../../../src/protocol/parser.ts";
import {
  bytes,
  feed,
  newParser,
  paReply,
  paSubject,
  parseAll,
  type ParserEvent,
  splitAt,
} from "../../_helpers/recording_handler.ts";

const UPO = ERR.unknownProtocolOperation;

function pubArgs(subject: string, reply: string | null, size: number, hdr = -1): ParserEvent {
  return { op: "pubArgs", subject, reply, hdr, size };
}

function msg(subject: string, reply: string | null, payload: string | Uint8Array, hdr = -1): ParserEvent {
  const p = typeof payload === "string" ? bytes(payload) : payload;
  return { op: "msg", subject, reply, hdr, size: p.length, payload: p, crlf: true };
}

/** PUB/HPUB as the handler sees it: the argument event, then the message. */
function pub(subject: string, reply: string | null, payload: string, hdr = -1): ParserEvent[] {
  return [pubArgs(subject, reply, bytes(payload).length, hdr), msg(subject, reply, payload, hdr)];
}

function expectError(r: { error: ProtocolError | null }, wire: string | null, detail?: string): ProtocolError {
  expect(r.error).toBeInstanceOf(ProtocolError);
  const e = r.error!;
  expect(e.wire).toBe(wire);
  expect(e.fatal).toBe(true);
  if (detail !== undefined) expect(e.detail ?? "").toContain(detail);
  return e;
}

describe("TestParsePing", () => {
  test("byte at a time walks OP_P, OP_PI, OP_PIN, OP_PING and back to OP_START", () => {
    const { parser, handler } = newParser();
    expect(parser.state).toBe(State.OP_START);
    const ping = bytes("PING\r\n");
    const states = [State.OP_P, State.OP_PI, State.OP_PIN, State.OP_PING, State.OP_PING, State.OP_START];
    for (let i = 0; i < ping.length; i++) {
      parser.parse(ping.subarray(i, i + 1));
      expect(parser.state).toBe(states[i]!);
    }
    expect(handler.events).toEqual([{ op: "ping" }]);
    parser.parse(ping);
    expect(parser.state).toBe(State.OP_START);
    expect(handler.events).toEqual([{ op: "ping" }, { op: "ping" }]);
  });

  test("tolerates spaces before CRLF and a lone CR", () => {
    const a = parseAll("PING  \r");
    expect(a.error).toBeNull();
    expect(a.parser.state).toBe(State.OP_PING);
    expect(a.events).toEqual([]);
    const b = parseAll("PING  \r  \n");
    expect(b.error).toBeNull();
    expect(b.parser.state).toBe(State.OP_START);
    expect(b.events).toEqual([{ op: "ping" }]);
  });

  test("is case-insensitive and accepts a bare LF", () => {
    const r = parseAll("ping\r\nPiNg\nPING\r\n");
    expect(r.error).toBeNull();
    expect(r.events).toEqual([{ op: "ping" }, { op: "ping" }, { op: "ping" }]);
  });
});

describe("TestParsePong", () => {
  test("byte at a time walks OP_P, OP_PO, OP_PON, OP_PONG and back to OP_START", () => {
    const { parser, handler } = newParser();
    const pong = bytes("PONG\r\n");
    const states = [State.OP_P, State.OP_PO, State.OP_PON, State.OP_PONG, State.OP_PONG, State.OP_START];
    for (let i = 0; i < pong.length; i++) {
      parser.parse(pong.subarray(i, i + 1));
      expect(parser.state).toBe(states[i]!);
    }
    parser.parse(pong);
    expect(parser.state).toBe(State.OP_START);
    expect(handler.events).toEqual([{ op: "pong" }, { op: "pong" }]);
  });

  test("tolerates spaces", () => {
    const a = parseAll("PONG  \r");
    expect(a.parser.state).toBe(State.OP_PONG);
    expect(a.events).toEqual([]);
    const b = parseAll("PONG  \r  \n");
    expect(b.parser.state).toBe(State.OP_START);
    expect(b.events).toEqual([{ op: "pong" }]);
  });
});

describe("TestParseConnect", () => {
  test("delivers the JSON argument without the op, the space or the CRLF", () => {
    const json = `{"verbose":false,"pedantic":true,"tls_required":false}`;
    const r = parseAll(`CONNECT ${json}\r\n`);
    expect(r.error).toBeNull();
    expect(r.parser.state).toBe(State.OP_START);
    expect(r.events).toEqual([{ op: "connect", arg: json }]);
  });

  test("skips any spaces and tabs between CONNECT and the argument; keeps UTF-8", () => {
    const json = `{"name":"héllo ✓","user":"a b"}`;
    const r = parseAll(`connect \t  ${json}\r\n`);
    expect(r.events).toEqual([{ op: "connect", arg: json }]);
  });
});

describe("TestParseSub", () => {
  test("a SUB line without its LF waits in SUB_ARG; the LF delivers the argument without the CR", () => {
    const { parser, handler } = newParser();
    parser.parse(bytes("SUB foo 1\r"));
    expect(parser.state).toBe(State.SUB_ARG);
    expect(handler.events).toEqual([]);
    parser.parse(bytes("\n"));
    expect(parser.state).toBe(State.OP_START);
    expect(handler.events).toEqual([{ op: "sub", arg: "foo 1" }]);
  });

  test("queue subscriptions, tabs and lowercase", () => {
    const r = parseAll("SUB foo bar 1\r\nsub\tfoo.*\t2\r\nSUB  >   q  3\r\n");
    expect(r.events).toEqual([
      { op: "sub", arg: "foo bar 1" },
      { op: "sub", arg: "foo.*\t2" },
      { op: "sub", arg: ">   q  3" },
    ]);
  });

  test("UNSUB with and without max", () => {
    const r = parseAll("UNSUB 1\r\nunsub 22 5\r\n");
    expect(r.events).toEqual([{ op: "unsub", arg: "1" }, { op: "unsub", arg: "22 5" }]);
  });
});

describe("TestParsePub", () => {
  test("PUB foo 5: waits in MSG_END_N with subject, no reply and size", () => {
    const r = parseAll("PUB foo 5\r\nhello\r");
    expect(r.error).toBeNull();
    expect(r.parser.state).toBe(State.MSG_END_N);
    expect(paSubject(r.parser.pa)).toBe("foo");
    expect(paReply(r.parser.pa)).toBeNull();
    expect(r.parser.pa.size).toBe(5);
    expect(r.parser.pa.hdr).toBe(-1);
    expect(r.events).toEqual([pubArgs("foo", null, 5)]);
  });

  test("PUB foo.bar INBOX.22 11: subject, reply and size", () => {
    const r = parseAll("PUB foo.bar INBOX.22 11\r\nhello world\r");
    expect(r.parser.state).toBe(State.MSG_END_N);
    expect(paSubject(r.parser.pa)).toBe("foo.bar");
    expect(paReply(r.parser.pa)).toBe("INBOX.22");
    expect(r.parser.pa.size).toBe(11);
  });

  test("a complete PUB delivers exact payload bytes followed by CRLF", () => {
    const r = parseAll("PUB foo.bar INBOX.22 11\r\nhello world\r\n");
    expect(r.error).toBeNull();
    expect(r.parser.state).toBe(State.OP_START);
    expect(r.events).toEqual(pub("foo.bar", "INBOX.22", "hello world"));
  });

  test("more payload bytes than the declared size is Unknown Protocol Operation, and nothing is delivered", () => {
    const r = parseAll("PUB foo.bar 11\r\nhello world hello world\r");
    expectError(r, UPO);
    expect(r.events).toEqual([pubArgs("foo.bar", null, 11)]);
  });

  test("payloads may contain CR, LF and CRLF, and may be empty", () => {
    const r = parseAll("PUB a 4\r\n\r\n\r\n\r\nPUB b 0\r\n\r\nPUB c 2\r\n\n\r\r\n");
    expect(r.error).toBeNull();
    expect(r.events).toEqual([...pub("a", null, "\r\n\r\n"), ...pub("b", null, ""), ...pub("c", null, "\n\r")]);
  });

  test("lowercase op and tab after the op", () => {
    const r = parseAll("pub\tfoo 2\r\nok\r\nPuB foo 0\r\n\r\n");
    expect(r.events).toEqual([...pub("foo", null, "ok"), ...pub("foo", null, "")]);
  });

  test("binary payload bytes are passed through untouched", () => {
    const payload = new Uint8Array(256).map((_, i) => i);
    const frame = new Uint8Array([...bytes("PUB bin 256\r\n"), ...payload, 13, 10]);
    const r = parseAll(frame);
    expect(r.error).toBeNull();
    expect(r.events).toEqual([pubArgs("bin", null, 256), msg("bin", null, payload)]);
  });
});

describe("TestParsePubSizeOverflow (CVE-2019-13126)", () => {
  test("a 64-digit size is a bad size: closed without -ERR", () => {
    const r = parseAll("PUB foo 3333333333333333333333333333333333333333333333333333333333333333\r\n");
    expectError(r, null, "processPub Bad or Missing Size");
    expect(r.events).toEqual([]);
  });

  test("parseSize refuses more than 9 digits, empty input and non-digits", () => {
    const ps = (s: string) => parseSize(bytes(s), 0, s.length);
    expect(ps("0")).toBe(0);
    expect(ps("999999999")).toBe(999999999);
    expect(ps("1000000000")).toBe(-1);
    expect(ps("")).toBe(-1);
    expect(ps("12a")).toBe(-1);
    expect(ps("-1")).toBe(-1);
    expect(ps("+1")).toBe(-1);
    expect(ps(" 1")).toBe(-1);
  });
});

// nats-server's table for processPub, fed through the full parser with a payload of the declared size.
const PUB_ARGS: [arg: string, subject: string, reply: string | null, size: number][] = [
  ["a 2", "a", null, 2],
  ["a 222", "a", null, 222],
  ["foo 22", "foo", null, 22],
  [" foo 22", "foo", null, 22],
  ["foo 22 ", "foo", null, 22],
  ["foo   22", "foo", null, 22],
  [" foo 22 ", "foo", null, 22],
  [" foo   22 ", "foo", null, 22],
  ["foo bar 22", "foo", "bar", 22],
  [" foo bar 22", "foo", "bar", 22],
  ["foo bar 22 ", "foo", "bar", 22],
  ["foo  bar  22", "foo", "bar", 22],
  [" foo bar 22 ", "foo", "bar", 22],
  ["  foo   bar  22  ", "foo", "bar", 22],
  ["  foo   bar  2222  ", "foo", "bar", 2222],
  ["  foo     2222  ", "foo", null, 2222],
  ["a\t2", "a", null, 2],
  ["a\t222", "a", null, 222],
  ["foo\t22", "foo", null, 22],
  ["\tfoo\t22", "foo", null, 22],
  ["foo\t22\t", "foo", null, 22],
  ["foo\t\t\t22", "foo", null, 22],
  ["\tfoo\t22\t", "foo", null, 22],
  ["\tfoo\t\t\t22\t", "foo", null, 22],
  ["foo\tbar\t22", "foo", "bar", 22],
  ["\tfoo\tbar\t22", "foo", "bar", 22],
  ["foo\tbar\t22\t", "foo", "bar", 22],
  ["foo\t\tbar\t\t22", "foo", "bar", 22],
  ["\tfoo\tbar\t22\t", "foo", "bar", 22],
  ["\t \tfoo\t \t \tbar\t \t22\t \t", "foo", "bar", 22],
  ["\t\tfoo\t\t\tbar\t\t2222\t\t", "foo", "bar", 2222],
  ["\t \tfoo\t \t \t\t\t2222\t \t", "foo", null, 2222],
];

describe("TestParsePubArg", () => {
  for (const [arg, subject, reply, size] of PUB_ARGS) {
    test(JSON.stringify(arg), () => {
      const payload = "x".repeat(size);
      const r = parseAll(`PUB ${arg}\r\n${payload}\r\n`);
      expect(r.error).toBeNull();
      expect(r.events).toEqual(pub(subject, reply, payload));
    });
  }
});

describe("TestParsePubBadSize and max_payload", () => {
  test("a 16-digit size with max_payload 32768 is a bad size (closed without -ERR)", () => {
    const r = parseAll("PUB foo 2222222222222222\r\n", { maxPayload: 32768 });
    expectError(r, null, "processPub Bad or Missing Size");
  });

  test("a size over max_payload is Maximum Payload Violation, before the payload is read", () => {
    const r = parseAll("PUB foo 32769\r\n", { maxPayload: 32768 });
    expectError(r, ERR.maxPayloadViolation);
    expect(r.events).toEqual([]);
  });

  test("a size of exactly max_payload is fine", () => {
    const payload = "p".repeat(32768);
    const r = parseAll(`PUB foo 32768\r\n${payload}\r\n`, { maxPayload: 32768 });
    expect(r.error).toBeNull();
    expect(r.events).toEqual(pub("foo", null, payload));
  });

  test("HPUB checks max_payload against the total size", () => {
    expectError(parseAll("HPUB foo 10 101\r\n", { maxPayload: 100 }), ERR.maxPayloadViolation);
    const payload = "h".repeat(100);
    const ok = parseAll(`HPUB foo 10 100\r\n${payload}\r\n`, { maxPayload: 100 });
    expect(ok.error).toBeNull();
    expect(ok.events).toEqual(pub("foo", null, payload, 10));
  });

  test("malformed PUB arguments close without -ERR", () => {
    const cases: [string, string][] = [
      ["PUB foo\r\n", "processPub Parse Error"],
      ["PUB  \r\n", "processPub Parse Error"],
      ["PUB a b c 1\r\n", "processPub Parse Error"],
      ["PUB foo bar       \r\n", "processPub Bad or Missing Size"],
      ["PUB foo -1\r\n", "processPub Bad or Missing Size"],
      ["PUB foo 1x\r\n", "processPub Bad or Missing Size"],
      ["PUB foo bar baz\r\n", "processPub Bad or Missing Size"],
    ];
    for (const [input, detail] of cases) {
      const r = parseAll(input);
      expectError(r, null, detail);
      expect(r.events).toEqual([]);
    }
  });
});

describe("TestParseHeaderPub", () => {
  test("HPUB foo 12 17", () => {
    const r = parseAll("HPUB foo 12 17\r\nname:derek\r\nHELLO\r");
    expect(r.error).toBeNull();
    expect(r.parser.state).toBe(State.MSG_END_N);
    expect(paSubject(r.parser.pa)).toBe("foo");
    expect(paReply(r.parser.pa)).toBeNull();
    expect(r.parser.pa.hdr).toBe(12);
    expect(r.parser.pa.size).toBe(17);
  });

  test("HPUB foo INBOX.22 12 17", () => {
    const r = parseAll("HPUB foo INBOX.22 12 17\r\nname:derek\r\nHELLO\r");
    expect(r.parser.state).toBe(State.MSG_END_N);
    expect(paSubject(r.parser.pa)).toBe("foo");
    expect(paReply(r.parser.pa)).toBe("INBOX.22");
    expect(r.parser.pa.hdr).toBe(12);
    expect(r.parser.pa.size).toBe(17);
  });

  test("HPUB foo INBOX.22 0 5", () => {
    const r = parseAll("HPUB foo INBOX.22 0 5\r\nHELLO\r");
    expect(r.parser.state).toBe(State.MSG_END_N);
    expect(paReply(r.parser.pa)).toBe("INBOX.22");
    expect(r.parser.pa.hdr).toBe(0);
    expect(r.parser.pa.size).toBe(5);
  });

  test("a complete HPUB delivers headers and body as one payload of the total size", () => {
    const hdrs = "NATS/1.0\r\nname: derek\r\n\r\n";
    const payload = `${hdrs}HELLO`;
    const r = parseAll(`HPUB foo INBOX.22 ${hdrs.length} ${payload.length}\r\n${payload}\r\nhpub bar 0 0\r\n\r\n`);
    expect(r.error).toBeNull();
    expect(r.events).toEqual([...pub("foo", "INBOX.22", payload, hdrs.length), ...pub("bar", null, "", 0)]);
  });

  test("a PUB after an HPUB has hdr -1 again", () => {
    const r = parseAll("HPUB a 2 3\r\nxyz\r\nPUB b 1\r\nq\r\n");
    expect(r.events).toEqual([...pub("a", null, "xyz", 2), ...pub("b", null, "q")]);
  });
});

const HPUB_ARGS: [arg: string, subject: string, reply: string | null, hdr: number, size: number][] = [
  ["a 2 4", "a", null, 2, 4],
  ["a 22 222", "a", null, 22, 222],
  ["foo 3 22", "foo", null, 3, 22],
  [" foo   1 22", "foo", null, 1, 22],
  ["foo 0   22 ", "foo", null, 0, 22],
  ["foo  0     22", "foo", null, 0, 22],
  [" foo 1 22 ", "foo", null, 1, 22],
  [" foo   3 22 ", "foo", null, 3, 22],
  ["foo bar 1 22", "foo", "bar", 1, 22],
  [" foo bar 11 22", "foo", "bar", 11, 22],
  ["foo bar 11 22 ", "foo", "bar", 11, 22],
  ["foo  bar  11  22", "foo", "bar", 11, 22],
  [" foo bar  11 22 ", "foo", "bar", 11, 22],
  ["  foo   bar  11   22  ", "foo", "bar", 11, 22],
  ["  foo   bar  22   2222  ", "foo", "bar", 22, 2222],
  ["  foo 1    2222  ", "foo", null, 1, 2222],
  ["a\t2\t22", "a", null, 2, 22],
  ["a\t2\t\t222", "a", null, 2, 222],
  ["foo\t2 22", "foo", null, 2, 22],
  ["\tfoo\t11\t  22", "foo", null, 11, 22],
  ["foo\t11\t22\t", "foo", null, 11, 22],
  ["foo\t\t\t11 22", "foo", null, 11, 22],
  ["\tfoo\t11\t \t 22\t", "foo", null, 11, 22],
  ["\tfoo\t\t\t11 22\t", "foo", null, 11, 22],
  ["foo\tbar\t2 22", "foo", "bar", 2, 22],
  ["\tfoo\tbar\t11\t22", "foo", "bar", 11, 22],
  ["foo\tbar\t11\t\t22\t ", "foo", "bar", 11, 22],
  ["foo\t\tbar\t\t11\t\t\t22", "foo", "bar", 11, 22],
  ["\tfoo\tbar\t11\t22\t", "foo", "bar", 11, 22],
  ["\t \tfoo\t \t \tbar\t \t11\t 22\t \t", "foo", "bar", 11, 22],
  ["\t\tfoo\t\t\tbar\t\t22\t\t\t2222\t\t", "foo", "bar", 22, 2222],
  ["\t \tfoo\t \t \t\t\t11\t\t 2222\t \t", "foo", null, 11, 2222],
];

describe("TestParseHeaderPubArg", () => {
  for (const [arg, subject, reply, hdr, size] of HPUB_ARGS) {
    test(JSON.stringify(arg), () => {
      const payload = "y".repeat(size);
      const r = parseAll(`HPUB ${arg}\r\n${payload}\r\n`);
      expect(r.error).toBeNull();
      expect(r.events).toEqual(pub(subject, reply, payload, hdr));
    });
  }
});

describe("HPUB argument errors (nats-server processHeaderPub: closed without -ERR)", () => {
  const cases: [string, string][] = [
    ["HPUB foo 10 8\r\n", "processHeaderPub Header Size larger then TotalSize"],
    ["HPUB foo bar 10 8\r\n", "processHeaderPub Header Size larger then TotalSize"],
    ["HPUB foo 5\r\n", "processHeaderPub Parse Error"],
    ["HPUB foo\r\n", "processHeaderPub Parse Error"],
    ["HPUB a b c 1 2\r\n", "processHeaderPub Parse Error"],
    ["HPUB foo x 5\r\n", "processHeaderPub Bad or Missing Header Size"],
    ["HPUB foo 1 x\r\n", "processHeaderPub Bad or Missing Total Size"],
    ["HPUB foo bar 1 x\r\n", "processHeaderPub Bad or Missing Total Size"],
    ["HPUB foo 1234567890 1234567890\r\n", "processHeaderPub Bad or Missing Header Size"],
  ];
  for (const [input, detail] of cases) {
    test(JSON.stringify(input), () => {
      const r = parseAll(input);
      expectError(r, null, detail);
      expect(r.events).toEqual([]);
    });
  }
});

describe("TestParseMsgSpace and other non-client ops: Unknown Protocol Operation for a client", () => {
  const inputs = [
    "M",
    "MSG foo 1 5\r\nhello\r\n",
    "MSG \r\n",
    "HMSG foo 1 0 5\r\nhello\r\n",
    "RMSG $G foo.bar INBOX.22 11\r\nhello world\r\n",
    "RS+ $G foo\r\n",
    "RS- $G foo\r\n",
    "LS+ $G foo\r\n",
    "LS- $G foo\r\n",
    "LMSG foo + bar baz 11\r\nhello world\r\n",
    "A+ foo\r\n",
    "A- foo\r\n",
  ];
  for (const input of inputs) {
    test(JSON.stringify(input), () => {
      const r = parseAll(input);
      expectError(r, UPO);
      expect(r.events).toEqual([]);
    });
  }

  test("the error detail names the parser state and offset, with a snippet of the input", () => {
    const r = parseAll("PING\r\nRMSG $G foo 5\r\n");
    const e = expectError(r, UPO, "client parser ERROR");
    expect(e.detail).toContain("i=6");
    expect(e.detail).toContain("RMSG $G foo");
    expect(r.events).toEqual([{ op: "ping" }]);
  });
});

describe("TestShouldFail", () => {
  // Everything nats-server rejects in its parser loop: Unknown Protocol Operation.
  const unknownOp = [
    "xxx",
    "Px",
    "PIx",
    "PINx",
    " PING",
    "POx",
    "PONx",
    "+x",
    "+Ox",
    "-x",
    "-Ex",
    "-ERx",
    "-ERRx",
    "Cx",
    "COx",
    "CONx",
    "CONNx",
    "CONNEx",
    "CONNECx",
    "PUx",
    "Sx",
    "SUx",
    "SUB\r\n",
    "Ux",
    "UNx",
    "UNSx",
    "UNSUx",
    "UNSUBx",
    "UNSUBUNSUB 1\r\n",
    "UNSUB_2\r\n",
    "UNSUB_UNSUB_UNSUB 2\r\n",
    "UNSUB_\t2\r\n",
    "UNSUB\r\n",
    "Ix",
    "INx",
    "INFx",
    "HPx",
    "HPUx",
    "HPUBx",
    "PUBx",
    "\r\n",
    "\x00",
  ];
  for (const input of unknownOp) {
    test(`${JSON.stringify(input)} -> Unknown Protocol Operation`, () => {
      const r = parseAll(input);
      expectError(r, UPO);
      expect(r.events).toEqual([]);
    });
  }

  // A payload not followed by exactly CRLF: the arguments were accepted, the message is not delivered.
  for (const input of ["PUB foo 2\r\nok \r\n", "PUB foo 2\r\nok\r \n"]) {
    test(`${JSON.stringify(input)} -> Unknown Protocol Operation`, () => {
      const r = parseAll(input);
      expectError(r, UPO);
      expect(r.events).toEqual([pubArgs("foo", null, 2)]);
    });
  }

  // Malformed PUB arguments: nats-server's processPub returns an error, the connection is closed, no -ERR.
  for (const input of ["PUB foo\r\n", "PUB  \r\n", "PUB foo bar       \r\n"]) {
    test(`${JSON.stringify(input)} -> closed without -ERR`, () => {
      expectError(parseAll(input), null);
    });
  }

  // nats-server rejects these in processSub/processUnsub/processConnect, which here is the Client's job: the
  // parser's part is to hand over the exact argument.
  const delegated: [string, ParserEvent][] = [
    ["CONNECT \r\n", { op: "connect", arg: "" }],
    ["SUB  \r\n", { op: "sub", arg: "" }],
    ["SUB foo\r\n", { op: "sub", arg: "foo" }],
    ["SUB foo bar baz 22\r\n", { op: "sub", arg: "foo bar baz 22" }],
    ["UNSUB \r\n", { op: "unsub", arg: "" }],
    ["UNSUB          \t       \r\n", { op: "unsub", arg: "" }],
  ];
  for (const [input, event] of delegated) {
    test(`${JSON.stringify(input)} -> argument handed to the client`, () => {
      const r = parseAll(input);
      expect(r.error).toBeNull();
      expect(r.events).toEqual([event]);
    });
  }

  // nats-server's processInfo json.Unmarshal's a client's INFO and returns the error: the connection is
  // closed (ProtocolViolation) without -ERR.
  test(`"INFO  \\r\\n" -> closed without -ERR (invalid INFO JSON)`, () => {
    expectError(parseAll("INFO  \r\n"), null);
  });
  test(`"INFO {not json}\\r\\n" -> closed without -ERR`, () => {
    expectError(parseAll("INFO {not json}\r\n"), null);
  });
  test("a client's valid INFO is ignored", () => {
    const r = parseAll(`INFO {"server_id":"id"}\r\nPING\r\n`);
    expect(r.error).toBeNull();
    expect(r.events).toEqual([{ op: "ping" }]);
  });
});

describe("TestParseOK", () => {
  test("+OK walks OP_PLUS, OP_PLUS_O, OP_PLUS_OK and is otherwise ignored", () => {
    const { parser, handler } = newParser();
    const ok = bytes("+OK\r\n");
    const states = [State.OP_PLUS, State.OP_PLUS_O, State.OP_PLUS_OK, State.OP_PLUS_OK, State.OP_START];
    for (let i = 0; i < ok.length; i++) {
      parser.parse(ok.subarray(i, i + 1));
      expect(parser.state).toBe(states[i]!);
    }
    expect(handler.events).toEqual([]);
  });
});

describe("-ERR from a client", () => {
  test("is handed to processErr without the op and the CRLF", () => {
    const r = parseAll("-ERR 'Too Long'\r\n");
    expect(r.error).toBeNull();
    expect(r.events).toEqual([{ op: "err", arg: "'Too Long'" }]);
  });
});

describe("TestMaxControlLine (client)", () => {
  const pubOp = bytes("PUB foo.bar.baz 2\r\nok\r\n");

  test("a partial line longer than max_control_line is refused", () => {
    const { parser, handler } = newParser({ maxControlLine: 8 });
    const r = feed(parser, handler, [pubOp.subarray(0, 14)]);
    expectError(r, ERR.maxControlLine);
  });

  test("a complete line longer than max_control_line is refused too (no split)", () => {
    const r = parseAll(pubOp, { maxControlLine: 8 });
    expectError(r, ERR.maxControlLine);
    expect(r.events).toEqual([]);
  });

  test("applies to every client control line, complete or split", () => {
    for (const line of ["SUB foo.bar 1\r\n", "UNSUB 123456789\r\n", `CONNECT {"verbose":false}\r\n`, "-ERR 'too long'\r\n"]) {
      expectError(parseAll(line, { maxControlLine: 8 }), ERR.maxControlLine);
      const b = bytes(line);
      expectError(parseAll(splitAt(b, [b.length - 4]), { maxControlLine: 8 }), ERR.maxControlLine);
    }
  });

  test("an argument of exactly max_control_line bytes is accepted, split anywhere", () => {
    // The argument (after the op and its spaces, without the CRLF) is what nats-server measures.
    const exact = bytes("SUB foo.ba 1\r\n"); // "foo.ba 1" = 8 bytes
    for (let cut = 0; cut <= exact.length; cut++) {
      const r = parseAll(splitAt(exact, [cut]), { maxControlLine: 8 });
      expect(r.error).toBeNull();
      expect(r.events).toEqual([{ op: "sub", arg: "foo.ba 1" }]);
    }
  });

  test("an argument one byte over max_control_line is refused, split anywhere", () => {
    const over = bytes("SUB foo.bar 1\r\n"); // "foo.bar 1" = 9 bytes
    for (let cut = 0; cut <= over.length; cut++) {
      const r = parseAll(splitAt(over, [cut]), { maxControlLine: 8 });
      expectError(r, ERR.maxControlLine);
      expect(r.events).toEqual([]);
    }
  });
});

describe("Authorization Violation before CONNECT", () => {
  for (const first of ["PING\r\n", "PONG\r\n", "SUB foo 1\r\n", "UNSUB 1\r\n", "PUB foo 0\r\n\r\n", "HPUB foo 0 0\r\n\r\n", "+OK\r\n", "-ERR 'x'\r\n", "INFO {}\r\n", "xyz"]) {
    test(`${JSON.stringify(first)} as the first op`, () => {
      const r = parseAll(first, { awaitingConnect: true });
      expectError(r, ERR.authorizationViolation);
      expect(r.events).toEqual([]);
    });
  }

  test("CONNECT first (any case), then other ops once the client has cleared awaitingConnect", () => {
    const r = parseAll("connect {}\r\nPING\r\nSUB foo 1\r\n", { awaitingConnect: true });
    expect(r.error).toBeNull();
    expect(r.events).toEqual([{ op: "connect", arg: "{}" }, { op: "ping" }, { op: "sub", arg: "foo 1" }]);
  });

  test("CONNECT split byte by byte is still allowed", () => {
    const b = bytes("CONNECT {}\r\nPING\r\n");
    const r = parseAll(splitAt(b, Array.from(b.keys())), { awaitingConnect: true });
    expect(r.error).toBeNull();
    expect(r.events).toEqual([{ op: "connect", arg: "{}" }, { op: "ping" }]);
  });

  test("while still awaiting CONNECT (not yet authenticated), the next op is refused", () => {
    const { parser, handler } = newParser({ awaitingConnect: true });
    handler.onConnect = null; // the client did not accept the CONNECT
    const r = feed(parser, handler, [bytes("CONNECT {}\r\nPING\r\n")]);
    expectError(r, ERR.authorizationViolation);
    expect(r.events).toEqual([{ op: "connect", arg: "{}" }]);
  });

  test("a first op that starts with C but is not CONNECT is Unknown Protocol Operation", () => {
    expectError(parseAll("CX\r\n", { awaitingConnect: true }), UPO);
  });
});

describe("deviations from nats-server's processPub tokenizer", () => {
  // nats-server splits PUB/HPUB arguments on space and tab only: a CR inside the line is part of a token,
  // so "foo\r5" is a single token and processPub fails with a Parse Error (closed without -ERR).
  test("a CR inside the PUB arguments is not a separator", () => {
    expectError(parseAll("PUB foo\r5\r\nhello\r\n"), null, "processPub Parse Error");
    expectError(parseAll(["PUB fo", "o\r5\r\nhello\r\n"].map(bytes)), null, "processPub Parse Error");
  });
});

describe("FuzzParser seeds (CLIENT), whole and fed in two halves", () => {
  type Outcome = { events: ParserEvent[]; wire?: string | null; state?: State };
  const seeds: [string, Outcome][] = [
    ["PING\r\n", { events: [{ op: "ping" }], state: State.OP_START }],
    ["PONG\r\n", { events: [{ op: "pong" }], state: State.OP_START }],
    ["PUB foo 33333\r\n", { events: [pubArgs("foo", null, 33333)], state: State.MSG_PAYLOAD }],
    ["HPUB foo INBOX.22 0 5\r\nHELLO\r", { events: [pubArgs("foo", "INBOX.22", 5, 0)], state: State.MSG_END_N }],
    ["HMSG $foo foo 10 8\r\nXXXhello\r", { events: [], wire: UPO }],
    ["MSG $foo foo 5\r\nhello\r", { events: [], wire: UPO }],
    ["SUB foo 1\r\nSUB foo 2\r\n", { events: [{ op: "sub", arg: "foo 1" }, { op: "sub", arg: "foo 2" }], state: State.OP_START }],
    ["UNSUB 1 5\r\n", { events: [{ op: "unsub", arg: "1 5" }], state: State.OP_START }],
    ["RMSG $G foo.bar | baz 11\r\nhello world\r", { events: [], wire: UPO }],
    [
      `CONNECT {"verbose":false,"pedantic":true,"tls_required":false}\r\n`,
      { events: [{ op: "connect", arg: `{"verbose":false,"pedantic":true,"tls_required":false}` }], state: State.OP_START },
    ],
  ];
  for (const [seed, want] of seeds) {
    test(JSON.stringify(seed), () => {
      const b = bytes(seed);
      for (const chunks of [[b], splitAt(b, [b.length >> 1])]) {
        const r = parseAll(chunks);
        expect(r.events).toEqual(want.events);
        if (want.wire !== undefined) expectError(r, want.wire);
        else {
          expect(r.error).toBeNull();
          expect(r.parser.state).toBe(want.state!);
        }
      }
    });
  }
});
