/**
 * The messages of every publish and delivery (PubMsg, PubAck, MsgProto, Ack) by hand: one pass over the bytes
 * with no field table and no BigInt, where proto.ts's table codec over @bufbuild's reader and writer costs
 * three to four times as much per message. Anything this decoder does not expect (a group, a known field with another wire type,
 * truncation) is handed to proto.ts, the definitive codec, which decodes it or throws the same as before.
 * Encoders write the bytes proto.ts writes (fields in number order, defaults left out).
 */
import { Ack, PubMsg } from "./proto.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** The PubMsg fields the server uses; connID is the ASCII NUID the client sent, as a string. */
export interface PubMsgFields {
  clientID: string;
  /** Only ever echoed in the PubAck: a view of the bytes decoded, never a string. */
  guid: Uint8Array;
  subject: string;
  reply: string;
  /** A view of the bytes decoded (not a copy). */
  data: Uint8Array;
  connID: string;
}

export interface AckFields {
  subject: string;
  sequence: number;
}

/** Thrown inside the fast path only: the message goes to the full codec. */
class Unexpected {}
const UNEXPECTED = new Unexpected();

/**
 * A string field that repeats message after message (a publisher's client ID, connection ID and channel):
 * the bytes are compared with the last ones, and a match is the last string again, with no decoding and no
 * view allocated. Anything longer than `max` bytes is decoded each time.
 */
class RepeatedString {
  readonly #last: Uint8Array;
  #len = -1;
  #s = "";

  constructor(max = 64) {
    this.#last = new Uint8Array(max);
  }

  get(b: Uint8Array, start: number, end: number): string {
    const n = end - start;
    const last = this.#last;
    if (n > last.length) return utf8.decode(b.subarray(start, end));
    if (n === this.#len) {
      let i = 0;
      while (i < n && b[start + i] === last[i]) i++;
      if (i === n) return this.#s;
    }
    const s = utf8.decode(b.subarray(start, end));
    for (let i = 0; i < n; i++) last[i] = b[start + i]!;
    this.#len = n;
    this.#s = s;
    return s;
  }
}

const pubClientID = new RepeatedString();
const pubSubject = new RepeatedString();
const pubConnID = new RepeatedString();
const ackSubject = new RepeatedString();

/** A cursor over one message; lengths and tags fit 32 bits in any message a client can send. */
class Cursor {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  varint32(): number {
    const b = this.b;
    let x = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= b.length) throw UNEXPECTED;
      const c = b[this.pos++]!;
      x += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) {
        if (x > 0xffffffff) throw UNEXPECTED;
        return x;
      }
    }
    throw UNEXPECTED;
  }

  /** A varint up to 2^53 exactly (sequences); anything larger goes to the full codec. */
  varint53(): number {
    const b = this.b;
    let x = 0;
    for (let shift = 0; shift < 56; shift += 7) {
      if (this.pos >= b.length) throw UNEXPECTED;
      const c = b[this.pos++]!;
      x += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) {
        if (x > Number.MAX_SAFE_INTEGER) throw UNEXPECTED;
        return x;
      }
    }
    throw UNEXPECTED;
  }

  /** The end of a length-delimited field starting here. */
  lengthEnd(): number {
    const n = this.varint32();
    const end = this.pos + n;
    if (end > this.b.length) throw UNEXPECTED;
    return end;
  }

  /** Skips an unknown field; groups and reserved wire types go to the full codec. */
  skip(wt: number): void {
    switch (wt) {
      case 0:
        this.varint53();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw UNEXPECTED;
    }
    if (this.pos > this.b.length) throw UNEXPECTED;
  }
}

export function decodePubMsg(b: Uint8Array): PubMsgFields {
  try {
    const m: PubMsgFields = { clientID: "", guid: EMPTY, subject: "", reply: "", data: EMPTY, connID: "" };
    const c = new Cursor(b);
    while (c.pos < b.length) {
      const tag = c.varint32();
      const no = tag >>> 3;
      const wt = tag & 7;
      if (no > 6 && no !== 10) {
        c.skip(wt);
        continue;
      }
      // Every known PubMsg field is length-delimited.
      if (wt !== 2) throw UNEXPECTED;
      const end = c.lengthEnd();
      const start = c.pos;
      c.pos = end;
      switch (no) {
        case 1:
          m.clientID = pubClientID.get(b, start, end);
          break;
        case 2:
          m.guid = b.subarray(start, end);
          break;
        case 3:
          m.subject = pubSubject.get(b, start, end);
          break;
        case 4:
          m.reply = utf8.decode(b.subarray(start, end));
          break;
        case 5:
          m.data = b.subarray(start, end);
          break;
        case 6:
          m.connID = pubConnID.get(b, start, end);
          break;
        case 10:
          // sha256: unused by the server (and by nats-streaming-server).
          break;
        default:
          throw UNEXPECTED;
      }
    }
    return m;
  } catch (err) {
    if (err !== UNEXPECTED) throw err;
    const f = PubMsg.decode(b);
    return { clientID: f.clientID, guid: encoder.encode(f.guid), subject: f.subject, reply: f.reply, data: f.data, connID: utf8.decode(f.connID) };
  }
}

