/**
 * Encodes a message for a leaf connection (nats-server's msgHeaderForRouteOrLeaf): `LMSG`, or `HMSG` when it
 * has headers and the link carries them, with no sid and the queue groups the link was picked for:
 * `LMSG <subject> [<reply> | + <reply> <queue>... | \| <queue>...] <size>`.
 */
import type { Outbound } from "../connection/outbound.ts";
import { writeDecimal } from "../protocol/encode.ts";
import type { PubArg } from "../protocol/parser.ts";

const LMSG_OP = new Uint8Array([76, 77, 83, 71, 32]); // "LMSG "
const HMSG_OP = new Uint8Array([72, 77, 83, 71, 32]); // "HMSG "
const encoder = new TextEncoder();

/**
 * Appends one message to `out`; `payload` is the payload followed by CRLF. Returns the control line's
 * [start, end) in out.buf (for tracing) and the payload size written.
 */
export function writeLeafMsg(
  out: Outbound,
  pa: PubArg,
  payload: Uint8Array,
  queues: readonly string[],
  headers: boolean,
): { lineStart: number; lineEnd: number; size: number } {
  let hdr = pa.hdr;
  let size = pa.size;
  if (hdr >= 0 && !headers) {
    // A peer without headers gets the payload alone (nats-server strips the header block).
    payload = payload.subarray(hdr);
    size -= hdr;
    hdr = -1;
  }
  const q = queues.length > 0 ? queues.map((s) => encoder.encode(s)) : null;
  const subjLen = pa.subjEnd - pa.subjStart;
  const replyLen = pa.replyEnd - pa.replyStart;
  let need = 5 + subjLen + 3 + replyLen + 1 + 22 + 2 + size + 2;
  if (q !== null) for (const b of q) need += b.length + 1;
  let p = out.reserve(need);
  const lineStart = p;
  const o = out.buf;
  o.set(hdr >= 0 ? HMSG_OP : LMSG_OP, p);
  p += 5;
  o.set(pa.buf.subarray(pa.subjStart, pa.subjEnd), p);
  p += subjLen;
  o[p++] = 32;
  if (q !== null) {
    if (replyLen > 0) {
      o[p++] = 43; // '+'
      o[p++] = 32;
      o.set(pa.buf.subarray(pa.replyStart, pa.replyEnd), p);
      p += replyLen;
      o[p++] = 32;
    } else {
      o[p++] = 124; // '|'
      o[p++] = 32;
    }
    for (const b of q) {
      o.set(b, p);
      p += b.length;
      o[p++] = 32;
    }
  } else if (replyLen > 0) {
    o.set(pa.buf.subarray(pa.replyStart, pa.replyEnd), p);
    p += replyLen;
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
  o.set(payload.subarray(0, size + 2), p);
  out.end = p + size + 2;
  return { lineStart, lineEnd, size };
}
