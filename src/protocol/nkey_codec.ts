/**
 * The nkey text form: base32 (RFC 4648, no padding) of prefix byte ‖ 32-byte key ‖ CRC-16/XMODEM
 * (little-endian). Written here rather than loaded from @nats-io/nkeys because that package brings its
 * Ed25519 code along (1.4 MiB of idle memory just to import, 12 MiB once a key pair is made), while natsedge
 * only needs to read and write key text; signatures are checked with WebCrypto. Tests compare both ways
 * with @nats-io/nkeys.
 */
export const NkeyPrefix = { Server: 13 << 3, User: 20 << 3, Account: 0 } as const;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const KEY_LENGTH = 32;

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32Encode(data: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of data) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[n++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

export function encodeNkey(prefix: number, key: Uint8Array): string {
  const buf = new Uint8Array(1 + KEY_LENGTH + 2);
  buf[0] = prefix;
  buf.set(key, 1);
  const crc = crc16(buf.subarray(0, 1 + KEY_LENGTH));
  buf[1 + KEY_LENGTH] = crc & 0xff;
  buf[2 + KEY_LENGTH] = crc >> 8;
  return base32Encode(buf);
}

/** The 32-byte key of a public nkey of the given kind, or null if the text is not one (wrong kind, bad CRC). */
export function decodeNkey(prefix: number, text: string): Uint8Array | null {
  const raw = base32Decode(text);
  if (raw === null || raw.length !== 1 + KEY_LENGTH + 2 || raw[0] !== prefix) return null;
  const crc = raw[1 + KEY_LENGTH]! | (raw[2 + KEY_LENGTH]! << 8);
  if (crc16(raw.subarray(0, 1 + KEY_LENGTH)) !== crc) return null;
  return raw.slice(1, 1 + KEY_LENGTH);
}

/** nats-server's PrefixByteSeed: a seed's first 5 bits; the next 5 name the kind of key it is for. */
const SEED_PREFIX = 18 << 3;

/** The 32-byte Ed25519 seed of an nkey seed of the given kind (`SU...` for User), or null if it is not one. */
export function decodeSeed(prefix: number, text: string): Uint8Array | null {
  const raw = base32Decode(text);
  if (raw === null || raw.length !== 2 + KEY_LENGTH + 2) return null;
  if ((raw[0]! & 0xf8) !== SEED_PREFIX) return null;
  const kind = ((raw[0]! & 7) << 5) | ((raw[1]! & 0xf8) >> 3);
  if (kind !== prefix) return null;
  const crc = raw[2 + KEY_LENGTH]! | (raw[3 + KEY_LENGTH]! << 8);
  if (crc16(raw.subarray(0, 2 + KEY_LENGTH)) !== crc) return null;
  return raw.slice(2, 2 + KEY_LENGTH);
}
