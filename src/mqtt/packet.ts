/**
 * MQTT 3.1.1 control packets: the fixed header's type and flags, the remaining-length varint, and the
 * big-endian length-prefixed fields every packet body is made of. Pure: bytes in, records out.
 */

export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const;

/** The largest remaining length the four-byte varint can say (MQTT 3.1.1 §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

export class PacketError extends Error {}

export interface Packet {
  type: number;
  /** The low four bits of the first byte. */
  flags: number;
  body: Uint8Array;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
/** Longer strings go through TextDecoder, which is faster than building them a character at a time. */
const MAX_FAST_STRING = 64;
/** The last short ASCII string read, and its bytes (see FieldReader.ascii). */
let lastAscii = "";
const lastAsciiBytes = new Uint8Array(MAX_FAST_STRING);

/**
 * Splits a byte stream into packets. Input is copied only when a packet spans reads; `maxRemaining` bounds
 * what one packet may make the reader hold.
 */
export class PacketReader {
  private pending: Uint8Array | null = null;

  constructor(private readonly maxRemaining: number) {}

  /** Every complete packet in what was read so far; a body is valid until the next call. */
  *push(data: Uint8Array): Generator<Packet> {
    let buf = data;
    if (this.pending !== null) {
      buf = new Uint8Array(this.pending.length + data.length);
      buf.set(this.pending);
      buf.set(data, this.pending.length);
      this.pending = null;
    }
    let pos = 0;
    try {
      while (pos < buf.length) {
        const head = this.header(buf, pos);
        if (head === null || head.end + head.remaining > buf.length) break;
        const b0 = buf[pos]!;
        pos = head.end + head.remaining;
        yield { type: b0 >> 4, flags: b0 & 0x0f, body: buf.subarray(head.end, pos) };
      }
    } finally {
      // Also when the caller stops early: what follows the last packet it took is kept.
      if (pos < buf.length) this.pending = buf.slice(pos);
    }
  }

  /** The bytes read but not yet returned as packets, which the reader then forgets. */
  drain(): Uint8Array {
    const p = this.pending ?? new Uint8Array(0);
    this.pending = null;
    return p;
  }

  private header(buf: Uint8Array, pos: number): { remaining: number; end: number } | null {
    let remaining = 0;
    let mult = 1;
    for (let i = 1; i <= 4; i++) {
      if (pos + i >= buf.length) return null;
      const b = buf[pos + i]!;
      remaining += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) {
        if (remaining > this.maxRemaining) throw new PacketError(`remaining length ${remaining} exceeds the limit of ${this.maxRemaining}`);
        return { remaining, end: pos + i + 1 };
      }
      mult *= 128;
    }
    throw new PacketError("malformed remaining length");
  }
}

/** Reads the fields of one packet body in order. */
export class FieldReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  byte(what: string): number {
    if (this.pos >= this.buf.length) throw new PacketError(`error reading ${what}: packet too short`);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    if (this.pos + 2 > this.buf.length) throw new PacketError(`error reading ${what}: packet too short`);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  bytes(what: string): Uint8Array {
    const n = this.u16(what);
    if (this.pos + n > this.buf.length) throw new PacketError(`error reading ${what}: packet too short`);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A UTF-8 string; invalid UTF-8 and U+0000 are refused ([MQTT-1.5.3-1], [MQTT-1.5.3-2]). */
  string(what: string): string {
    const ascii = this.ascii();
    if (ascii !== null) return ascii;
    let s: string;
    try {
      s = decoder.decode(this.bytes(what));
    } catch (e) {
      if (e instanceof PacketError) throw e;
      throw new PacketError(`invalid utf8 for ${what}`);
    }
    if (s.includes("\u0000")) throw new PacketError(`invalid null character in ${what}`);
    return s;
  }

  /**
   * The next string when it is short ASCII without NUL (topics nearly always are), else null. The last one
   * is remembered: a publisher repeats its topic, and the same string object is cheaper to look up after.
   */
  private ascii(): string | null {
    if (this.pos + 2 > this.buf.length) return null;
    const n = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    const from = this.pos + 2;
    if (n > MAX_FAST_STRING || from + n > this.buf.length) return null;
    const b = this.buf;
    if (n === lastAscii.length) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (b[from + i] !== lastAsciiBytes[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.pos = from + n;
        return lastAscii;
      }
    }
    let s = "";
    for (let i = from; i < from + n; i++) {
      const c = b[i]!;
      if (c === 0 || c > 0x7f) return null;
      s += String.fromCharCode(c);
    }
    lastAsciiBytes.set(b.subarray(from, from + n));
    lastAscii = s;
    this.pos = from + n;
    return s;
  }

  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }
}

function remainingLengthSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** A packet with `size` body bytes: the buffer and the offset where the body starts. */
function packet(first: number, size: number): { buf: Uint8Array; at: number } {
  const buf = new Uint8Array(1 + remainingLengthSize(size) + size);
  buf[0] = first;
  let at = 1;
  let n = size;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[at++] = b;
  } while (n > 0);
  return { buf, at };
}

export function connack(sessionPresent: boolean, rc: number): Uint8Array {
  return Uint8Array.of(PacketType.CONNACK << 4, 2, sessionPresent ? 1 : 0, rc);
}

export function puback(pid: number): Uint8Array {
  return Uint8Array.of(PacketType.PUBACK << 4, 2, pid >> 8, pid & 0xff);
}

export function pubrec(pid: number): Uint8Array {
  return Uint8Array.of(PacketType.PUBREC << 4, 2, pid >> 8, pid & 0xff);
}

/** PUBREL's fixed header flags are 0b0010 ([MQTT-3.6.1-1]). */
export function pubrel(pid: number): Uint8Array {
  return Uint8Array.of((PacketType.PUBREL << 4) | 0x02, 2, pid >> 8, pid & 0xff);
}

export function pubcomp(pid: number): Uint8Array {
  return Uint8Array.of(PacketType.PUBCOMP << 4, 2, pid >> 8, pid & 0xff);
}

export function unsuback(pid: number): Uint8Array {
  return Uint8Array.of(PacketType.UNSUBACK << 4, 2, pid >> 8, pid & 0xff);
}

export function suback(pid: number, codes: readonly number[]): Uint8Array {
  const { buf, at } = packet(PacketType.SUBACK << 4, 2 + codes.length);
  buf[at] = pid >> 8;
  buf[at + 1] = pid & 0xff;
  buf.set(codes, at + 2);
  return buf;
}

/** Payloads up to this size are copied a byte at a time rather than through a view and set(). */
const COPY_BY_BYTE = 256;

export const PINGRESP = Uint8Array.of(PacketType.PINGRESP << 4, 0);

export interface PublishOut {
  /** UTF-8. */
  topic: Uint8Array;
  /** The payload is `payload[start, end)`: a view would cost more than it saves for small messages. */
  payload: Uint8Array;
  start?: number;
  end?: number;
  qos: number;
  retain: boolean;
  dup: boolean;
  /** 0 for QoS 0. */
  pid: number;
}

export function publish(p: PublishOut): Uint8Array {
  const topic = p.topic;
  const start = p.start ?? 0;
  const end = p.end ?? p.payload.length;
  const size = 2 + topic.length + (p.qos > 0 ? 2 : 0) + (end - start);
  const first = (PacketType.PUBLISH << 4) | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0);
  const { buf, at } = packet(first, size);
  let i = at;
  buf[i++] = topic.length >> 8;
  buf[i++] = topic.length & 0xff;
  buf.set(topic, i);
  i += topic.length;
  if (p.qos > 0) {
    buf[i++] = p.pid >> 8;
    buf[i++] = p.pid & 0xff;
  }
  const src = p.payload;
  if (end - start <= COPY_BY_BYTE) for (let j = start; j < end; j++) buf[i++] = src[j]!;
  else buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), i);
  return buf;
}
