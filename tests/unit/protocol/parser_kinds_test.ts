// The parser serves one connection kind, as nats-server's does (server/parser.go): a client may not send a
// route's or a leaf node's ops, a route's RS+/RS-/RMSG and a leaf's LS+/LS-/LMSG reach the handler as
// subscriptions and messages with their account, reply and queue groups, whichever way the reads split.
import { describe, expect, test } from "bun:test";
import { ERR } from "../../../src/protocol/errors.ts";
import { Kind } from "../../../src/protocol/kind.ts";
import { bytes, feed, newParser, oneByteChunks, parseAll, type ParserEvent, splitAt } from "../../_helpers/recording_handler.ts";

const msgs = (events: ParserEvent[]) => events.filter((e) => e.op !== "pubArgs");

describe("a client connection", () => {
  // Each of these answered -ERR 'Unknown Protocol Operation' from nats-server 2.9.10 on a client connection.
  for (const op of ["RS+ foo\r\n", "RS- foo\r\n", "LS+ foo\r\n", "LS- foo\r\n", "RMSG $G foo 2\r\nhi\r\n", "LMSG foo 2\r\nhi\r\n", "HMSG foo 1 2 2\r\n", "A+ foo\r\n"]) {
    test(`refuses ${JSON.stringify(op.split(" ")[0])}`, () => {
      const r = parseAll(op);
      expect(r.error?.wire).toBe(ERR.unknownProtocolOperation);
      expect(r.error?.fatal).toBe(true);
      expect(r.error?.detail).toStartWith("client parser ERROR");
      expect(r.events).toEqual([]);
    });
  }

  test("checks INFO is JSON and hands nothing on", () => {
    expect(parseAll('INFO {"server_id":"x"}\r\nPING\r\n').events).toEqual([{ op: "ping" }]);
    expect(parseAll("INFO nope\r\n").error?.detail).toContain("INFO argument is not JSON");
  });
});

