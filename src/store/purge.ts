/** nats-server's PurgeEx argument handling (memstore.go), shared by both stores. */
import { StoreError } from "./errors.ts";
import { type SubjectMatcher, subjectMatcher } from "./filter.ts";
import type { PurgeOptions } from "./store.ts";

export interface PurgeTarget {
  readonly msgs: number;
  readonly lastSeq: number;
  purgeAll(): Promise<number>;
  compact(seq: number): Promise<number>;
  /** Count, first and last sequence of the messages matching. */
  filtered(match: SubjectMatcher): { msgs: number; first: number; last: number };
  /** Removes up to `max` messages matching in [from, to], oldest first; resolves to how many. */
  removeMatching(match: SubjectMatcher, from: number, to: number, max: number): Promise<number>;
}

export function purgeEx(t: PurgeTarget, opts: PurgeOptions | undefined): Promise<number> {
  const seq = opts?.seq ?? 0;
  const keep = opts?.keep ?? 0;
  if (seq > 0 && keep > 0) {
    return Promise.reject(new StoreError(`purge: sequence (${seq}) and keep (${keep}) are mutually exclusive`));
  }
  const match = subjectMatcher(opts?.filter ?? "");
  if (match === null) {
    if (seq === 0 && keep === 0) return t.purgeAll();
    if (seq > 1) return t.compact(seq);
    if (keep > 0) return keep >= t.msgs ? Promise.resolve(0) : t.compact(t.lastSeq - keep + 1);
    return Promise.resolve(0);
  }
  const ss = t.filtered(match);
  if (ss.msgs === 0 || keep >= ss.msgs) return Promise.resolve(0);
  const max = keep > 0 ? ss.msgs - keep : ss.msgs;
  const last = seq > 1 ? seq - 1 : ss.last;
  return t.removeMatching(match, ss.first, last, max);
}
