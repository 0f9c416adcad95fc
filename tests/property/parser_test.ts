// Property tests for the client protocol parser.
//  (a) chunk-split invariance: a random valid stream yields exactly the events of its model, whether parsed
//      whole, split at random offsets or one byte at a time;
//  (b) random bytes, protocol-token soup and mutated valid streams only ever raise ProtocolError, the events
//      before it are well formed, and the outcome does not depend on how the input was split;
//  (c) max_control_line: an unterminated control line fed in chunks is refused on exactly the read that
//      takes it past the limit, and a terminated line is refused iff its argument is longer than the limit.
// Seeds are fixed so a run is reproducible; FC_SEED=<n> explores others, FC_RUNS_SCALE=<k> runs k times more.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ERR } from "../../src/protocol/errors.ts";
import { State } from "../../src/protocol/parser.ts";
import {
  bytes,
  concat,
  feed,
  type FeedResult,
  newParser,
  oneByteChunks,
  type ParserEvent,
  type ParserOptions,
  splitAt,
} from "../_helpers/recording_handler.ts";

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x6e617473;
const RUNS_SCALE = Number(process.env.FC_RUNS_SCALE ?? 1);
const params = (salt: number, numRuns: number): fc.Parameters<unknown> => ({
  seed: SEED + salt,
  numRuns: Math.ceil(numRuns * RUNS_SCALE),
});

const decoder = new TextDecoder();

// ---- a model of valid client protocol --------------------------------------------------------------------

interface Frame {
  wire: Uint8Array;
  events: ParserEvent[];
}

const WORD_CHARS = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-$"];
const word = fc.string({ unit: fc.constantFrom(...WORD_CHARS), minLength: 1, maxLength: 8 });
const subject = fc.array(fc.oneof(word, fc.constantFrom("*", ">")), { minLength: 1, maxLength: 4 }).map((t) =>
  t.join(".")
);
const literalSubject = fc.array(word, { minLength: 1, maxLength: 4 }).map((t) => t.join("."));
const sep = fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 });
const trailingWs = fc.oneof({ weight: 4, arbitrary: fc.constant("") }, { weight: 1, arbitrary: sep });
/** Control lines end in CRLF; nats-server also takes a bare LF. */
const eol = fc.oneof({ weight: 6, arbitrary: fc.constant("\r\n") }, { weight: 1, arbitrary: fc.constant("\n") });
const sid = fc.nat({ max: 99999 }).map(String);

function opName(name: string): fc.Arbitrary<string> {
  return fc.constantFrom(name, name.toLowerCase(), name[0] + name.slice(1).toLowerCase());
}

/** Payloads: often empty or CR/LF-heavy, sometimes binary, now and then bigger than a typical read. */
const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  {
    weight: 4,
    arbitrary: fc.array(fc.constantFrom(13, 10, 13, 10, 32, 9, 65, 0), { maxLength: 40 }).map((a) =>
      Uint8Array.from(a)
    ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 500, maxLength: 5000 }) },
);

const pubFrame: fc.Arbitrary<Frame> = fc
  .record({
    op: opName("PUB"),
    s1: sep,
    subject: literalSubject,
    reply: fc.option(fc.tuple(sep, literalSubject), { nil: null }),
    s2: sep,
    tail: trailingWs,
    eol,
    payload,
  })
  .map(({ op, s1, subject, reply, s2, tail, eol, payload }) => {
    const size = payload.length;
    const line = `${op}${s1}${subject}${reply ? reply[0] + reply[1] : ""}${s2}${size}${tail}${eol}`;
    const r = reply ? reply[1] : null;
    return {
      wire: concat([bytes(line), payload, bytes("\r\n")]),
      events: [
        { op: "pubArgs", subject, reply: r, hdr: -1, size },
        { op: "msg", subject, reply: r, hdr: -1, size, payload, crlf: true },
      ],
    };
  });

