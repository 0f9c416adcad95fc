/**
 * What may not cross a leaf link. Never, in either direction: the JetStream API, KV and object store
 * subjects (nats-server adds these denies on link setup, logging "JetStream Not Extended"), so each side's
 * `$JS.API` answers for its own JetStream only. Per remote: its deny_imports and deny_exports.
 */
import { matchLiteral, subjectIsSubsetMatch } from "../subject/subject.ts";

const DENIED_PREFIXES = ["$JS.API.", "$KV.", "$OBJ."];

/** Whether a subject (a published one, or a subscription's, wildcards included) falls under the deny. */
export function jetStreamDenied(subject: string): boolean {
  // A cheap first test: every denied subject starts with '$'.
  if (subject.charCodeAt(0) !== 36) return false;
  for (let i = 0; i < DENIED_PREFIXES.length; i++) if (subject.startsWith(DENIED_PREFIXES[i]!)) return true;
  return false;
}

export interface LinkDeny {
  readonly imports: readonly string[];
  readonly exports: readonly string[];
}

export const NO_DENY: LinkDeny = { imports: [], exports: [] };

/** Whether a published subject falls under one of the deny patterns. */
export function deniedMsg(subject: string, patterns: readonly string[]): boolean {
  for (let i = 0; i < patterns.length; i++) if (matchLiteral(subject, patterns[i]!)) return true;
  return false;
}

/**
 * Whether a subscription lies wholly under a deny pattern (nats-server does not advertise it). One that only
 * overlaps, like `>` with `private.>`, is advertised and its denied messages are dropped as they come.
 */
export function deniedSub(subject: string, patterns: readonly string[]): boolean {
  for (const p of patterns) if (subjectIsSubsetMatch(subject, p)) return true;
  return false;
}
