/**
 * A user's publish/subscribe permissions, checked the way nats-server does (client.go canSubscribe,
 * pubAllowedFullCheck): allow and deny lists are sublists, so a permission pattern matches subjects with
 * wildcards in both directions; deny wins; a subscribe entry "<subject> <queue>" only admits that queue.
 * With allow_responses the user may also publish to the reply subjects of requests delivered to it.
 */
import type { Permissions, ResponsePermission } from "../config/options.ts";
import { Sublist, type SubLike } from "../subject/sublist.ts";
import { subjectHasWildcard, subjectIsSubsetMatch } from "../subject/subject.ts";

interface Entry extends SubLike {
  readonly subject: string;
  readonly queue: string | null;
}

const PUB_CACHE_MAX = 1024;

function sublistOf(list: string[] | undefined, withQueues: boolean): Sublist<Entry> | null {
  if (list === undefined) return null;
  const sl = new Sublist<Entry>();
  for (const raw of list) {
    const parts = raw.trim().split(/\s+/);
    const entry: Entry = withQueues && parts.length === 2
      ? { subject: parts[0]!, queue: parts[1]! }
      : { subject: raw.trim(), queue: null };
    sl.insert(entry);
  }
  return sl;
}

function queueMatches(queue: string, groups: readonly (readonly Entry[])[]): boolean {
  for (const g of groups) for (const e of g) if (e.queue === queue) return true;
  return false;
}

export class ClientPermissions {
  private readonly pubAllow: Sublist<Entry> | null;
  private readonly pubDeny: Sublist<Entry> | null;
  private readonly subAllow: Sublist<Entry> | null;
  private readonly subDeny: Sublist<Entry> | null;
  private readonly subDenyList: string[];
  private readonly pubCache = new Map<string, boolean>();
  readonly responses: ResponsePermission | null;

  constructor(p: Permissions) {
    this.responses = p.allow_responses ?? null;
    // allow_responses without a publish allow list means: publish nothing but responses (nats-server).
    const pubAllowList = p.publish?.allow ?? (this.responses !== null ? [] : undefined);
    this.pubAllow = sublistOf(pubAllowList, false);
    this.pubDeny = sublistOf(p.publish?.deny, false);
    this.subAllow = sublistOf(p.subscribe?.allow, true);
    this.subDeny = sublistOf(p.subscribe?.deny, true);
    this.subDenyList = (p.subscribe?.deny ?? []).map((s) => s.trim().split(/\s+/)[0]!);
  }

  get checksPublish(): boolean {
    return this.pubAllow !== null || this.pubDeny !== null;
  }

  /** Allow and deny lists only; responses are the caller's (Client) to check, since they are per connection. */
  canPublish(subject: string): boolean {
    const cached = this.pubCache.get(subject);
    if (cached !== undefined) return cached;
    let allowed = true;
    if (this.pubAllow !== null) allowed = this.pubAllow.match(subject).psubs.length > 0;
    if (allowed && this.pubDeny !== null) allowed = this.pubDeny.match(subject).psubs.length === 0;
    if (this.pubCache.size >= PUB_CACHE_MAX) this.pubCache.clear();
    this.pubCache.set(subject, allowed);
    return allowed;
  }

  canSubscribe(subject: string, queue: string | null): boolean {
    let allowed = true;
    if (this.subAllow !== null) {
      const r = this.subAllow.match(subject);
      allowed = r.psubs.length > 0;
      if (queue !== null && r.qsubs.length > 0) allowed = queueMatches(queue, r.qsubs);
    }
    if (allowed && this.subDeny !== null) {
      const r = this.subDeny.match(subject);
      allowed = r.psubs.length === 0;
      if (queue !== null && r.qsubs.length > 0) allowed = !queueMatches(queue, r.qsubs);
    }
    return allowed;
  }

  /**
   * A wildcard subscription that overlaps a deny entry is allowed, but messages on denied subjects must then
   * be filtered at delivery (nats-server's mperms).
   */
  needsDeliveryFilter(subject: string): boolean {
    if (!subjectHasWildcard(subject)) return false;
    return this.subDenyList.some((d) => subjectIsSubsetMatch(d, subject));
  }

  /** Delivery-time check for a message subject, used once needsDeliveryFilter said so. */
  deniesDelivery(subject: string): boolean {
    return this.subDeny !== null && this.subDeny.match(subject).psubs.length > 0;
  }
}
