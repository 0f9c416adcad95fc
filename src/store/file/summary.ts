/**
 * Segment summaries (`<id>.sum`): what recovery needs from a finished segment without reading it — frame
 * table, per-subject counts and bounds, sequences missing from the file, tombstones and floor. Written when a
 * segment is finished (rolled over, rewritten, or at close), sealed like metadata, and used only when its
 * segment salt and size match the segment file; anything else sends recovery back to scanning the segment.
 * Counts are live as of the summary, with the removals already applied listed in `dmap`, so recovery applies
 * only the tombstones it does not list (and rescans the one segment the stream floor cuts through).
 * A summary is never rewritten for removals: an open store reads a finished segment's frame table and counts
 * back from it when it unloaded them (index_cache.ts), and the segment takes off what it removed since.
 */
import { join } from "node:path";
import type { SealObserver } from "./aead.ts";
import { decodeString, getU64, putU64, utf8, view } from "./bytes.ts";
import { keyFor, type Keyring } from "./keyring.ts";
import { Purpose, SALT_LENGTH } from "./keys.ts";
import { encodeSealedFile, openSealedFile, parseSealedFile, readFileOrNull, writeFileAtomic } from "./sealed_file.ts";
import { type FrameRef, type IndexPart, type SegSubject, type Segment, type SegmentIndex, summaryFileName, type Tomb } from "./segment.ts";

export const SUMMARY_MAGIC = "NESM";

export interface Summary {
  readonly salt: Uint8Array;
  readonly size: number;
  readonly counter: number;
  readonly frames: FrameRef[];
  readonly first: number;
  readonly last: number;
  readonly msgs: number;
  readonly bytes: number;
  readonly writtenBytes: number;
  readonly dmap: number[];
  readonly absent: number[];
  readonly subjects: Map<string, SegSubject>;
  readonly tombs: Tomb[];
  readonly floor: number;
  readonly floorLast: number;
  readonly floorTs: number;
}

class Out {
  buf = new Uint8Array(1024);
  v = view(this.buf);
  len = 0;
  #need(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.v = view(next);
    }
    const at = this.len;
    this.len += n;
    return at;
  }
  // Reserve before touching `v`/`buf`: #need may replace them.
  u16(n: number): void {
    const at = this.#need(2);
    this.v.setUint16(at, n, true);
  }
  u32(n: number): void {
    const at = this.#need(4);
    this.v.setUint32(at, n, true);
  }
  u64(n: number): void {
    const at = this.#need(8);
    putU64(this.v, at, n);
  }
  bytes(b: Uint8Array): void {
    const at = this.#need(b.length);
    this.buf.set(b, at);
  }
  str(s: string): void {
    const b = utf8(s);
    this.u16(b.length);
    this.bytes(b);
  }
}

