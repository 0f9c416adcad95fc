/**
 * Crash-loop message bodies: a unique id, filler, and a checksum over both, so a delivery can be traced to
 * exactly one publish and a damaged body is told apart from a lost one.
 */
const ID_BYTES = 8;
const SUM_BYTES = 4;

/** FNV-1a: enough to tell a damaged body from an intact one; this is not a security check. */
function fnv1a(b: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

export function encodePayload(id: number, size: number): Uint8Array {
  const b = new Uint8Array(Math.max(size, ID_BYTES + SUM_BYTES));
  const v = new DataView(b.buffer);
  v.setFloat64(0, id, true);
  for (let i = ID_BYTES; i < b.length - SUM_BYTES; i++) b[i] = (id + i) & 0xff;
  v.setUint32(b.length - SUM_BYTES, fnv1a(b, b.length - SUM_BYTES), true);
  return b;
}

/** The id of an intact body, or null when the checksum does not match. */
export function decodePayload(b: Uint8Array): number | null {
  if (b.length < ID_BYTES + SUM_BYTES) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(b.length - SUM_BYTES, true) !== fnv1a(b, b.length - SUM_BYTES)) return null;
  return v.getFloat64(0, true);
}