const hpubFrame: fc.Arbitrary<Frame> = fc
  .record({
    op: opName("HPUB"),
    s1: sep,
    subject: literalSubject,
    reply: fc.option(fc.tuple(sep, literalSubject), { nil: null }),
    s2: sep,
    s3: sep,
    tail: trailingWs,
    eol,
    payload,
    hdrFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ op, s1, subject, reply, s2, s3, tail, eol, payload, hdrFrac }) => {
    const size = payload.length;
    const hdr = Math.floor(hdrFrac * size);
    const line = `${op}${s1}${subject}${reply ? reply[0] + reply[1] : ""}${s2}${hdr}${s3}${size}${tail}${eol}`;
    const r = reply ? reply[1] : null;
    return {
      wire: concat([bytes(line), payload, bytes("\r\n")]),
      events: [
        { op: "pubArgs", subject, reply: r, hdr, size },
        { op: "msg", subject, reply: r, hdr, size, payload, crlf: true },
      ],
    };
  });

/** Lines whose argument the parser hands over verbatim (up to, not including, the CR before the LF). */
function argLine(name: string, kind: "sub" | "unsub" | "connect" | "err", arg: fc.Arbitrary<string>) {
  return fc.record({ op: opName(name), s: sep, arg, tail: trailingWs, eol }).map(({ op, s, arg, tail, eol }): Frame => {
    const text = arg + tail;
    // The handler gets the argument as decoded UTF-8.
    const expected = decoder.decode(bytes(text));
    return { wire: bytes(`${op}${s}${text}${eol}`), events: [{ op: kind, arg: expected }] };
  });
}

const subFrame = argLine(
  "SUB",
  "sub",
  fc.tuple(subject, fc.option(fc.tuple(sep, word), { nil: null }), sep, sid).map(([s, q, s2, id]) =>
    `${s}${q ? q[0] + q[1] : ""}${s2}${id}`
  ),
);
const unsubFrame = argLine(
  "UNSUB",
  "unsub",
  fc.tuple(sid, fc.option(fc.tuple(sep, fc.nat({ max: 1000 })), { nil: null })).map(([id, m]) =>
    `${id}${m ? m[0] + m[1] : ""}`
  ),
);
const connectFrame = argLine(
  "CONNECT",
  "connect",
  fc.record({
    verbose: fc.boolean(),
    pedantic: fc.boolean(),
    name: fc.string({ maxLength: 20 }),
    user: fc.option(fc.string({ unit: "grapheme", maxLength: 10 }), { nil: undefined }),
    protocol: fc.constantFrom(0, 1),
  }).map((o) => JSON.stringify(o)),
);
const errFrame = argLine(
  "-ERR",
  "err",
  fc.string({ unit: fc.constantFrom(...WORD_CHARS, " ", "'", "\t"), minLength: 1, maxLength: 30 })
    .filter((s) => s[0] !== " " && s[0] !== "\t"),
);
const pingFrame = fc.tuple(opName("PING"), trailingWs, eol).map(([op, t, e]): Frame => ({
  wire: bytes(op + t + e),
  events: [{ op: "ping" }],
}));
const pongFrame = fc.tuple(opName("PONG"), trailingWs, eol).map(([op, t, e]): Frame => ({
  wire: bytes(op + t + e),
  events: [{ op: "pong" }],
}));
const okFrame = fc.constantFrom("+OK\r\n", "+ok\r\n", "+OK\n").map((s): Frame => ({ wire: bytes(s), events: [] }));
const infoFrame = fc
  .record({ server_id: word, port: fc.nat({ max: 65535 }) })
  .map((o): Frame => ({ wire: bytes(`INFO ${JSON.stringify(o)}\r\n`), events: [] }));

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: pubFrame },
  { weight: 3, arbitrary: hpubFrame },
  { weight: 3, arbitrary: subFrame },
  { weight: 2, arbitrary: unsubFrame },
  { weight: 2, arbitrary: pingFrame },
  { weight: 2, arbitrary: pongFrame },
  { weight: 1, arbitrary: connectFrame },
  { weight: 1, arbitrary: errFrame },
  { weight: 1, arbitrary: okFrame },
  { weight: 1, arbitrary: infoFrame },
);

