/**
 * Segment files and the sealed frames (blocks) inside them, little-endian.
 *
 * Segment header, 32 bytes: magic "NESG" · version u8 · cipher u8 · reserved u16 · key id u32 · salt[16] ·
 * crc32c u32 of the 28 bytes before it.
 *
 * Frame: a 32-byte header, the nonce, then the body.
 *   0 "NF" · 2 version u8 · 3 cipher u8 · 4 key id u32 · 8 body length u32 · 12 first seq u64 · 20 last seq u64
 *   · 28 crc32c u32 of bytes 0..28 and the nonce · 32 nonce[12 or 24, none in plaintext]
 *   body: records sealed with the segment key (ciphertext ‖ 16-byte tag; header bytes 0..28 are the AAD), or
 *   for cipher 0 the records followed by their checksum: CRC-32 (IEEE) in version 2 frames, CRC-32C in
 *   version 1 frames (written before 2026-11; still read). CRC-32 comes from the runtime's zlib, over 20
 *   times faster than CRC-32C in JavaScript, which cost a tenth of a consumer reading from disk.
 *
 * The first/last sequence sit in the clear (authenticated) so a block that fails authentication can be
 * reported by sequence range, and the header CRC tells a torn or garbled header from a bad body. The nonce is
 * the frame counter of the segment (u64 in its first 8 bytes): a segment's key lives exactly as long as one
 * writer, which counts up from 0 and never reopens the segment for writing.
 */
import { CipherId, nonceLength, open, type SealObserver, seal, TAG_LENGTH } from "./aead.ts";
import { getU64, putU64, view } from "./bytes.ts";
import { crc32 } from "node:zlib";
import { crc32c } from "./crc32c.ts";
import { SALT_LENGTH } from "./keys.ts";
import type { PendingBlock } from "./records.ts";

export const SEGMENT_HEADER = 32;
export const FRAME_HEADER = 32;
const SEGMENT_VERSION = 1;
/** Frames are written as version 2; version 1 frames differ only in a plaintext body's checksum (CRC-32C). */
const FRAME_VERSION = 2;
const FRAME_VERSION_CRC32C = 1;

export interface SegmentHeader {
  readonly cipher: number;
  readonly keyId: number;
  readonly salt: Uint8Array;
}

export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const b = new Uint8Array(SEGMENT_HEADER);
  const v = view(b);
  b.set([0x4e, 0x45, 0x53, 0x47, SEGMENT_VERSION, h.cipher]);
  v.setUint32(8, h.keyId, true);
  b.set(h.salt, 12);
  v.setUint32(28, crc32c(b, 0, 28), true);
  return b;
}

/** Null when the header is missing, torn or not ours. */
export function decodeSegmentHeader(b: Uint8Array): SegmentHeader | null {
  if (b.length < SEGMENT_HEADER) return null;
  const v = view(b);
  if (b[0] !== 0x4e || b[1] !== 0x45 || b[2] !== 0x53 || b[3] !== 0x47 || b[4] !== SEGMENT_VERSION) return null;
  if (v.getUint32(28, true) !== crc32c(b, 0, 28)) return null;
  return { cipher: b[5], keyId: v.getUint32(8, true), salt: b.slice(12, 12 + SALT_LENGTH) };
}

export interface FrameKey {
  readonly cipher: number;
  readonly keyId: number;
  /** The segment's frame key (unused for plaintext). */
  readonly key: Uint8Array;
}

export function frameLength(cipher: number, plainLen: number): number {
  return FRAME_HEADER + nonceLength(cipher) + plainLen + (cipher === CipherId.None ? 4 : TAG_LENGTH);
}

/**
 * What a group commit's frames are sealed into, reused: every commit's bytes are written by the caller before
 * the next seal, and a fresh buffer per commit was as much garbage as the records themselves (a block's
 * worth of bytes per commit, freed only by the next collection, which on a large machine comes late).
 */
let scratch = new Uint8Array(0);
/** A commit larger than this gets a buffer of its own, so one burst of big messages is not held for good. */
const SCRATCH_MAX = 256 * 1024;

/**
 * Seals `blocks` as consecutive frames into one buffer (one write syscall), using nonce counters from
 * `counter` on. Returns the buffer and each frame's length. The buffer is valid only until the next call:
 * write it at once.
 */
