/**
 * Records, the plaintext inside a block, little-endian:
 *
 *   MSG   1 · seq u64 · ts f64 (ms) · subject length u16 · header length u32 · payload length u32 · subject ·
 *         headers · payload                                                           (27 bytes + data)
 *   TOMB  2 · seq u64 · stored size u32 · subject length u16 · subject   (an interior delete; carries the
 *         subject and size so recovery can fix per-subject counts without reading the deleted message)
 *   FLOOR 3 · first seq u64 · last seq u64 · last ts f64  (everything below `first` is gone; sequences
 *         reached `last`, stored at `last ts`.
 *         Written by purge/compact/discard-old, and first in every new segment so the newest segment always
 *         knows where the stream stands even when every message has been removed)
 *
 * `RecordWriter` accumulates records and cuts them into blocks of at most `blockSize` bytes at record
 * boundaries, remembering each block's message sequences and offsets so a just-written block can go straight
 * into the read cache.
 */
import { decodeString, getU64, nonAscii, putU64, view, writeAscii } from "./bytes.ts";

export const RecordType = { Msg: 1, Tomb: 2, Floor: 3 } as const;

export const MSG_HEADER = 27;
const TOMB_HEADER = 15;
const FLOOR_SIZE = 25;

/** One block's worth of records and an index of its messages. */
export interface Block {
  buf: Uint8Array;
  /** Message sequences in the block, ascending, and each record's offset in `buf`. */
  seqs: number[];
  offs: number[];
}

export interface PendingBlock extends Block {
  first: number;
  last: number;
}

export class RecordWriter {
  #buf: Uint8Array;
  #v: DataView;
  #len = 0;
  #start = 0;
  #seqs: number[] = [];
  #offs: number[] = [];
  #blocks: PendingBlock[] = [];
  readonly #blockSize: number;

  constructor(blockSize: number) {
    this.#blockSize = blockSize;
    this.#buf = new Uint8Array(Math.max(4096, blockSize * 2));
    this.#v = view(this.#buf);
  }

  get empty(): boolean {
    return this.#len === 0;
  }

  msg(seq: number, ts: number, subject: string, hdr: Uint8Array, payload: Uint8Array): void {
    const wide = nonAscii(subject);
    const slen = wide === null ? subject.length : wide.length;
    const at = this.#reserve(MSG_HEADER + slen + hdr.length + payload.length);
    const b = this.#buf;
    const v = this.#v;
    b[at] = RecordType.Msg;
    putU64(v, at + 1, seq);
    v.setFloat64(at + 9, ts, true);
    v.setUint16(at + 17, slen, true);
    v.setUint32(at + 19, hdr.length, true);
    v.setUint32(at + 23, payload.length, true);
    let p = at + MSG_HEADER;
    if (wide === null) writeAscii(b, p, subject);
    else b.set(wide, p);
    p += slen;
    if (hdr.length > 0) b.set(hdr, p);
    b.set(payload, p + hdr.length);
    this.#seqs.push(seq);
    this.#offs.push(at - this.#start);
    this.#cut();
  }