const stream = fc.array(frame, { minLength: 1, maxLength: 25 }).map((frames) => ({
  wire: concat(frames.map((f) => f.wire)),
  events: frames.flatMap((f) => f.events),
}));

/** Random cut points, turned into offsets inside a buffer of length n by the caller. */
const cutSeeds = fc.array(fc.nat(), { maxLength: 24 });
const cutsFor = (seeds: number[], n: number) => seeds.map((s) => s % (n + 1));

function run(chunks: Uint8Array[], opts: ParserOptions = {}): FeedResult & { state: State } {
  const { parser, handler } = newParser(opts);
  const r = feed(parser, handler, chunks);
  return { ...r, state: parser.state };
}

// ---- (a) split invariance ------------------------------------------------------------------------------

describe("(a) chunk-split invariance of valid streams", () => {
  test("whole, randomly split and one-byte reads all yield the model's events", () => {
    fc.assert(
      fc.property(stream, cutSeeds, ({ wire, events }, seeds) => {
        const whole = run([wire]);
        expect(whole.error).toBeNull();
        expect(whole.state).toBe(State.OP_START);
        expect(whole.events).toEqual(events);

        const split = run(splitAt(wire, cutsFor(seeds, wire.length)));
        expect(split.error).toBeNull();
        expect(split.state).toBe(State.OP_START);
        expect(split.events).toEqual(events);

        const bytewise = run(oneByteChunks(wire));
        expect(bytewise.error).toBeNull();
        expect(bytewise.events).toEqual(events);
      }),
      params(1, 300),
    );
  });

  test("with auth required, CONNECT first then anything: same events however it is split", () => {
    fc.assert(
      fc.property(connectFrame, stream, cutSeeds, (connect, { wire, events }, seeds) => {
        const all = concat([connect.wire, wire]);
        const want = [...connect.events, ...events];
        const r = run(splitAt(all, cutsFor(seeds, all.length)), { awaitingConnect: true });
        expect(r.error).toBeNull();
        expect(r.events).toEqual(want);
      }),
      params(2, 200),
    );
  });
});

// ---- (b) garbage in: only ProtocolError, well-formed events, split-independent outcome -----------------

const WIRES = new Set<string | null>([
  null,
  ERR.unknownProtocolOperation,
  ERR.maxPayloadViolation,
  ERR.maxControlLine,
  ERR.authorizationViolation,
]);

/** Invariants of whatever the parser delivered before it stopped. */
function checkWellFormed(r: FeedResult, opts: ParserOptions): void {
  if (r.error !== null) {
    expect(r.error.fatal).toBe(true);
    expect(WIRES.has(r.error.wire)).toBe(true);
  }
  const maxPayload = opts.maxPayload ?? 1024 * 1024;
  let lastPubArgs: ParserEvent | null = null;
  r.events.forEach((e, i) => {
    if (opts.awaitingConnect && i === 0) expect(e.op).toBe("connect");
    if (e.op === "msg") {
      expect(lastPubArgs).not.toBeNull();
      const { op: _a, ...args } = lastPubArgs as Extract<ParserEvent, { op: "pubArgs" }>;
      expect({ subject: e.subject, reply: e.reply, hdr: e.hdr, size: e.size }).toEqual(args);
      expect(e.payload.length).toBe(e.size);
      expect(e.crlf).toBe(true);
      lastPubArgs = null;
    } else if (e.op === "pubArgs") {
      expect(lastPubArgs).toBeNull();
      expect(e.size).toBeGreaterThanOrEqual(0);
      expect(e.size).toBeLessThanOrEqual(maxPayload);
      expect(e.hdr).toBeGreaterThanOrEqual(-1);
      expect(e.hdr).toBeLessThanOrEqual(e.size);
      expect(e.subject.length).toBeGreaterThan(0);
      expect(/[ \t]/.test(e.subject)).toBe(false);
      if (e.reply !== null) expect(/[ \t]/.test(e.reply)).toBe(false);
      lastPubArgs = e;
    } else {
      // A control-line op can only follow a completed message.
      expect(lastPubArgs).toBeNull();
    }
  });
}

