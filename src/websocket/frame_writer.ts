/**
 * Frames as nats-server writes them (wsFillFrameHeader, wsCreateCloseMessage): a server's unmasked, a leaf
 * dialling a WebSocket masked with a fresh key per frame (RFC 6455 5.3) unless the server agreed to
 * Nats-No-Masking.
 */

const FIN = 0x80;
const RSV1 = 0x40;
const MASK = 0x80;
/** The key of the frame being written; writeHeader copies it into the header, which masking then reads. */
const KEY = new Uint8Array(4);
/** A control frame's payload limit, less the close status's two bytes. */
const MAX_CLOSE_REASON = 123;

/** Bytes a frame header of a `len`-byte payload takes, with its mask key when `masked`. */
export function headerSize(len: number, masked = false): number {
  return (len <= 125 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a frame header into `out` at 0 (final unless `fin` is false); returns its size. With `masked` it
 * ends with a new random key: the payload that follows must then go through mask() with it.
 */
export function writeHeader(out: Uint8Array, opcode: number, len: number, compressed: boolean, fin = true, masked = false): number {
  out[0] = (fin ? FIN : 0) | (compressed ? RSV1 : 0) | opcode;
  const n = writeLength(out, len);
  if (masked) {
    out[1] = out[1]! | MASK;
    crypto.getRandomValues(KEY);
    out.set(KEY, n);
    return n + 4;
  }
  return n;
}

function writeLength(out: Uint8Array, len: number): number {
  if (len <= 125) {
    out[1] = len;
    return 2;
  }
  if (len < 65536) {
    out[1] = 126;
    out[2] = len >>> 8;
    out[3] = len & 0xff;
    return 4;
  }
  out[1] = 127;
  const hi = Math.floor(len / 2 ** 32);
  const lo = len >>> 0;
  out[2] = hi >>> 24;
  out[3] = (hi >>> 16) & 0xff;
  out[4] = (hi >>> 8) & 0xff;
  out[5] = hi & 0xff;
  out[6] = lo >>> 24;
  out[7] = (lo >>> 16) & 0xff;
  out[8] = (lo >>> 8) & 0xff;
  out[9] = lo & 0xff;
  return 10;
}

/** The key a masked header written by writeHeader ends with. */
export function keyOf(header: Uint8Array, size: number): Uint8Array {
  return header.subarray(size - 4, size);
}

/** XORs `b` in place with `key`, starting at byte `pos` of the key; returns the key position after it. */
export function mask(b: Uint8Array, key: Uint8Array, pos: number): number {
  const k0 = key[pos & 3]!;
  const k1 = key[(pos + 1) & 3]!;
  const k2 = key[(pos + 2) & 3]!;
  const k3 = key[(pos + 3) & 3]!;
  const n = b.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    b[i] = b[i]! ^ k0;
    b[i + 1] = b[i + 1]! ^ k1;
    b[i + 2] = b[i + 2]! ^ k2;
    b[i + 3] = b[i + 3]! ^ k3;
  }
  for (; i < n; i++) b[i] = b[i]! ^ key[(pos + i) & 3]!;
  return (pos + n) & 3;
}

/** A whole control frame (close, ping, pong) with `payload` (at most 125 bytes), masked when `masked`. */
export function controlFrame(opcode: number, payload: Uint8Array, masked = false): Uint8Array {
  const f = new Uint8Array(headerSize(payload.length, masked) + payload.length);
  const hs = writeHeader(f, opcode, payload.length, false, true, masked);
  f.set(payload, hs);
  if (masked) mask(f.subarray(hs), keyOf(f, hs), 0);
  return f;
}

const encoder = new TextEncoder();

/** A close payload: the status, then the reason cut to fit with a trailing "..." as nats-server does. */
export function closePayload(status: number, reason: string): Uint8Array {
  let body = encoder.encode(reason);
  if (body.length > MAX_CLOSE_REASON) {
    const cut = new TextDecoder().decode(body.subarray(0, MAX_CLOSE_REASON - 3)).replace(/\uFFFD$/, "");
    body = encoder.encode(`${cut}...`);
  }
  const p = new Uint8Array(2 + body.length);
  p[0] = status >>> 8;
  p[1] = status & 0xff;
  p.set(body, 2);
  return p;
}
