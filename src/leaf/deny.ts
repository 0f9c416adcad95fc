/**
 * What never crosses an ordinary account's leaf link in either direction: the JetStream API, KV and object
 * store subjects (nats-server adds these denies on link setup, logging "JetStream Not Extended"), so each
 * side's `$JS.API` answers for its own JetStream only.
 */
const DENIED_PREFIXES = ["$JS.API.", "$KV.", "$OBJ."];

/** Whether a subject (a published one, or a subscription's, wildcards included) falls under the deny. */
export function jetStreamDenied(subject: string): boolean {
  // A cheap first test: every denied subject starts with '$'.
  if (subject.charCodeAt(0) !== 36) return false;
  for (const p of DENIED_PREFIXES) if (subject.startsWith(p)) return true;
  return false;
}