const TOKENS = [
  "PUB ", "pub\t", "HPUB ", "SUB ", "UNSUB ", "PING", "PONG", "CONNECT ", "INFO ", "+OK", "-ERR ", "MSG ", "HMSG ",
  "RMSG ", "LS+ ", "A+ ", " ", "\t", "\r", "\n", "\r\n", "\r\n", "foo", "foo.bar", "_INBOX.x", "0", "1", "2", "5",
  "12", "999999999", "1234567890", "{}", "{\"verbose\":true}", "hello",
];
const rawPart = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...TOKENS).map(bytes) },
  { weight: 2, arbitrary: fc.nat({ max: 70 }).map((n) => bytes(String(n))) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
);
/** Something shaped like a protocol line: an op (sometimes a wrong one), a few argument tokens, a line end
 * (sometimes a wrong one), sometimes a payload-like run of bytes and a CRLF. */
const linePart = fc
  .record({
    op: fc.constantFrom("PUB", "pub", "HPUB", "SUB", "UNSUB", "PING", "PONG", "CONNECT", "INFO", "+OK", "-ERR", "MSG", "PUBX", ""),
    args: fc.array(
      fc.oneof(word, fc.nat({ max: 40 }).map(String), fc.constantFrom("", "-1", "{}", "1234567890")),
      { maxLength: 5 },
    ),
    seps: fc.array(fc.constantFrom(" ", "\t", "  ", "\r"), { minLength: 6, maxLength: 6 }),
    eol: fc.constantFrom("\r\n", "\r\n", "\r\n", "\n", "\r", ""),
    body: fc.option(
      fc.tuple(
        fc.array(fc.constantFrom(13, 10, 65, 32), { maxLength: 45 }).map((a) => Uint8Array.from(a)),
        fc.constantFrom("\r\n", "\r\n", "\r", "", "\n\r"),
      ),
      { nil: null },
    ),
  })
  .map(({ op, args, seps, eol, body }) => {
    const line = op + args.map((a, i) => seps[i] + a).join("") + eol;
    return body === null ? bytes(line) : concat([bytes(line), body[0], bytes(body[1])]);
  });
/** A PUB/HPUB whose declared sizes are right, or a little off, followed by a right or wrong trailer. */
const nearPubPart = fc
  .record({
    h: fc.boolean(),
    subject: word,
    body: fc.array(fc.constantFrom(13, 10, 65, 32), { maxLength: 20 }).map((a) => Uint8Array.from(a)),
    sizeDelta: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
    hdrFrac: fc.double({ min: 0, max: 1.2, noNaN: true }),
    trailer: fc.constantFrom("\r\n", "\r\n", "\r\n", "\r", "\n", ""),
  })
  .map(({ h, subject, body, sizeDelta, hdrFrac, trailer }) => {
    const size = Math.max(0, body.length + sizeDelta);
    const line = h ? `HPUB ${subject} ${Math.floor(hdrFrac * size)} ${size}\r\n` : `PUB ${subject} ${size}\r\n`;
    return concat([bytes(line), body, bytes(trailer)]);
  });
const soupPart = fc.oneof(
  { weight: 3, arbitrary: linePart },
  { weight: 3, arbitrary: nearPubPart },
  { weight: 1, arbitrary: rawPart },
);
const soup = fc.array(soupPart, { maxLength: 30 }).map(concat);

