/**
 * A message re-addressed for another account's router: a fresh argument buffer holding the new subject and
 * reply, laid out like a parsed PUB, with the header size and payload size of the original. The payload
 * itself is not copied: receivers copy it from the caller's buffer during the route.
 */
import type { PubArg } from "../protocol/parser.ts";

const encoder = new TextEncoder();
/** Re-addressed messages never carry a route's queue groups; shared, never written. */
const NO_QUEUES: number[] = [];

/** `pa` with `subject` and `reply` (null: none) in place of its own. */
export function readdressed(pa: PubArg, subject: string, reply: string | null): PubArg {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const buf = new Uint8Array(3 * (subject.length + (reply?.length ?? 0)));
  const subjEnd = encoder.encodeInto(subject, buf).written;
  const replyEnd = reply === null ? subjEnd : subjEnd + encoder.encodeInto(reply, buf.subarray(subjEnd)).written;
  return { buf, subjStart: 0, subjEnd, replyStart: subjEnd, replyEnd, hdr: pa.hdr, size: pa.size, accStart: 0, accEnd: 0, queues: NO_QUEUES };
}

/**
 * `pa` under the subject `bytes` hold, with no reply: nothing to encode when the caller keeps the bytes of a
 * subject it renames to again and again. `bytes` is shared by those messages and never written.
 */
export function withSubject(pa: PubArg, bytes: Uint8Array): PubArg {
  const n = bytes.length;
  return { buf: bytes, subjStart: 0, subjEnd: n, replyStart: n, replyEnd: n, hdr: pa.hdr, size: pa.size, accStart: 0, accEnd: 0, queues: NO_QUEUES };
}

/** The reply subject of `pa`, or null. */
export function replyOf(pa: PubArg): string | null {
  return pa.replyEnd > pa.replyStart ? decoder.decode(pa.buf.subarray(pa.replyStart, pa.replyEnd)) : null;
}

const decoder = new TextDecoder();
