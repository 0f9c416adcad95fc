/**
 * The server's id in nats-server's form: an nkey server public key, base32("N" prefix byte + 32 bytes +
 * CRC-16/XMODEM little-endian). natsedge never signs with it, so random bytes stand in for a key pair. It is
 * encoded here rather than with @nats-io/nkeys because loading that package (and the Ed25519 code behind it)
 * costs 4-12 MiB of an idle budget of 40 MiB; tests check the result with the library.
 */
const PREFIX_SERVER = 13 << 3; // 'N'
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(data: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of data) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function serverId(raw: Uint8Array = crypto.getRandomValues(new Uint8Array(32))): string {
  const buf = new Uint8Array(35);
  buf[0] = PREFIX_SERVER;
  buf.set(raw, 1);
  const crc = crc16(buf.subarray(0, 33));
  buf[33] = crc & 0xff;
  buf[34] = crc >> 8;
  return base32(buf);
}