const limits: fc.Arbitrary<ParserOptions> = fc.record({
  maxPayload: fc.constantFrom(1024 * 1024, 1024 * 1024, 64, 5, 0),
  awaitingConnect: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

type Mutation =
  | { kind: "set"; at: number; byte: number }
  | { kind: "insert"; at: number; data: Uint8Array }
  | { kind: "delete"; at: number; len: number }
  | { kind: "dup"; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.constantFrom(13, 10, 32, 9, 48, 57, 0, 255, 80) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), data: rawPart }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("dup" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
);

function mutate(buf: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = buf;
  for (const m of muts) {
    const at = m.at % (b.length + 1);
    switch (m.kind) {
      case "set":
        if (b.length > 0) {
          b = b.slice();
          b[at % b.length] = m.byte;
        }
        break;
      case "insert":
        b = concat([b.subarray(0, at), m.data, b.subarray(at)]);
        break;
      case "delete":
        b = concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      case "dup":
        b = concat([b.subarray(0, at + m.len), b.subarray(at, at + m.len), b.subarray(at + m.len)]);
        break;
    }
  }
  return b;
}

/** The outcome of a parse that must not depend on the read boundaries. */
function outcome(r: FeedResult) {
  return { events: r.events, wire: r.error === null ? "none" : r.error.wire };
}

/** Returns a ProtocolError or nothing: anything else thrown by the parser escapes feed() and fails. */
function garbageProperty(input: Uint8Array, seeds: number[], opts: ParserOptions): void {
  const start = performance.now();
  const whole = run([input], opts);
  checkWellFormed(whole, opts);
  const split = run(splitAt(input, cutsFor(seeds, input.length)), opts);
  checkWellFormed(split, opts);
  const bytewise = run(oneByteChunks(input), opts);
  checkWellFormed(bytewise, opts);
  // Inputs here stay far below max_control_line, so nothing legitimately depends on where reads end.
  expect(outcome(split)).toEqual(outcome(whole));
  expect(outcome(bytewise)).toEqual(outcome(whole));
  // Linear work: a few KiB must never take long (an infinite loop would hit the test timeout instead).
  expect(performance.now() - start).toBeLessThan(2000);
}

describe("(b) hostile input", () => {
  test("uniformly random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutSeeds, limits, garbageProperty),
      params(3, 300),
    );
  });

  test("protocol-token soup", () => {
    fc.assert(fc.property(soup, cutSeeds, limits, garbageProperty), params(4, 500));
  });

  test("mutated valid streams", () => {
    fc.assert(
      fc.property(
        connectFrame,
        stream,
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        cutSeeds,
        limits,
        (connect, { wire }, muts, seeds, opts) =>
          garbageProperty(mutate(concat([connect.wire, wire]), muts), seeds, opts),
      ),
      params(5, 300),
    );
  });

  test("FuzzParser seeds fed in two halves, and mutated", () => {
    const seedsIn = [
      "PING\r\n",
      "PONG\r\n",
      "PUB foo 33333\r\n",
      "HPUB foo INBOX.22 0 5\r\nHELLO\r",
      "HMSG $foo foo 10 8\r\nXXXhello\r",
      "MSG $foo foo 5\r\nhello\r",
      "SUB foo 1\r\nSUB foo 2\r\n",
      "UNSUB 1 5\r\n",
      "RMSG $G foo.bar | baz 11\r\nhello world\r",
      `CONNECT {"verbose":false,"pedantic":true,"tls_required":false}\r\n`,
    ].map(bytes);
    fc.assert(
      fc.property(
        fc.constantFrom(...seedsIn),
        fc.array(mutation, { maxLength: 4 }),
        limits,
        (seed, muts, opts) => {
          const input = mutate(seed, muts);
          garbageProperty(input, [input.length >> 1], opts);
        },
      ),
      params(6, 300),
    );
  });
});