export function decodeAck(b: Uint8Array): AckFields {
  try {
    const m: AckFields = { subject: "", sequence: 0 };
    const c = new Cursor(b);
    while (c.pos < b.length) {
      const tag = c.varint32();
      const no = tag >>> 3;
      const wt = tag & 7;
      if (no === 1 && wt === 2) {
        const end = c.lengthEnd();
        m.subject = ackSubject.get(b, c.pos, end);
        c.pos = end;
      } else if (no === 2 && wt === 0) {
        m.sequence = c.varint53();
      } else if (no === 1 || no === 2) {
        throw UNEXPECTED;
      } else {
        c.skip(wt);
      }
    }
    return m;
  } catch (err) {
    if (err !== UNEXPECTED) throw err;
    const full = Ack.decode(b);
    return { subject: full.subject, sequence: Number(full.sequence) };
  }
}

/**
 * Encodes into one buffer reused call after call: what it returns is valid until the next encode, which is
 * all a publish through the InternalEndpoint needs (it copies the bytes before returning).
 */
export class WireWriter {
  #buf = new Uint8Array(1024);
  #pos = 0;

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#pos + n, 2 * this.#buf.length));
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  #varint(x: number): void {
    const b = this.#buf;
    while (x >= 0x80) {
      b[this.#pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    b[this.#pos++] = x;
  }

  #string(tag: number, s: string): void {
    if (s === "") return;
    // Room for the tag, a 5-byte length and UTF-8's worst case; the length is written once it is known.
    this.#reserve(6 + 3 * s.length);
    const b = this.#buf;
    b[this.#pos++] = tag;
    if (s.length < 43) {
      // At most 127 bytes: a 1-byte length. ASCII (channel names, inboxes) is copied as is.
      const at = this.#pos++;
      let n = 0;
      while (n < s.length) {
        const c = s.charCodeAt(n);
        if (c >= 0x80) break;
        b[this.#pos + n++] = c;
      }
      if (n < s.length) n = encoder.encodeInto(s, b.subarray(this.#pos)).written;
      b[at] = n;
      this.#pos += n;
      return;
    }
    const bytes = encoder.encode(s);
    this.#varint(bytes.length);
    b.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  #bytes(tag: number, v: Uint8Array): void {
    if (v.length === 0) return;
    this.#reserve(6 + v.length);
    this.#buf[this.#pos++] = tag;
    this.#varint(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
  }

  #done(): Uint8Array {
    const out = this.#buf.subarray(0, this.#pos);
    this.#pos = 0;
    return out;
  }

  pubAck(guid: Uint8Array, error: string): Uint8Array {
    this.#bytes(0x0a, guid);
    this.#string(0x12, error);
    return this.#done();
  }

  /**
   * `timestampNs` is the double proto.ts's callers BigInt: an integer-valued double, split exactly into the
   * 7-bit groups of its varint.
   */
  msgProto(sequence: number, subject: string, reply: string, data: Uint8Array, timestampNs: number, redelivered: boolean, redeliveryCount: number): Uint8Array {
    this.#reserve(11);
    if (sequence !== 0) {
      this.#buf[this.#pos++] = 0x08;
      this.#varint(sequence);
    }
    this.#string(0x12, subject);
    this.#string(0x1a, reply);
    this.#bytes(0x22, data);
    this.#reserve(11 + 2 + 6);
    if (timestampNs !== 0) {
      this.#buf[this.#pos++] = 0x28;
      this.#varint(timestampNs);
    }
    if (redelivered) {
      this.#buf[this.#pos++] = 0x30;
      this.#buf[this.#pos++] = 1;
    }
    if (redeliveryCount !== 0) {
      this.#buf[this.#pos++] = 0x38;
      this.#varint(redeliveryCount);
    }
    return this.#done();
  }
}
