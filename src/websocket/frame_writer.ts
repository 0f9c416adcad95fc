/** Server frames (nats-server's wsFillFrameHeader, wsCreateCloseMessage): always final, never masked. */

const FIN = 0x80;
const RSV1 = 0x40;
/** A control frame's payload limit, less the close status's two bytes. */
const MAX_CLOSE_REASON = 123;

/** Bytes a frame header of a `len`-byte payload takes. */
export function headerSize(len: number): number {
  return len <= 125 ? 2 : len < 65536 ? 4 : 10;
}

/** Writes the header of an unmasked frame into `out` at 0 (final unless `fin` is false); returns its size. */
export function writeHeader(out: Uint8Array, opcode: number, len: number, compressed: boolean, fin = true): number {
  out[0] = (fin ? FIN : 0) | (compressed ? RSV1 : 0) | opcode;
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

/** A whole control frame (close, ping, pong) with `payload` (at most 125 bytes). */
export function controlFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(2 + payload.length);
  writeHeader(f, opcode, payload.length, false);
  f.set(payload, 2);
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
