/** Retention limit arithmetic shared by both stores, following nats-server's storeRawMsg checks. */
import { LimitKind, StoreLimitError } from "./errors.ts";
import type { StreamLimits } from "./store.ts";

/** Limits with "unlimited" spelled as 0 everywhere, so the checks are plain comparisons. */
export interface Limits {
  readonly maxMsgs: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly maxPerSubject: number;
  readonly discardNew: boolean;
  readonly discardNewPerSubject: boolean;
  /** Nats-TTL headers are honoured (the stream's allow_msg_ttl). */
  readonly allowMsgTTL: boolean;
  /** Expiry that empties a subject leaves a marker (the stream's subject_delete_marker_ttl is set). */
  readonly deleteMarkers: boolean;
}

const positive = (n: number | undefined): number => (n !== undefined && n > 0 ? n : 0);

export function normalizeLimits(l: StreamLimits | undefined): Limits {
  return {
    maxMsgs: positive(l?.max_msgs),
    maxBytes: positive(l?.max_bytes),
    maxAgeMs: positive(l?.max_age_ms),
    maxPerSubject: positive(l?.max_msgs_per_subject),
    discardNew: l?.discard === "new",
    discardNewPerSubject: l?.discard === "new" && l.discard_new_per_subject === true,
    allowMsgTTL: l?.allow_msg_ttl === true,
    deleteMarkers: l?.allow_msg_ttl === true && l.subject_delete_markers === true,
  };
}

export interface DiscardNewInput {
  readonly msgs: number;
  readonly bytes: number;
  /** Messages already stored on the new message's subject. */
  readonly subjectMsgs: number;
  /** Stored size of that subject's oldest message (only read when the subject is at its limit). */
  readonly subjectFirstSize: () => number;
  /** Header plus payload length of the new message (nats-server compares that, not the record size). */
  readonly newLen: number;
  readonly newSize: number;
}

/**
 * Throws the StoreLimitError nats-server would return under discard new. A subject at its per-subject limit
 * replaces its oldest message instead, so max_msgs/max_bytes do not reject it (unless that message is too
 * small to make room).
 */
export function checkDiscardNew(l: Limits, s: DiscardNewInput): void {
  if (!l.discardNew) return;
  const atSubjectLimit = l.maxPerSubject > 0 && s.subjectMsgs >= l.maxPerSubject;
  if (atSubjectLimit && l.discardNewPerSubject) throw new StoreLimitError(LimitKind.MaxMsgsPerSubject);
  if (l.maxMsgs > 0 && s.msgs >= l.maxMsgs && !atSubjectLimit) throw new StoreLimitError(LimitKind.MaxMsgs);
  if (l.maxBytes > 0 && s.bytes + s.newLen >= l.maxBytes) {
    if (!atSubjectLimit || s.subjectFirstSize() < s.newSize) throw new StoreLimitError(LimitKind.MaxBytes);
  }
}
