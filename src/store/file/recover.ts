/**
 * Reading a stream directory back: every segment from its summary when the summary matches, by a scan
 * otherwise (or always, to verify every block); then the stream floor (the one segment it cuts through is
 * scanned again with it applied) and the tombstones. Writes nothing: what needs fixing (torn tails,
 * leftovers, missing summaries) is returned for the store to do once it is allowed to write.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { decodeSegmentHeader, SEGMENT_HEADER } from "./frame.ts";
import { keyFor, type Keyring, unknownKeyError } from "./keyring.ts";
import { Purpose } from "./keys.ts";
import { scanSegment } from "./scan.ts";
import { Segment, segmentFor } from "./segment.ts";
import { loadSummaryInto } from "./summary.ts";
import type { DamagedBlock, LostRange } from "../store.ts";

export interface Recovered {
  readonly segs: Segment[];
  /** Everything below is gone. */
  readonly floor: number;
  /** Highest sequence a FLOOR record vouches for, and its time (messages may go higher). */
  readonly floorLast: number;
  readonly floorTs: number;
  /** Segments to cut at `length`; `first`..`last` are the sequences of the frame cut off, when its header says. */
  readonly torn: { readonly seg: Segment; readonly length: number; readonly bytes: number; readonly first: number; readonly last: number }[];
  readonly unsummarized: Set<Segment>;
  /** Segment files whose header is unreadable: not in `segs`, their messages unknown. */
  readonly unreadable: string[];
  /** Leftover temporary files and segments cut short at creation. */
  readonly junk: string[];
  readonly damaged: DamagedBlock[];
  readonly lost: LostRange[];
}

export interface RecoverOptions {
  /** Read every block, summaries or not: damage a matching summary hides is found (and cannot be missed). */
  readonly scanAll?: boolean;
}

export function recoverSegments(msgsDir: string, stream: string, ring: Keyring, o: RecoverOptions = {}): Recovered {
  const segs: Segment[] = [];
  const torn: { seg: Segment; length: number; bytes: number; first: number; last: number }[] = [];
  const unsummarized = new Set<Segment>();
  const junk: string[] = [];
  const unreadable: string[] = [];
  const damaged: DamagedBlock[] = [];
  const lost: LostRange[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(msgsDir).sort();
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
  for (const file of files) {
    if (file.endsWith(".tmp")) junk.push(file);
    if (!file.endsWith(".seg")) continue;
    const id = Number(file.slice(0, -4));
    const path = join(msgsDir, file);
    // Only the header and the size: a segment with a matching summary is not read at all.
    const { head, size } = readHead(path);
    const h = decodeSegmentHeader(head);
    if (h === null) {
      // A segment whose creation was cut short has no complete header and holds nothing.
      if (size < SEGMENT_HEADER) junk.push(file);
      else {
        unreadable.push(file);
        damaged.push({ segment: id, offset: 0, bytes: size, first: 0, last: 0, reason: "damaged segment header" });
      }
      continue;
    }
    const key = keyFor(ring, h.keyId);
    if (key === undefined) throw unknownKeyError(stream, ring, `segment ${file}`);
    const seg = new Segment(id, path, h.cipher, h.keyId, h.salt, key === null ? new Uint8Array(0) : key.fileKey(Purpose.Frames, h.cipher, h.salt));
    // When scanning anyway, the summary is only checked (into a scratch copy): is it there and does it match?
    const into = o.scanAll === true ? new Segment(id, path, seg.cipher, seg.keyId, seg.salt, seg.key) : seg;
    const summarized = loadSummaryInto(msgsDir, into, size, ring);
    if (!summarized) unsummarized.add(seg);
    if (!summarized || o.scanAll === true) {
      const bytes = new Uint8Array(readFileSync(path));
      const r = scanSegment(seg, bytes, 0);
      seg.size = r.validLength;
      if (r.validLength < bytes.length) torn.push({ seg, length: r.validLength, bytes: bytes.length - r.validLength, first: r.torn?.first ?? 0, last: r.torn?.last ?? 0 });
      for (const d of r.damage) damaged.push({ segment: id, offset: d.off, bytes: d.bytes, first: d.first, last: d.last, reason: d.reason });
    }
    segs.push(seg);
  }
  let floor = 1;
  let floorLast = 0;
  let floorTs = 0;
  for (const s of segs) {
    floor = Math.max(floor, s.floor);
    if (s.floorLast >= floorLast) {
      floorLast = s.floorLast;
      floorTs = s.floorTs;
    }
  }
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s.first > 0 && s.first < floor && s.last >= floor) {
      // The floor cuts through this segment: read it again, counting only what is at or above the floor.
      const again = new Segment(s.id, s.path, s.cipher, s.keyId, s.salt, s.key);
      const r = scanSegment(again, new Uint8Array(readFileSync(s.path)).subarray(0, s.size), floor);
      again.size = r.validLength;
      segs[i] = again;
      unsummarized.delete(s);
      unsummarized.add(again);
    } else if (s.last < floor) {
      s.msgs = 0;
      s.bytes = 0;
      s.fss.clear();
    }
  }
  // Tombstones not yet applied (a summary lists the removals it already counted in its dmap).
  for (const s of segs) {
    for (const t of s.tombs) {
      const target = segmentFor(segs, t.seq);
      if (target === undefined || t.seq < floor || !target.has(t.seq)) continue;
      target.dmap.add(t.seq);
      target.dropMsg(t.subject, t.size);
    }
  }
  for (const d of damaged) {
    if (d.first === 0 || d.last < floor) continue;
    const msgs: number[] = [];
    for (let q = Math.max(d.first, floor); q <= d.last; q++) msgs.push(q);
    lost.push({ first: d.first, last: d.last, reason: `segment ${d.segment} at offset ${d.offset}: ${d.reason}`, msgs, bytes: d.bytes });
  }
  for (const t of torn) {
    if (t.first === 0 || t.last < floor) continue;
    const msgs: number[] = [];
    for (let q = Math.max(t.first, floor); q <= t.last; q++) msgs.push(q);
    lost.push({ first: t.first, last: t.last, reason: `segment ${t.seg.id} at offset ${t.length}: torn write`, msgs, bytes: t.bytes });
  }
  return { segs, floor, floorLast, floorTs, torn, unsummarized, unreadable, junk, damaged, lost };
}

function readHead(path: string): { head: Uint8Array; size: number } {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(SEGMENT_HEADER);
    const n = readSync(fd, head, 0, SEGMENT_HEADER, 0);
    return { head: head.subarray(0, n), size: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}