// ---- (c) max_control_line ------------------------------------------------------------------------------

const CONTROL_OPS = ["PUB ", "HPUB ", "SUB ", "UNSUB ", "CONNECT ", "INFO ", "-ERR "] as const;
/** Argument bytes: anything but CR and LF (so the line never ends), not starting with a space or tab. */
const argByte = fc.integer({ min: 0, max: 255 }).filter((b) => b !== 10 && b !== 13);
const firstArgByte = argByte.filter((b) => b !== 32 && b !== 9);

/** An upper bound on any control line's argument length in buf: its longest LF-separated segment. */
function longestLine(buf: Uint8Array): number {
  let longest = 0;
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 10) {
      longest = Math.max(longest, i - start);
      start = i + 1;
    }
  }
  return longest;
}

describe("(c) max_control_line", () => {
  test("an unterminated line is refused on exactly the read that takes its argument past the limit", () => {
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 3 }),
        fc.constantFrom(...CONTROL_OPS),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 700 }),
        firstArgByte,
        argByte,
        cutSeeds,
        (prefixFrames, op, mclGen, extra, first, fill, seeds) => {
          const prefix = concat(prefixFrames.map((f) => f.wire));
          // The valid ops before the long line must fit the limit themselves.
          const mcl = Math.max(mclGen, longestLine(prefix));
          const argLen = mcl + extra;
          const arg = new Uint8Array(argLen).fill(fill);
          arg[0] = first;
          const input = concat([prefix, bytes(op), arg]);
          const argStart = prefix.length + op.length;
          const chunks = splitAt(input, cutsFor(seeds, input.length));
          const r = run(chunks, { maxControlLine: mcl });
          // The read during which the argument's byte count first exceeds mcl.
          let end = 0;
          let expectedChunk = -1;
          for (let k = 0; k < chunks.length; k++) {
            end += chunks[k]!.length;
            if (end - argStart > mcl) {
              expectedChunk = k;
              break;
            }
          }
          expect(r.error?.wire).toBe(ERR.maxControlLine);
          expect(r.errorChunk).toBe(expectedChunk);
          expect(r.events).toEqual(prefixFrames.flatMap((f) => f.events));
        },
      ),
      params(7, 400),
    );
  });

  test("a terminated line is refused iff its argument is longer than the limit, wherever it is split", () => {
    // The argument is everything after the op and its separator, without the line's CRLF.
    const line = fc.oneof(
      fc.record({ op: fc.constantFrom("SUB ", "UNSUB ", "CONNECT ", "-ERR "), len: fc.integer({ min: 1, max: 40 }) })
        .map(({ op, len }) => ({ op, arg: "a".repeat(len), tail: "" })),
      // PUB/HPUB arguments must parse: "<subject> 0" / "<subject> 0 0", then an empty payload.
      fc.record({ hpub: fc.boolean(), len: fc.integer({ min: 1, max: 40 }) }).map(({ hpub, len }) => ({
        op: hpub ? "HPUB " : "PUB ",
        arg: `${"s".repeat(len)} ${hpub ? "0 0" : "0"}`,
        tail: "\r\n",
      })),
    );
    fc.assert(
      fc.property(line, fc.integer({ min: -3, max: 3 }), cutSeeds, ({ op, arg, tail }, delta, seeds) => {
        const mcl = Math.max(1, arg.length + delta);
        const input = bytes(`${op}${arg}\r\n${tail}`);
        const r = run(splitAt(input, cutsFor(seeds, input.length)), { maxControlLine: mcl });
        if (arg.length > mcl) {
          expect(r.error?.wire).toBe(ERR.maxControlLine);
          expect(r.events).toEqual([]);
        } else {
          expect(r.error).toBeNull();
          expect(r.events.length).toBeGreaterThan(0);
        }
      }),
      params(8, 400),
    );
  });
});