  tomb(seq: number, size: number, subject: string): void {
    const wide = nonAscii(subject);
    const slen = wide === null ? subject.length : wide.length;
    const at = this.#reserve(TOMB_HEADER + slen);
    this.#buf[at] = RecordType.Tomb;
    putU64(this.#v, at + 1, seq);
    this.#v.setUint32(at + 9, size, true);
    this.#v.setUint16(at + 13, slen, true);
    if (wide === null) writeAscii(this.#buf, at + TOMB_HEADER, subject);
    else this.#buf.set(wide, at + TOMB_HEADER);
    this.#cut();
  }

  floor(first: number, last: number, lastTs: number): void {
    const at = this.#reserve(FLOOR_SIZE);
    this.#buf[at] = RecordType.Floor;
    putU64(this.#v, at + 1, first);
    putU64(this.#v, at + 9, last);
    this.#v.setFloat64(at + 17, lastTs, true);
    this.#cut();
  }

  /** Blocks not yet taken, the open one included (as a view that later records may extend). */
  pending(): PendingBlock[] {
    const out = [...this.#blocks];
    if (this.#seqs.length > 0) {
      const seqs = this.#seqs;
      const start = this.#start;
      out.push({ buf: this.#buf.subarray(start, this.#len), seqs, offs: this.#offs, first: seqs[0], last: seqs[seqs.length - 1] });
    }
    return out;
  }

  /** The blocks written since the last take, each with its own copy of the bytes. */
  take(): PendingBlock[] {
    this.#close();
    const out = this.#blocks;
    this.#blocks = [];
    this.#len = 0;
    this.#start = 0;
    return out;
  }

  #reserve(n: number): number {
    if (this.#len + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
      this.#v = view(next);
    }
    const at = this.#len;
    this.#len += n;
    return at;
  }

  #cut(): void {
    if (this.#len - this.#start >= this.#blockSize) this.#close();
  }

  #close(): void {
    if (this.#len === this.#start) return;
    const seqs = this.#seqs;
    this.#blocks.push({
      buf: this.#buf.slice(this.#start, this.#len),
      seqs,
      offs: this.#offs,
      first: seqs.length > 0 ? seqs[0] : 0,
      last: seqs.length > 0 ? seqs[seqs.length - 1] : 0,
    });
    this.#seqs = [];
    this.#offs = [];
    this.#start = this.#len;
  }
}

export interface MsgRecord {
  readonly type: 1;
  readonly seq: number;
  readonly ts: number;
  readonly subject: string;
  readonly hdrOff: number;
  readonly hdrLen: number;
  readonly payLen: number;
  readonly size: number;
}

export type ParsedRecord =
  | MsgRecord
  | { readonly type: 2; readonly seq: number; readonly size: number; readonly subject: string }
  | { readonly type: 3; readonly first: number; readonly last: number; readonly lastTs: number };

/** The size of the record at `p`, or 0 when no whole record starts there (a malformed or torn block). */
function recordSize(buf: Uint8Array, v: DataView, p: number): number {
  const room = buf.length - p;
  let size = 0;
  switch (buf[p]) {
    case RecordType.Msg:
      if (room >= MSG_HEADER) size = MSG_HEADER + v.getUint16(p + 17, true) + v.getUint32(p + 19, true) + v.getUint32(p + 23, true);
      break;
    case RecordType.Tomb:
      if (room >= TOMB_HEADER) size = TOMB_HEADER + v.getUint16(p + 13, true);
      break;
    case RecordType.Floor:
      size = FLOOR_SIZE;
      break;
  }
  return size <= room ? size : 0;
}

function malformed(p: number, len: number): Error {
  return new Error(`malformed record at offset ${p} of a ${len}-byte block`);
}

/** Walks the records of a block; throws on a malformed record (only possible with a broken writer). */
export function parseRecords(buf: Uint8Array, visit: (r: ParsedRecord, off: number) => void): void {
  const v = view(buf);
  let p = 0;
  while (p < buf.length) {
    const size = recordSize(buf, v, p);
    if (size === 0) throw malformed(p, buf.length);
    const type = buf[p];
    if (type === RecordType.Msg) {
      const slen = v.getUint16(p + 17, true);
      visit({
        type,
        seq: getU64(v, p + 1),
        ts: v.getFloat64(p + 9, true),
        subject: decodeString(buf, p + MSG_HEADER, slen),
        hdrOff: p + MSG_HEADER + slen,
        hdrLen: v.getUint32(p + 19, true),
        payLen: v.getUint32(p + 23, true),
        size,
      }, p);
    } else if (type === RecordType.Tomb) {
      visit({ type, seq: getU64(v, p + 1), size: v.getUint32(p + 9, true), subject: decodeString(buf, p + TOMB_HEADER, size - TOMB_HEADER) }, p);
    } else {
      visit({ type: RecordType.Floor, first: getU64(v, p + 1), last: getU64(v, p + 9), lastTs: v.getFloat64(p + 17, true) }, p);
    }
    p += size;
  }
}

/**
 * Index of the message records of a block, for the read cache. It reads only types, lengths and sequences:
 * every block a consumer reads goes through here, and decoding each subject (as parseRecords does) cost more
 * than the rest of indexing.
 */
export function indexBlock(buf: Uint8Array): Block {
  const seqs: number[] = [];
  const offs: number[] = [];
  const v = view(buf);
  let p = 0;
  while (p < buf.length) {
    const size = recordSize(buf, v, p);
    if (size === 0) throw malformed(p, buf.length);
    if (buf[p] === RecordType.Msg) {
      seqs.push(getU64(v, p + 1));
      offs.push(p);
    }
    p += size;
  }
  return { buf, seqs, offs };
}

/**
 * Consumers read a block's messages one after another, and most streams repeat a few subjects: the view of
 * the last block read and the last subject decoded are kept, which saves a DataView and a string per message.
 */
let lastBuf: Uint8Array | null = null;
let lastView: DataView | null = null;
const lastSubjectBytes = new Uint8Array(256);
let lastSubjectLen = -1;
let lastSubject = "";

function blockView(buf: Uint8Array): DataView {
  if (buf !== lastBuf) {
    lastBuf = buf;
    lastView = view(buf);
  }
  return lastView!;
}

function subjectFrom(buf: Uint8Array, off: number, len: number): string {
  if (len === lastSubjectLen) {
    let i = 0;
    while (i < len && buf[off + i] === lastSubjectBytes[i]) i++;
    if (i === len) return lastSubject;
  }
  const s = decodeString(buf, off, len);
  if (len <= lastSubjectBytes.length) {
    lastSubjectBytes.set(buf.subarray(off, off + len));
    lastSubjectLen = len;
    lastSubject = s;
  }
  return s;
}

/** Decodes the message record at `off` (views into `buf`, not copies). */
export function msgAt(buf: Uint8Array, off: number): { seq: number; ts: number; subject: string; hdr: Uint8Array; payload: Uint8Array } {
  const v = blockView(buf);
  const slen = v.getUint16(off + 17, true);
  const hdrLen = v.getUint32(off + 19, true);
  const payLen = v.getUint32(off + 23, true);
  const h = off + MSG_HEADER + slen;
  return {
    seq: getU64(v, off + 1),
    ts: v.getFloat64(off + 9, true),
    subject: subjectFrom(buf, off + MSG_HEADER, slen),
    hdr: hdrLen === 0 ? NO_HEADERS : buf.subarray(h, h + hdrLen),
    payload: buf.subarray(h + hdrLen, h + hdrLen + payLen),
  };
}

/** Shared by every message without headers (most of them): one view fewer per message read. */
const NO_HEADERS = new Uint8Array(0);

/** The subject of the message record at `off`, without decoding the rest. */
export function subjectAt(buf: Uint8Array, off: number): string {
  return subjectFrom(buf, off + MSG_HEADER, buf[off + 17] | (buf[off + 18] << 8));
}