class In {
  readonly v: DataView;
  p = 0;
  constructor(readonly b: Uint8Array) {
    this.v = view(b);
  }
  #at(n: number): number {
    if (this.p + n > this.b.length) throw new Error("summary truncated");
    const at = this.p;
    this.p += n;
    return at;
  }
  u16(): number {
    return this.v.getUint16(this.#at(2), true);
  }
  u32(): number {
    return this.v.getUint32(this.#at(4), true);
  }
  u64(): number {
    return getU64(this.v, this.#at(8));
  }
  bytes(n: number): Uint8Array {
    const at = this.#at(n);
    return this.b.slice(at, at + n);
  }
  str(): string {
    const n = this.u16();
    return decodeString(this.b, this.#at(n), n);
  }
}

export function encodeSummary(s: Summary): Uint8Array {
  const o = new Out();
  o.bytes(s.salt);
  o.u64(s.size);
  o.u64(s.counter);
  o.u64(s.floor);
  o.u64(s.floorLast);
  o.u64(0);
  o.v.setFloat64(o.len - 8, s.floorTs, true);
  o.u32(s.frames.length);
  for (const f of s.frames) {
    o.u64(f.off);
    o.u32(f.len);
    o.u64(f.first);
    o.u64(f.last);
  }
  o.u64(s.first);
  o.u64(s.last);
  o.u64(s.msgs);
  o.u64(s.bytes);
  o.u64(s.writtenBytes);
  for (const list of [s.dmap, s.absent]) {
    o.u32(list.length);
    for (const seq of list) o.u64(seq);
  }
  o.u32(s.subjects.size);
  for (const [subject, ss] of s.subjects) {
    o.str(subject);
    o.u32(ss.msgs);
    o.u64(ss.first);
    o.u64(ss.last);
  }
  o.u32(s.tombs.length);
  for (const t of s.tombs) {
    o.u64(t.seq);
    o.u32(t.size);
    o.str(t.subject);
  }
  return o.buf.slice(0, o.len);
}

/** The summary's leading part: which segment file it describes, and the frame table. */
type SummaryHead = Pick<Summary, "salt" | "size" | "counter" | "floor" | "floorLast" | "floorTs" | "frames">;

function decodeHead(i: In): SummaryHead {
  const salt = i.bytes(SALT_LENGTH);
  const size = i.u64();
  const counter = i.u64();
  const floor = i.u64();
  const floorLast = i.u64();
  const floorTs = i.v.getFloat64(i.p, true);
  i.u64();
  const frames: FrameRef[] = [];
  for (let n = i.u32(); n > 0; n--) frames.push({ off: i.u64(), len: i.u32(), first: i.u64(), last: i.u64() });
  return { salt, size, counter, floor, floorLast, floorTs, frames };
}

export function decodeSummary(b: Uint8Array): Summary {
  const i = new In(b);
  const { salt, size, counter, floor, floorLast, floorTs, frames } = decodeHead(i);
  const first = i.u64();
  const last = i.u64();
  const msgs = i.u64();
  const bytes = i.u64();
  const writtenBytes = i.u64();
  const dmap: number[] = [];
  for (let n = i.u32(); n > 0; n--) dmap.push(i.u64());
  const absent: number[] = [];
  for (let n = i.u32(); n > 0; n--) absent.push(i.u64());
  const subjects = new Map<string, SegSubject>();
  for (let n = i.u32(); n > 0; n--) subjects.set(i.str(), { msgs: i.u32(), first: i.u64(), last: i.u64() });
  const tombs: Tomb[] = [];
  for (let n = i.u32(); n > 0; n--) tombs.push({ seq: i.u64(), size: i.u32(), subject: i.str() });
  if (i.p !== b.length) throw new Error("summary has trailing bytes");
  return { salt, size, counter, frames, first, last, msgs, bytes, writtenBytes, dmap, absent, subjects, tombs, floor, floorLast, floorTs };
}

/** Writes `seg`'s summary next to it (atomically); returns the bytes written. */
export function writeSummaryFile(dir: string, seg: Segment, ring: Keyring, observe?: SealObserver): number {
  const body = encodeSummary({
    salt: seg.salt,
    size: seg.size,
    counter: seg.counter,
    frames: seg.frames,
    first: seg.first,
    last: seg.last,
    msgs: seg.msgs,
    bytes: seg.bytes,
    writtenBytes: seg.writtenBytes,
    dmap: [...seg.dmap],
    absent: [...seg.absent],
    subjects: seg.fss,
    tombs: seg.tombs,
    floor: seg.floor,
    floorLast: seg.floorLast,
    floorTs: seg.floorTs,
  });
  const file = encodeSealedFile(SUMMARY_MAGIC, body, { key: ring.current, cipher: ring.cipher, purpose: Purpose.Summary, observe });
  writeFileAtomic(join(dir, summaryFileName(seg.id)), file);
  seg.summarized();
  return file.length;
}

/**
 * `seg`'s summary when there is one and it matches the segment file (salt and size), else null; with
 * `framesOnly` decoded only as far as the frame table (decoding a thousand subjects costs ten times more).
 */
function readSummary(dir: string, seg: Segment, fileSize: number, ring: Keyring, framesOnly: true): SummaryHead | null;
function readSummary(dir: string, seg: Segment, fileSize: number, ring: Keyring, framesOnly?: false): Summary | null;
function readSummary(dir: string, seg: Segment, fileSize: number, ring: Keyring, framesOnly = false): SummaryHead | null {
  const path = join(dir, summaryFileName(seg.id));
  const raw = readFileOrNull(path);
  if (raw === null) return null;
  let s: SummaryHead;
  try {
    const f = parseSealedFile(path, SUMMARY_MAGIC, raw);
    const key = keyFor(ring, f.keyId);
    if (key === undefined) return null;
    const body = openSealedFile(f, key, Purpose.Summary);
    s = framesOnly ? decodeHead(new In(body)) : decodeSummary(body);
  } catch {
    // A damaged, foreign or stale summary only costs a scan.
    return null;
  }
  return s.size === fileSize && s.salt.every((b, i) => b === seg.salt[i]) ? s : null;
}

/** Fills `seg` from its summary when the summary matches the segment file (salt and size); false otherwise. */
export function loadSummaryInto(dir: string, seg: Segment, fileSize: number, ring: Keyring): boolean {
  const s = readSummary(dir, seg, fileSize, ring);
  if (s === null) return false;
  seg.size = s.size;
  seg.counter = s.counter;
  seg.frames = s.frames;
  seg.first = s.first;
  seg.last = s.last;
  seg.msgs = s.msgs;
  seg.bytes = s.bytes;
  seg.writtenBytes = s.writtenBytes;
  for (const q of s.dmap) seg.dmap.add(q);
  for (const q of s.absent) seg.absent.add(q);
  for (const [subject, ss] of s.subjects) seg.fss.set(subject, ss);
  seg.tombs = s.tombs;
  seg.floor = s.floor;
  seg.floorLast = s.floorLast;
  seg.floorTs = s.floorTs;
  seg.summarized();
  return true;
}

/**
 * Part of a finished segment's index read back from its summary: the frame table, or the per-subject counts
 * as the summary has them (the segment takes off what was removed since) with the tombstones. Null when the summary is gone or
 * no longer matches.
 */
export function readSummaryIndex(dir: string, seg: Segment, ring: Keyring, part: IndexPart): SegmentIndex | null {
  if (part === "frames") {
    const h = readSummary(dir, seg, seg.size, ring, true);
    return h === null ? null : { frames: h.frames, fss: null, tombs: null, live: false };
  }
  const s = readSummary(dir, seg, seg.size, ring);
  return s === null ? null : { frames: null, fss: s.subjects, tombs: s.tombs, live: false };
}
