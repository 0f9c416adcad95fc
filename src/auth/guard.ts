/**
 * A connection's permissions at work: whether it may publish to or subscribe to a subject, and which
 * deliveries it admits. It adds to ClientPermissions (the allow and deny lists) what is per connection:
 * allow_responses' reply subjects, remembered as requests are delivered, and whether a wildcard
 * subscription overlaps a subscribe deny so that each delivery needs a check. Any connection kind that
 * acts for a user (a client now, a leaf node's remote account later) keeps one.
 */
import type { PubArg } from "../protocol/parser.ts";
import type { ClientPermissions } from "./permissions.ts";

/** Reply subjects remembered per connection for allow_responses before old ones are pruned. */
const MAX_TRACKED_REPLIES = 10_000;

const decoder = new TextDecoder();

export class PermissionGuard {
  /** Some wildcard subscription overlaps a subscribe deny: deliveries on denied subjects are dropped. */
  private denyFilter: boolean;
  /** Reply subjects this connection may answer (allow_responses): subject → when received and answers sent. */
  private readonly replies: Map<string, { t: number; n: number }> | null;

  /** `subjects`: the connection's live subscriptions (a reload hands a connection new permissions). */
  constructor(private readonly perms: ClientPermissions, subjects: Iterable<string>) {
    this.replies = perms.responses ? new Map() : null;
    this.denyFilter = false;
    for (const s of subjects) if (perms.needsDeliveryFilter(s)) this.denyFilter = true;
  }

  /** Each delivery needs admitDelivery: a subscribe deny to filter, or reply subjects to track. */
  get checksDelivery(): boolean {
    return this.replies !== null || this.denyFilter;
  }

  canPublish(subject: string): boolean {
    const p = this.perms;
    return !p.checksPublish || p.canPublish(subject) || this.mayRespond(subject);
  }

  canSubscribe(subject: string, queue: string | null): boolean {
    return this.perms.canSubscribe(subject, queue);
  }

  /** A subscription was added: one that overlaps a subscribe deny turns on the delivery filter. */
  subscribed(subject: string): void {
    if (this.perms.needsDeliveryFilter(subject)) this.denyFilter = true;
  }

  /**
   * Per-message admission: drops messages on subjects a subscribe deny covers, and remembers the reply
   * subject that this connection may then answer.
   */
  admitDelivery(subject: string, pa: PubArg): boolean {
    if (this.denyFilter && this.perms.deniesDelivery(subject)) return false;
    if (this.replies !== null && pa.replyEnd > pa.replyStart) {
      const reply = decoder.decode(pa.buf.subarray(pa.replyStart, pa.replyEnd));
      if (this.replies.size >= MAX_TRACKED_REPLIES) this.pruneReplies();
      this.replies.set(reply, { t: Date.now(), n: 0 });
    }
    return true;
  }

  /** allow_responses: may the connection publish to `subject` as an answer to a request it received? */
  private mayRespond(subject: string): boolean {
    const r = this.replies?.get(subject);
    const limits = this.perms.responses;
    if (r === undefined || !limits) return false;
    r.n++;
    if ((limits.max > 0 && r.n > limits.max) || (limits.expires > 0 && Date.now() - r.t > limits.expires)) {
      this.replies!.delete(subject);
      return false;
    }
    return true;
  }

  private pruneReplies(): void {
    const limits = this.perms.responses;
    const now = Date.now();
    for (const [k, r] of this.replies!) {
      if (!limits || (limits.expires > 0 && now - r.t > limits.expires) || (limits.max > 0 && r.n >= limits.max)) this.replies!.delete(k);
    }
    // Still full of live entries: forget the oldest rather than grow without bound.
    while (this.replies!.size >= MAX_TRACKED_REPLIES) this.replies!.delete(this.replies!.keys().next().value!);
  }
}
