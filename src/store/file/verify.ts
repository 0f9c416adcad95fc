/**
 * Checking a stream directory the way `natsedge store verify` does: the key check, every metadata file and
 * every block of every segment are read and checked (a summary that matches hides nothing), and nothing is
 * written. Lists what opening the store with `repair` (filestore.ts) would do about what it found.
 */
import { join } from "node:path";
import { type Cipher, cipherId, defaultCipher } from "./aead.ts";
import { KeyFileAction, openKeyring } from "./keyring.ts";
import { loadMeta } from "./meta_files.ts";
import { recoverSegments } from "./recover.ts";
import { segmentFileName } from "./segment.ts";

export interface VerifyKeys {
  readonly key?: string;
  readonly prevKey?: string;
  readonly cipher?: Cipher;
}

/** An unreadable stretch of a segment file. `first`/`last` are 0 where the damage hides them. */
export interface UnreadableStretch {
  readonly first: number;
  readonly last: number;
  /** Sequences in first..last at or above the stream floor: messages lost unless removed before. */
  readonly msgs: number;
  readonly bytes: number;
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
}

export interface StreamVerification {
  /** Messages that read back fine, and their stored size. */
  readonly msgs: number;
  readonly bytes: number;
  readonly lastSeq: number;
  /** False for a directory without stream metadata (the server skips it). */
  readonly hasMeta: boolean;
  readonly damage: readonly UnreadableStretch[];
  /** What opening the store to repair it would do, in words; empty when there is nothing to do. */
  readonly repairs: readonly string[];
}

/** Throws StoreKeyError for a wrong or missing key, StoreError for an unreadable key check or metadata file. */
export function verifyStream(dir: string, name: string, keys: VerifyKeys): StreamVerification {
  const cipher = keys.key ? cipherId(keys.cipher ?? defaultCipher()) : 0;
  const ring = openKeyring(dir, name, { key: keys.key, prevKey: keys.prevKey, cipher });
  const meta = loadMeta(dir, name, ring);
  const rec = recoverSegments(join(dir, "msgs"), name, ring, { scanAll: true });
  const floor = rec.floor;
  const inRange = (first: number, last: number) => (first > 0 && last > 0 ? Math.max(0, last - Math.max(first, floor) + 1) : 0);
  const damage: UnreadableStretch[] = [];
  for (const d of rec.damaged) {
    damage.push({ first: d.first, last: d.last, msgs: inRange(d.first, d.last), bytes: d.bytes, file: segmentFileName(d.segment), offset: d.offset, reason: d.reason });
  }
  for (const t of rec.torn) {
    damage.push({ first: t.first, last: t.last, msgs: inRange(t.first, t.last), bytes: t.bytes, file: segmentFileName(t.seg.id), offset: t.length, reason: "torn write" });
  }
  damage.sort((a, b) => a.file.localeCompare(b.file) || a.offset - b.offset);

  const repairs: string[] = [];
  for (const f of rec.junk) repairs.push(`remove the leftover file ${f}`);
  for (const f of rec.unreadable) repairs.push(`set ${f} aside as ${f}.damaged (its header is unreadable, its messages unknown)`);
  for (const t of rec.torn) repairs.push(`truncate ${segmentFileName(t.seg.id)} at offset ${t.length}, dropping ${t.bytes} bytes of a torn write`);
  const damagedSegs = new Set(rec.damaged.map((d) => d.segment));
  for (const s of rec.segs) {
    const file = segmentFileName(s.id);
    if (damagedSegs.has(s.id)) repairs.push(`rewrite ${file} without its damaged blocks (their sequences count as deleted)`);
    else if (ring.current !== null && s.keyId !== 0 && s.keyId !== ring.current.id) repairs.push(`re-seal ${file} under the current key`);
    else if (rec.unsummarized.has(s)) repairs.push(`write the summary of ${file} (missing or out of date)`);
  }
  if (ring.action === KeyFileAction.Create) repairs.push("write key.chk for the configured key");
  if (ring.action === KeyFileAction.Rotate) repairs.push("rewrite key.chk for the current key (prev_key still matches it)");
  if (meta.stale.length > 0) repairs.push(`re-seal ${meta.stale.length} metadata file(s) under the current key`);

  let msgs = 0;
  let bytes = 0;
  let lastSeq = rec.floorLast;
  for (const s of rec.segs) {
    msgs += s.msgs;
    bytes += s.bytes;
    lastSeq = Math.max(lastSeq, s.last);
    s.close();
  }
  for (const d of damage) lastSeq = Math.max(lastSeq, d.last);
  return { msgs, bytes, lastSeq, hasMeta: meta.stream !== null, damage, repairs };
}
