/**
 * Encodes a message for a leaf connection (nats-server's msgHeaderForRouteOrLeaf): `LMSG`, or `HMSG` when it
 * has headers and the link carries them, with no sid and the queue groups the link was picked for:
 * `LMSG <subject> [<reply> | + <reply> <queue>... | \| <queue>...] <size>`.
 */
import type { Outbound } from "../connection/outbound.ts";
import { copyInto, writeDecimal } from "../protocol/encode.ts";
import type { PubArg } from "../protocol/parser.ts";
import { copyBytes } from "../runtime/bytes.ts";

const encoder = new TextEncoder();

/**
 * The op that starts a message line, with and without headers: a route's names the account after it
 * (`RMSG $G `), the one place its line differs from a leaf's.
 */
export interface MsgOps {
  readonly plain: Uint8Array;
  readonly headers: Uint8Array;
}

export const LEAF_OPS: MsgOps = { plain: encoder.encode("LMSG "), headers: encoder.encode("HMSG ") };

/** Where writeLeafMsg put the control line (for tracing) and the payload size it wrote; reused per call. */
export interface LeafMsgWritten {
  lineStart: number;
  lineEnd: number;
  size: number;
}

const written: LeafMsgWritten = { lineStart: 0, lineEnd: 0, size: 0 };

/**
 * Appends one message to `out`; the payload followed by CRLF is buf[start, start + pa.size + 2). `routeSubject`, when given, is
 * the subject the message was routed on and differs from pa's (a JetStream delivery to an inbox): the LMSG
 * carries it, and the reply gets `@<pa's subject>` so the far side can restore what its client sees
 * (nats-server's msgHeaderForRouteOrLeaf). The result is only valid until the next call.
 */
export function writeLeafMsg(
  out: Outbound,
  pa: PubArg,
  buf: Uint8Array,
  start: number,
  queues: readonly string[],
  headers: boolean,
  routeSubject: Uint8Array | null = null,
  ops: MsgOps = LEAF_OPS,
): LeafMsgWritten {
  let hdr = pa.hdr;
  let size = pa.size;
  let pstart = 0;
  if (hdr >= 0 && !headers) {
    // A peer without headers gets the payload alone (nats-server strips the header block).
    pstart = hdr;
    size -= hdr;
    hdr = -1;
  }
  const ab = pa.buf;
  const paSubjLen = pa.subjEnd - pa.subjStart;
  const subjLen = routeSubject !== null ? routeSubject.length : paSubjLen;
  const plainReply = pa.replyEnd - pa.replyStart;
  // The stored subject rides after the reply only when there is a reply to carry it.
  const suffix = routeSubject !== null && plainReply > 0 ? 1 + paSubjLen : 0;
  const op = hdr >= 0 ? ops.headers : ops.plain;
  let need = op.length + subjLen + 3 + plainReply + suffix + 1 + 22 + 2 + size + 2;
  for (let i = 0; i < queues.length; i++) need += 3 * queues[i]!.length + 1;
  let p = out.reserve(need);
  const lineStart = p;
  const o = out.buf;
  // A few bytes are copied faster by a loop than by a TypedArray.set call (a native call per message).
  p = copyInto(o, p, op, 0, op.length);
  if (routeSubject !== null) {
    p = copyInto(o, p, routeSubject, 0, subjLen);
  } else {
    p = copyInto(o, p, ab, pa.subjStart, pa.subjEnd);
  }
  o[p++] = 32;
  if (queues.length > 0) {
    if (plainReply > 0) {
      o[p++] = 43; // '+'
      o[p++] = 32;
    } else {
      o[p++] = 124; // '|'
      o[p++] = 32;
    }
  }
  if (plainReply > 0) {
    p = copyInto(o, p, ab, pa.replyStart, pa.replyEnd);
    if (suffix > 0) {
      o[p++] = 64; // '@'
      p = copyInto(o, p, ab, pa.subjStart, pa.subjEnd);
    }
    o[p++] = 32;
  }
  for (let i = 0; i < queues.length; i++) {
    p += encoder.encodeInto(queues[i]!, o.subarray(p)).written;
    o[p++] = 32;
  }
  if (hdr >= 0) {
    p = writeDecimal(o, p, hdr);
    o[p++] = 32;
  }
  p = writeDecimal(o, p, size);
  const lineEnd = p;
  o[p++] = 13;
  o[p++] = 10;
  copyBytes(o, p, buf, start + pstart, start + pa.size + 2);
  out.end = p + size + 2;
  written.lineStart = lineStart;
  written.lineEnd = lineEnd;
  written.size = size;
  return written;
}

/** Whether the string `s` is exactly pa's subject bytes (ASCII fast path; anything else compares as bytes). */
export function sameSubject(s: string, pa: PubArg): boolean {
  const n = pa.subjEnd - pa.subjStart;
  const b = pa.buf;
  // UTF-8 takes at least one byte per UTF-16 unit: a longer string cannot be these bytes.
  if (s.length > n) return false;
  if (s.length === n) {
    let i = 0;
    while (i < n && s.charCodeAt(i) === b[pa.subjStart + i]) i++;
    if (i === n) return true;
  }
  const e = encoder.encode(s);
  if (e.length !== n) return false;
  for (let i = 0; i < n; i++) if (e[i] !== b[pa.subjStart + i]) return false;
  return true;
}

/**
 * The receiving half of the `@` rewrite: a JetStream reply `$JS.ACK....@<subject>` from a link is split at
 * its last '@', in place, so pa's subject becomes the stored subject and its reply the bare ack subject.
 * Returns false when the reply carries no such suffix.
 */
export function splitJetStreamReply(pa: PubArg): boolean {
  const b = pa.buf;
  const rs = pa.replyStart;
  const re = pa.replyEnd;
  if (re - rs < JS_ACK.length) return false;
  for (let i = 0; i < JS_ACK.length; i++) if (b[rs + i] !== JS_ACK[i]) return false;
  let at = re - 1;
  while (at > rs && b[at] !== 64) at--;
  if (at === rs || at === re - 1) return false;
  pa.subjStart = at + 1;
  pa.subjEnd = re;
  pa.replyEnd = at;
  return true;
}

const JS_ACK = encoder.encode("$JS.ACK.");