describe("a route connection", () => {
  const route = { kind: Kind.ROUTER };
  test("RS+ and RS- are its subscriptions, LS+ is not its op", () => {
    expect(parseAll("RS+ $G foo\r\nRS+ $G bar q 1\r\nRS- $G foo\r\n", route).events).toEqual([
      { op: "sub", arg: "$G foo" },
      { op: "sub", arg: "$G bar q 1" },
      { op: "unsub", arg: "$G foo" },
    ]);
    const r = parseAll("LS+ foo\r\n", route);
    expect(r.error?.wire).toBe(ERR.unknownProtocolOperation);
    expect(r.error?.detail).toStartWith("router parser ERROR");
  });

  test("its INFO is handed to the connection", () => {
    expect(parseAll('INFO {"server_id":"NB","cluster":"c1"}\r\n', route).events).toEqual([{ op: "info", info: { server_id: "NB", cluster: "c1" } }]);
  });

  test("RMSG carries the account, the reply and queue groups", () => {
    const hdr = "NATS/1.0\r\n\r\n";
    const r = parseAll(
      "RMSG $G foo 5\r\nhello\r\n" +
        "RMSG $G foo _INBOX.1 2\r\nhi\r\n" +
        "RMSG ACC foo + _INBOX.2 q1 q2 3\r\nabc\r\n" +
        "RMSG ACC foo | q1 0\r\n\r\n" +
        `HMSG $G foo ${hdr.length} ${hdr.length + 2}\r\n${hdr}hi\r\n` +
        `HMSG $G foo + r q ${hdr.length} ${hdr.length}\r\n${hdr}\r\n`,
      route,
    );
    expect(r.error).toBeNull();
    const b = bytes;
    expect(msgs(r.events)).toEqual([
      { op: "msg", subject: "foo", reply: null, account: "$G", hdr: -1, size: 5, payload: b("hello"), crlf: true },
      { op: "msg", subject: "foo", reply: "_INBOX.1", account: "$G", hdr: -1, size: 2, payload: b("hi"), crlf: true },
      { op: "msg", subject: "foo", reply: "_INBOX.2", account: "ACC", queues: ["q1", "q2"], hdr: -1, size: 3, payload: b("abc"), crlf: true },
      { op: "msg", subject: "foo", reply: null, account: "ACC", queues: ["q1"], hdr: -1, size: 0, payload: b(""), crlf: true },
      { op: "msg", subject: "foo", reply: null, account: "$G", hdr: hdr.length, size: hdr.length + 2, payload: b(hdr + "hi"), crlf: true },
      { op: "msg", subject: "foo", reply: "r", account: "$G", queues: ["q"], hdr: hdr.length, size: hdr.length, payload: b(hdr), crlf: true },
    ]);
  });

  test("an RMSG naming many queue groups, then a plain one: every group, and none left over", () => {
    const groups = Array.from({ length: 40 }, (_, i) => `g${i}`);
    const r = parseAll(`RMSG $G foo + _INBOX.3 ${groups.join(" ")} 2\r\nhi\r\nRMSG $G foo 2\r\nho\r\n`, route);
    expect(r.error).toBeNull();
    expect(msgs(r.events)).toEqual([
      { op: "msg", subject: "foo", reply: "_INBOX.3", account: "$G", queues: groups, hdr: -1, size: 2, payload: bytes("hi"), crlf: true },
      { op: "msg", subject: "foo", reply: null, account: "$G", hdr: -1, size: 2, payload: bytes("ho"), crlf: true },
    ]);
  });

  test("the same events however the reads split, and nothing kept points into an old read", () => {
    const stream = bytes("RS+ $G foo\r\nRMSG ACC foo + _INBOX.2 q1 q2 3\r\nabc\r\nHMSG $G foo | q 12 14\r\nNATS/1.0\r\n\r\nhi\r\nRMSG $G foo 0\r\n\r\n");
    const whole = parseAll(stream, route).events;
    expect(whole.length).toBeGreaterThan(4);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parseAll(splitAt(stream, [cut]), route).events).toEqual(whole);
    }
    const { parser, handler } = newParser(route);
    expect(feed(parser, handler, oneByteChunks(stream)).events).toEqual(whole);
  });

  test("a malformed RMSG is a protocol error in nats-server's words", () => {
    expect(parseAll("RMSG $G foo\r\n", route).error?.detail).toBe('processRoutedMsgArgs Parse Error: "$G foo"');
    expect(parseAll("RMSG $G foo x q 5\r\n", route).error?.detail).toBe("processRoutedMsgArgs Bad or Missing Reply Indicator");
    expect(parseAll("RMSG $G foo five\r\n", route).error?.detail).toBe('processRoutedMsgArgs Bad or Missing Size: "$G foo five"');
    expect(parseAll("HMSG $G foo 9 5\r\n", route).error?.detail).toBe('processRoutedHeaderMsgArgs Header Size larger then TotalSize: "$G foo 9 5"');
    expect(parseAll("RMSG $G foo 2000000\r\n", route).error?.wire).toBe(ERR.maxPayloadViolation);
  });
});

describe("a leaf node connection", () => {
  const leaf = { kind: Kind.LEAF };
  test("LS+ and LS- are its subscriptions; LMSG has no account", () => {
    const r = parseAll("LS+ foo\r\nLS+ bar q 1\r\nLS- foo\r\nLMSG foo + _R_.x grp 2\r\nhi\r\nLMSG foo 0\r\n\r\n", leaf);
    expect(r.error).toBeNull();
    expect(msgs(r.events)).toEqual([
      { op: "sub", arg: "foo" },
      { op: "sub", arg: "bar q 1" },
      { op: "unsub", arg: "foo" },
      { op: "msg", subject: "foo", reply: "_R_.x", queues: ["grp"], hdr: -1, size: 2, payload: bytes("hi"), crlf: true },
      { op: "msg", subject: "foo", reply: null, hdr: -1, size: 0, payload: bytes(""), crlf: true },
    ]);
    expect(parseAll("LMSG foo\r\n", leaf).error?.detail).toBe('processLeafMsgArgs Parse Error: "foo"');
  });

  test("its INFO is handed to the connection", () => {
    expect(parseAll('INFO {"leafnode":true}\r\n', leaf).events).toEqual([{ op: "info", info: { leafnode: true } }]);
  });
});
