/**
 * Small whole-file records (key check, block summaries, stream and consumer metadata), sealed under a key of
 * their own and replaced atomically: write a temporary file, fsync it, rename it over the old one, fsync the
 * directory. Layout, little-endian:
 *
 *   0 magic[4] · 4 version u8 · 5 cipher u8 · 6 reserved u16 · 8 key id u32 · 12 salt[16] · 28 body length u32
 *   32 nonce[n] · body (ciphertext ‖ tag, or plaintext when cipher = 0) · crc32c u32 of everything before it
 *
 * The header is the AEAD's associated data. The CRC tells a damaged file from a wrong key: a file whose CRC
 * holds but whose tag does not was sealed under another key.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { randomFillSync } from "node:crypto";
import { nonceLength, open, type SealObserver, seal, TAG_LENGTH } from "./aead.ts";
import { view } from "./bytes.ts";
import { crc32c } from "./crc32c.ts";
import { type Purpose, randomSalt, SALT_LENGTH, type StreamKey } from "./keys.ts";

const VERSION = 1;
const HEADER = 32;

export interface SealedFileHeader {
  readonly cipher: number;
  readonly keyId: number;
  readonly salt: Uint8Array;
}

export interface ParsedSealedFile extends SealedFileHeader {
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly body: Uint8Array;
}

/** The file is truncated, has the wrong magic, or fails its CRC. */
export class DamagedFileError extends Error {
  constructor(path: string, why: string) {
    super(`${path}: ${why}`);
    this.name = "DamagedFileError";
  }
}

export interface SealWith {
  readonly key: StreamKey | null;
  readonly cipher: number;
  readonly purpose: Purpose;
  /** Defaults to a fresh random salt (and so a fresh key); the key check passes the stream salt. */
  readonly salt?: Uint8Array;
  readonly observe?: SealObserver;
}

export function encodeSealedFile(magic: string, body: Uint8Array, w: SealWith): Uint8Array {
  const cipher = w.key === null ? 0 : w.cipher;
  const nlen = nonceLength(cipher);
  const salt = w.salt ?? randomSalt();
  const bodyLen = cipher === 0 ? body.length : body.length + TAG_LENGTH;
  const out = new Uint8Array(HEADER + nlen + bodyLen + 4);
  const v = view(out);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  out[4] = VERSION;
  out[5] = cipher;
  v.setUint32(8, w.key?.id ?? 0, true);
  out.set(salt, 12);
  v.setUint32(28, bodyLen, true);
  const nonce = randomFillSync(out.subarray(HEADER, HEADER + nlen));
  if (w.key === null) out.set(body, HEADER);
  else {
    const k = w.key.fileKey(w.purpose, cipher, salt);
    seal(cipher, k, nonce, out.subarray(0, HEADER), body, out, HEADER + nlen, w.observe);
  }
  v.setUint32(out.length - 4, crc32c(out, 0, out.length - 4), true);
  return out;
}

export function parseSealedFile(path: string, magic: string, b: Uint8Array): ParsedSealedFile {
  if (b.length < HEADER + 4) throw new DamagedFileError(path, `truncated (${b.length} bytes)`);
  const v = view(b);
  for (let i = 0; i < 4; i++) {
    if (b[i] !== magic.charCodeAt(i)) throw new DamagedFileError(path, "not a natsedge file (bad magic)");
  }
  if (v.getUint32(b.length - 4, true) !== crc32c(b, 0, b.length - 4)) throw new DamagedFileError(path, "checksum mismatch");
  if (b[4] !== VERSION) throw new DamagedFileError(path, `unsupported format version ${b[4]}`);
  const cipher = b[5];
  const nlen = nonceLength(cipher);
  const bodyLen = v.getUint32(28, true);
  if (HEADER + nlen + bodyLen + 4 !== b.length) throw new DamagedFileError(path, "length mismatch");
  return {
    cipher,
    keyId: v.getUint32(8, true),
    salt: b.slice(12, 12 + SALT_LENGTH),
    nonce: b.subarray(HEADER, HEADER + nlen),
    aad: b.subarray(0, HEADER),
    body: b.subarray(HEADER + nlen, HEADER + nlen + bodyLen),
  };
}

/** The plaintext body; throws AuthError when `key` is not the one the file was sealed with. */
export function openSealedFile(f: ParsedSealedFile, key: StreamKey | null, purpose: Purpose): Uint8Array {
  if (f.cipher === 0) return f.body;
  if (key === null) throw new Error("encrypted file needs a key");
  return open(f.cipher, key.fileKey(purpose, f.cipher, f.salt), f.nonce, f.aad, f.body);
}

export function readFileOrNull(path: string): Uint8Array | null {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * Write new, fsync, rename over, fsync the directory: readers see the old file or the new one, never half.
 * With `sync` false the fsyncs are left to the caller (fsyncFile + fsyncDir later): the replace is still atomic
 * for a process that crashes, only a power loss before that fsync can lose it.
 */
export function writeFileAtomic(path: string, data: Uint8Array, sync = true): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, data);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (sync) fsyncDir(dirname(path));
}

/** fsync of a file written earlier without it; a file removed since needs none. */
export function fsyncFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a create, rename or unlink in `dir` durable. Some platforms cannot open directories; skip there. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Directory fsync is unsupported on this platform; the rename is as durable as the OS makes it.
  } finally {
    closeSync(fd);
  }
}
