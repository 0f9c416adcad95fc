/**
 * A ParserHandler that records every callback as plain data (strings and copied bytes), so tests can compare
 * whole event sequences with toEqual. The parser reuses its buffers after a callback returns, so everything
 * is copied at callback time.
 */
import { ProtocolError } from "../../src/protocol/errors.ts";
import { Parser, type ParserHandler, type PubArg } from "../../src/protocol/parser.ts";
import { Kind } from "../../src/protocol/kind.ts";

export type ParserEvent =
  | { op: "pubArgs"; subject: string; reply: string | null; hdr: number; size: number }
  | {
    op: "msg";
    subject: string;
    reply: string | null;
    /** RMSG only. */
    account?: string;
    /** RMSG/LMSG with queue groups only. */
    queues?: string[];
    hdr: number;
    size: number;
    payload: Uint8Array;
    /** The contract is that the payload is followed by CRLF in the same buffer. */
    crlf: boolean;
  }
  | { op: "sub"; arg: string }
  | { op: "unsub"; arg: string }
  | { op: "connect"; arg: string }
  | { op: "ping" }
  | { op: "pong" }
  | { op: "err"; arg: string }
  | { op: "info"; info: unknown };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function paSubject(pa: PubArg): string {
  return decoder.decode(pa.buf.subarray(pa.subjStart, pa.subjEnd));
}

/** null when the PUB/HPUB had no reply subject. */
export function paReply(pa: PubArg): string | null {
  return pa.replyStart === pa.replyEnd ? null : decoder.decode(pa.buf.subarray(pa.replyStart, pa.replyEnd));
}

export class RecordingHandler implements ParserHandler {
  readonly events: ParserEvent[] = [];
  /** Called after a CONNECT is recorded (the real client clears parser.awaitingConnect here). */
  onConnect: (() => void) | null = null;

  /** INFO is recorded for route and leaf parsers only: a client's INFO is JSON-checked and means nothing. */
  constructor(private readonly recordPubArgs = true, private readonly recordInfo = false) {}

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    const end = start + pa.size;
    const text = (s: number, e: number) => decoder.decode(pa.buf.subarray(s, e));
    const queues: string[] = [];
    for (let k = 0; k < pa.queues.length; k += 2) queues.push(text(pa.queues[k]!, pa.queues[k + 1]!));
    this.events.push({
      op: "msg",
      subject: paSubject(pa),
      reply: paReply(pa),
      ...(pa.accEnd > pa.accStart && { account: text(pa.accStart, pa.accEnd) }),
      ...(queues.length > 0 && { queues }),
      hdr: pa.hdr,
      size: pa.size,
      payload: buf.slice(start, end),
      crlf: buf.length >= end + 2 && buf[end] === 13 && buf[end + 1] === 10,
    });
  }

  processPubArgs(pa: PubArg): void {
    if (!this.recordPubArgs) return;
    this.events.push({ op: "pubArgs", subject: paSubject(pa), reply: paReply(pa), hdr: pa.hdr, size: pa.size });
  }

  processSub(arg: string): void {
    this.events.push({ op: "sub", arg });
  }

  processUnsub(arg: string): void {
    this.events.push({ op: "unsub", arg });
  }

  processConnect(arg: string): void {
    this.events.push({ op: "connect", arg });
    this.onConnect?.();
  }

  processPing(): void {
    this.events.push({ op: "ping" });
  }

  processPong(): void {
    this.events.push({ op: "pong" });
  }

  processErr(arg: string): void {
    this.events.push({ op: "err", arg });
  }

  processInfo(info: unknown): void {
    if (this.recordInfo) this.events.push({ op: "info", info });
  }
}

export interface ParserOptions {
  maxPayload?: number;
  maxControlLine?: number;
  /** Sets parser.awaitingConnect; a recorded CONNECT clears it, as the real client does after auth. */
  awaitingConnect?: boolean;
  recordPubArgs?: boolean;
  /** The connection kind the parser serves (default: a client). */
  kind?: Kind;
}

/** nats-server defaults: max_payload 1 MiB, max_control_line 4 KiB. */
export function newParser(opts: ParserOptions = {}): { parser: Parser; handler: RecordingHandler } {
  const handler = new RecordingHandler(opts.recordPubArgs ?? true, (opts.kind ?? Kind.CLIENT) !== Kind.CLIENT);
  const parser = new Parser(handler, opts.maxPayload ?? 1024 * 1024, opts.maxControlLine ?? 4096, opts.kind ?? Kind.CLIENT);
  if (opts.awaitingConnect) {
    parser.awaitingConnect = true;
    handler.onConnect = () => {
      parser.awaitingConnect = false;
    };
  }
  return { parser, handler };
}

export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Bytes of a binary string (each char code 0-255 is one byte), for payloads that are not UTF-8. */
export function raw(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export interface FeedResult {
  events: ParserEvent[];
  error: ProtocolError | null;
  /** Index of the chunk whose parse threw, or -1. */
  errorChunk: number;
}

/**
 * Feeds chunks to the parser the way a socket would: each chunk is copied into one reused read buffer that
 * is overwritten with garbage once parse returns, so a parser that keeps references into a previous read
 * shows up as corrupted events. Stops at the first ProtocolError (the connection would be closed); any other
 * exception propagates.
 */
export function feed(parser: Parser, handler: RecordingHandler, chunks: Iterable<Uint8Array>): FeedResult {
  let readBuf = new Uint8Array(64 * 1024);
  let n = 0;
  for (const chunk of chunks) {
    if (chunk.length > readBuf.length) readBuf = new Uint8Array(chunk.length * 2);
    readBuf.set(chunk, 0);
    const view = readBuf.subarray(0, chunk.length);
    try {
      parser.parse(view);
    } catch (e) {
      if (e instanceof ProtocolError) return { events: handler.events, error: e, errorChunk: n };
      throw e;
    } finally {
      readBuf.fill(0x58, 0, chunk.length); // 'X', as nats-server's split tests scribble over the last read
    }
    n++;
  }
  return { events: handler.events, error: null, errorChunk: -1 };
}

/** Splits buf at the given offsets (any order, duplicates and out-of-range values ignored). */
export function splitAt(buf: Uint8Array, cuts: Iterable<number>): Uint8Array[] {
  const points = [...new Set([...cuts].filter((c) => c > 0 && c < buf.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of points) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

export function oneByteChunks(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Parses `input` (a string or bytes, whole or already chunked) with a fresh parser. */
export function parseAll(
  input: string | Uint8Array | Uint8Array[],
  opts: ParserOptions = {},
): FeedResult & { parser: Parser } {
  const { parser, handler } = newParser(opts);
  const chunks = Array.isArray(input) ? input : [typeof input === "string" ? bytes(input) : input];
  return { ...feed(parser, handler, chunks), parser };
}
