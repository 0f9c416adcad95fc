/**
 * Rebuilds a Segment from its file bytes (recovery without a usable summary, and the one segment the stream
 * floor cuts through). A frame that does not fit in the file is a torn tail; a frame whose header or body
 * fails its check is damaged and reported by sequence range, and scanning resumes at the next good header.
 */
import { type FrameInfo, frameHeader, FrameProblem, frameInfo, openFrame, SEGMENT_HEADER } from "./frame.ts";
import { parseRecords, RecordType } from "./records.ts";
import type { Segment } from "./segment.ts";
import { storedMsgSize } from "../store.ts";

export interface Damage {
  readonly off: number;
  /** Length of the unreadable stretch of the file. */
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
  readonly reason: string;
}

export interface ScanResult {
  /** Bytes up to the end of the last complete frame. */
  readonly validLength: number;
  readonly damage: Damage[];
  /**
   * The sequences of a frame cut short at the end of the file, when its header survived: they were handed
   * out, so the stream must not give them to new messages.
   */
  readonly torn: { readonly first: number; readonly last: number } | null;
}

/**
 * Walks the frames of a whole segment file: `frame` gets each frame whose header checks out, `damaged`
 * each stretch with an unreadable header. Returns the end of the last complete frame.
 */
export function walkFrames(
  b: Uint8Array,
  frame: (f: FrameInfo, at: number) => void,
  damaged: (at: number, end: number, nextFirst: number) => void,
): number {
  let at = SEGMENT_HEADER;
  while (at < b.length) {
    const info = frameInfo(b, at);
    if (info === FrameProblem.Torn) return at;
    if (info === FrameProblem.BadHeader) {
      const next = resync(b, at + 1);
      damaged(at, next === -1 ? b.length : next, next === -1 ? 0 : (frameInfo(b, next) as FrameInfo).first);
      if (next === -1) return b.length;
      at = next;
      continue;
    }
    frame(info, at);
    at += info.length;
  }
  return at;
}

/**
 * Fills `seg` from `b` (the whole file). Messages below `floor` or in `removed` (sequences the stream has
 * already removed, when a segment is read again) are recorded as present but not live.
 */
export function scanSegment(seg: Segment, b: Uint8Array, floor: number, removed?: { has(seq: number): boolean }): ScanResult {
  const damage: Damage[] = [];
  let prevLast = 0;
  // Sequences missing between records (dropped by an earlier rewrite, or in a damaged block) are absent.
  let expect = 0;
  const present = (seq: number) => {
    if (expect > 0) for (let s = expect; s < seq; s++) seg.absent.add(s);
    expect = seq + 1;
  };
  const validLength = walkFrames(b, (f, at) => {
    let recs: Uint8Array;
    try {
      recs = openFrame(b.subarray(at, at + f.length), f, seg.key);
    } catch (err) {
      damage.push({ off: at, bytes: f.length, first: f.first, last: f.last, reason: (err as Error).message });
      if (f.first > 0) {
        present(f.first);
        for (let s = f.first; s <= f.last; s++) seg.absent.add(s);
        expect = f.last + 1;
        prevLast = f.last;
      }
      return;
    }
    parseRecords(recs, (r) => {
      if (r.type === RecordType.Msg) {
        present(r.seq);
        const size = storedMsgSize(r.subject, r.hdrLen, r.payLen);
        if (r.seq >= floor && removed?.has(r.seq) !== true) seg.addMsg(r.seq, r.subject, size);
        else {
          if (r.seq >= floor) seg.dmap.add(r.seq);
          if (seg.first === 0) seg.first = r.seq;
          seg.last = r.seq;
          seg.writtenBytes += size;
        }
      } else if (r.type === RecordType.Tomb) {
        seg.tombs.push({ seq: r.seq, size: r.size, subject: r.subject });
      } else {
        seg.floor = Math.max(seg.floor, r.first);
        if (r.last >= seg.floorLast) {
          seg.floorLast = r.last;
          seg.floorTs = r.lastTs;
        }
      }
    });
    if (f.first > 0) {
      seg.frames.push({ off: at, len: f.length, first: f.first, last: f.last });
      prevLast = f.last;
    }
    seg.counter = Math.max(seg.counter, f.counter + 1);
  }, (at, end, nextFirst) => {
    damage.push({ off: at, bytes: end - at, first: prevLast + 1, last: nextFirst > 0 ? nextFirst - 1 : 0, reason: "damaged block header" });
  });
  return { validLength, damage, torn: tornFrame(b, validLength) };
}

function tornFrame(b: Uint8Array, at: number): { first: number; last: number } | null {
  if (at >= b.length) return null;
  const info = frameHeader(b, at);
  return typeof info === "string" || info.first === 0 ? null : { first: info.first, last: info.last };
}

/** Offset of the next frame header that checks out, or -1. */
function resync(b: Uint8Array, from: number): number {
  for (let p = from; p + 1 < b.length; p++) {
    if (b[p] === 0x4e && b[p + 1] === 0x46 && typeof frameInfo(b, p) !== "string") return p;
  }
  return -1;
}