export function sealFrames(
  blocks: readonly PendingBlock[],
  k: FrameKey,
  counter: number,
  observe?: SealObserver,
): { bytes: Uint8Array; lengths: number[] } {
  let total = 0;
  const lengths = blocks.map((b) => frameLength(k.cipher, b.buf.length));
  for (const n of lengths) total += n;
  let out: Uint8Array;
  if (total > SCRATCH_MAX) out = new Uint8Array(total);
  else {
    if (scratch.length < total) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(total, 2 * scratch.length)));
    out = scratch.subarray(0, total);
  }
  const v = view(out);
  const nlen = nonceLength(k.cipher);
  let at = 0;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    out[at] = 0x4e;
    out[at + 1] = 0x46;
    out[at + 2] = FRAME_VERSION;
    out[at + 3] = k.cipher;
    v.setUint32(at + 4, k.keyId, true);
    v.setUint32(at + 8, lengths[i] - FRAME_HEADER - nlen, true);
    putU64(v, at + 12, b.first);
    putU64(v, at + 20, b.last);
    const body = at + FRAME_HEADER + nlen;
    if (nlen > 0) {
      // The nonce is the counter and zeros; the reused buffer holds an earlier commit's bytes there.
      out.fill(0, at + FRAME_HEADER, body);
      putU64(v, at + FRAME_HEADER, counter + i);
    }
    v.setUint32(at + 28, headerCrc(out, at, nlen), true);
    if (k.cipher === CipherId.None) {
      out.set(b.buf, body);
      v.setUint32(body + b.buf.length, crc32(b.buf), true);
    } else {
      const nonce = out.subarray(at + FRAME_HEADER, body);
      seal(k.cipher, k.key, nonce, out.subarray(at, at + 28), b.buf, out, body, observe);
    }
    at += lengths[i];
  }
  return { bytes: out, lengths };
}

function headerCrc(b: Uint8Array, at: number, nlen: number): number {
  const h = new Uint8Array(28 + nlen);
  h.set(b.subarray(at, at + 28));
  h.set(b.subarray(at + FRAME_HEADER, at + FRAME_HEADER + nlen), 28);
  return crc32c(h);
}

export interface FrameInfo {
  readonly version: number;
  readonly cipher: number;
  readonly keyId: number;
  readonly first: number;
  readonly last: number;
  readonly counter: number;
  /** Total bytes of the frame on disk. */
  readonly length: number;
}

export const FrameProblem = { Torn: "torn", BadHeader: "bad header" } as const;

/** Reads the frame header at `at`: its info, or why it cannot be used (a torn tail or a damaged header). */
export function frameInfo(b: Uint8Array, at: number): FrameInfo | typeof FrameProblem[keyof typeof FrameProblem] {
  const info = frameHeader(b, at);
  if (typeof info !== "string" && at + info.length > b.length) return FrameProblem.Torn;
  return info;
}

/** The frame header at `at` alone, even when the body runs past the end of `b` (a torn tail's sequences). */
export function frameHeader(b: Uint8Array, at: number): FrameInfo | typeof FrameProblem[keyof typeof FrameProblem] {
  if (b.length - at < FRAME_HEADER) return FrameProblem.Torn;
  const version = b[at + 2];
  if (b[at] !== 0x4e || b[at + 1] !== 0x46 || (version !== FRAME_VERSION && version !== FRAME_VERSION_CRC32C) || b[at + 3] > CipherId.XChaCha) {
    return FrameProblem.BadHeader;
  }
  const cipher = b[at + 3];
  const nlen = nonceLength(cipher);
  if (b.length - at < FRAME_HEADER + nlen) return FrameProblem.Torn;
  const v = view(b);
  if (v.getUint32(at + 28, true) !== headerCrc(b, at, nlen)) return FrameProblem.BadHeader;
  const length = FRAME_HEADER + nlen + v.getUint32(at + 8, true);
  return {
    version,
    cipher,
    keyId: v.getUint32(at + 4, true),
    first: getU64(v, at + 12),
    last: getU64(v, at + 20),
    counter: nlen > 0 ? getU64(v, at + FRAME_HEADER) : 0,
    length,
  };
}

/**
 * The plaintext records of the frame `f` (whose bytes start at `b[0]`); throws AuthError (encrypted) or
 * Error("checksum mismatch") (plaintext) when the body was altered.
 */
export function openFrame(b: Uint8Array, f: FrameInfo, key: Uint8Array): Uint8Array {
  const nlen = nonceLength(f.cipher);
  const body = b.subarray(FRAME_HEADER + nlen, f.length);
  if (f.cipher === CipherId.None) {
    const recs = body.subarray(0, body.length - 4);
    const sum = f.version === FRAME_VERSION_CRC32C ? crc32c(recs) : crc32(recs);
    if (view(body).getUint32(body.length - 4, true) !== sum) throw new Error("checksum mismatch");
    return recs;
  }
  return open(f.cipher, key, b.subarray(FRAME_HEADER, FRAME_HEADER + nlen), b.subarray(0, 28), body);
}
