/**
 * Segment compaction: replaces a finished segment by a new file holding only its live messages, the
 * tombstones that still matter and its floor, sealed under the current key with a new salt (so a new key
 * and nonces from 0). Crash-safe: write `<seg>.tmp`, fsync, rename over the segment, fsync the directory;
 * recovery deletes a leftover `.tmp`.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { SealObserver } from "./aead.ts";
import { encodeSegmentHeader, openFrame, sealFrames } from "./frame.ts";
import type { Keyring } from "./keyring.ts";
import { Purpose, randomSalt } from "./keys.ts";
import { msgAt, parseRecords, RecordType, RecordWriter } from "./records.ts";
import { walkFrames } from "./scan.ts";
import { fsyncDir } from "./sealed_file.ts";
import { Segment, type Tomb } from "./segment.ts";
import { storedMsgSize } from "../store.ts";

export interface RewriteRules {
  readonly ring: Keyring;
  readonly blockSize: number;
  /** Is this message of the segment still live (not removed, not below the stream floor)? */
  readonly keepMsg: (seq: number) => boolean;
  readonly keepTomb: (t: Tomb) => boolean;
  readonly observe?: SealObserver;
}

/** Writes the replacement file and returns its Segment, plus the bytes written. */
export function rewriteSegment(seg: Segment, r: RewriteRules): { next: Segment; written: number } {
  const cur = r.ring.current;
  const salt = randomSalt();
  const cipher = cur === null ? 0 : r.ring.cipher;
  const next = new Segment(seg.id, seg.path, cipher, cur?.id ?? 0, salt, cur === null ? new Uint8Array(0) : cur.fileKey(Purpose.Frames, cipher, salt));
  const w = new RecordWriter(r.blockSize);
  const old = new Uint8Array(readFileSync(seg.path)).subarray(0, seg.size);
  const kept: Tomb[] = [];
  let expect = 0;
  // Damaged blocks are skipped (they are already reported), not copied.
  walkFrames(old, (f, at) => {
    let recs: Uint8Array;
    try {
      recs = openFrame(old.subarray(at, at + f.length), f, seg.key);
    } catch {
      return;
    }
    parseRecords(recs, (rec, off) => {
      if (rec.type === RecordType.Msg) {
        if (!r.keepMsg(rec.seq)) return;
        const m = msgAt(recs, off);
        w.msg(m.seq, m.ts, m.subject, m.hdr, m.payload);
        if (expect > 0) for (let q = expect; q < rec.seq; q++) next.absent.add(q);
        expect = rec.seq + 1;
        next.addMsg(rec.seq, rec.subject, storedMsgSize(rec.subject, rec.hdrLen, rec.payLen));
      } else if (rec.type === RecordType.Tomb) {
        const t = { seq: rec.seq, size: rec.size, subject: rec.subject };
        if (r.keepTomb(t)) {
          w.tomb(t.seq, t.size, t.subject);
          kept.push(t);
        }
      }
    });
  }, () => {});
  if (seg.floor > 0) w.floor(seg.floor, seg.floorLast, seg.floorTs);
  const blocks = w.take();
  const header = encodeSegmentHeader(next);
  const { bytes, lengths } = sealFrames(blocks, next, 0, r.observe);
  const tmpPath = `${seg.path}.tmp`;
  const fd = openSync(tmpPath, "w");
  try {
    writeSync(fd, header, 0, header.length, 0);
    writeSync(fd, bytes, 0, bytes.length, header.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmpPath, seg.path);
  fsyncDir(dirname(seg.path));
  let off = header.length;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.seqs.length > 0) next.frames.push({ off, len: lengths[i], first: b.first, last: b.last });
    off += lengths[i];
  }
  next.size = off;
  next.counter = blocks.length;
  next.tombs = kept;
  next.floor = seg.floor;
  next.floorLast = seg.floorLast;
  next.floorTs = seg.floorTs;
  return { next, written: header.length + bytes.length };
}
