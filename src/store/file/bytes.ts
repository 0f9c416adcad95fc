/** Little-endian integer helpers. Sequences are JS numbers (< 2^53) stored as u64 in two u32 halves. */
export function putU64(v: DataView, off: number, n: number): void {
  v.setUint32(off, n >>> 0, true);
  v.setUint32(off + 4, Math.floor(n / 0x100000000), true);
}

export function getU64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x100000000;
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Subjects are almost always ASCII: build those directly, fall back to UTF-8 decoding otherwise. */
export function decodeString(b: Uint8Array, off: number, len: number): string {
  if (len > 64) return decoder.decode(b.subarray(off, off + len));
  let s = "";
  for (let i = off; i < off + len; i++) {
    const c = b[i];
    if (c > 0x7f) return decoder.decode(b.subarray(off, off + len));
    s += String.fromCharCode(c);
  }
  return s;
}

/** UTF-8 bytes of `s`, or null when it is ASCII and its length is its byte length. */
export function nonAscii(s: string): Uint8Array | null {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return encoder.encode(s);
  return null;
}

export function writeAscii(b: Uint8Array, off: number, s: string): void {
  for (let i = 0; i < s.length; i++) b[off + i] = s.charCodeAt(i);
}

export const utf8 = (s: string): Uint8Array => encoder.encode(s);
