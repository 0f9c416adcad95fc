/**
 * What each account's share of a link does with interest, on a leaf link, a route's $G share and a route's
 * other accounts alike: ours advertised as the account's router changes, the peer's held as router
 * subscriptions and let go of when the link closes.
 */
import type { Router } from "../routing/router.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { InterestMap } from "./smap.ts";

/** A router's interest being followed: the lines advertising what it had at the start, and how to stop. */
export interface FollowedInterest {
  readonly lines: string[];
  stop(): void;
}

/**
 * Advertises `router`'s interest that `forwards` passes through `advertised`, sending each later change with
 * `send` until the returned stop() (changes after `closed()` turns true are dropped).
 */
export function followInterest(
  router: Router,
  advertised: InterestMap,
  forwards: (sub: Subscription) => boolean,
  send: (line: string) => void,
  closed: () => boolean,
): FollowedInterest {
  const stop = router.interest.subscribe((op, sub) => {
    if (closed()) return;
    // A removal needs no filter: only what was advertised is counted, so only that can be withdrawn.
    const line = op === "remove" ? advertised.remove(sub) : forwards(sub) ? advertised.add(sub) : null;
    if (line !== null) send(line);
  });
  return { lines: advertised.addAll(router.sublist.all().filter(forwards)), stop };
}

/** The peer's interest leaves the router: its link is gone. */
export function dropPeerSubs(router: Router, peerSubs: Map<string, Subscription>): void {
  for (const sub of peerSubs.values()) router.removeSub(sub);
  peerSubs.clear();
}

/** One of the peer's subscriptions is done with (an auto-unsubscribe limit reached, say). */
export function removePeerSub(router: Router, peerSubs: Map<string, Subscription>, sub: Subscription): void {
  if (peerSubs.get(sub.sid) !== sub) return;
  peerSubs.delete(sub.sid);
  router.removeSub(sub);
}
