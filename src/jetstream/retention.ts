/**
 * Workqueue and interest retention: which consumers a workqueue stream accepts (nats-server's checks in
 * stream.go `addConsumerWithAssignment`), and which acknowledged messages a stream may drop.
 */
import { filtersOf, type ConsumerConfig } from "./config.ts";
import { subjectIsSubsetMatch } from "../subject/mod.ts";
import { JSErr, jsError } from "./errors.ts";

/** The consumer-facing side retention needs. */
export interface RetainingConsumer {
  readonly config: ConsumerConfig;
  /** Whether this consumer no longer needs stream message `seq` (on `subject`): acked, or not its subject. */
  hasAcked(seq: number, subject: string): boolean;
}

/**
 * On a workqueue stream each message goes to one consumer: explicit ack, deliver all, and no two consumers
 * whose subjects overlap (an unfiltered one overlaps everything).
 */
export function checkWorkQueueConsumer(cfg: ConsumerConfig, existing: Iterable<RetainingConsumer>): void {
  if (cfg.deliver_subject === undefined && cfg.ack_policy === "none") throw jsError(JSErr.ConsumerPullRequiresAck);
  if (cfg.ack_policy !== "explicit") throw jsError(JSErr.ConsumerWQRequiresExplicitAck);
  if (cfg.deliver_policy !== "all") throw jsError(JSErr.ConsumerWQConsumerNotDeliverAll);
  const mine = filtersOf(cfg);
  for (const other of existing) {
    if (other.config.name === cfg.name) continue;
    const theirs = filtersOf(other.config);
    if (mine.length === 0) throw jsError(JSErr.ConsumerWQMultipleUnfiltered);
    if (theirs.length === 0) throw jsError(JSErr.ConsumerWQConsumerNotUnique);
    for (const a of mine) {
      for (const b of theirs) {
        if (subjectIsSubsetMatch(a, b) || subjectIsSubsetMatch(b, a)) throw jsError(JSErr.ConsumerWQConsumerNotUnique);
      }
    }
  }
}

/** Whether a message acknowledged by some consumer can now be removed from a stream with this retention. */
export function releasable(retention: string, seq: number, subject: string, consumers: Iterable<RetainingConsumer>): boolean {
  if (retention === "workqueue") return true;
  if (retention !== "interest") return false;
  for (const c of consumers) if (!c.hasAcked(seq, subject)) return false;
  return true;
}
