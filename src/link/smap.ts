/**
 * The interest one leaf connection has told its peer about (nats-server's per-connection smap): counts per
 * key, so a plain subject is advertised when its first subscription comes and withdrawn with its last,
 * and a queue group is re-advertised with its new weight on every change. Counting by subscription makes
 * the initial burst and live updates idempotent: a subscription seen twice counts once (nats-server PR #1455).
 */
import type { Subscription } from "../routing/subscription.ts";

/** What to write on the link for one change: `LS+ <key> [weight]` or `LS- <key>` (RS+/RS- on a route). */
export type InterestLine = string;

export class InterestMap {
  private readonly counts = new Map<string, number>();
  private readonly counted = new Set<Subscription>();

  /**
   * `op` is the protocol's pair without its sign (`LS`, `RS`); `account` what precedes the key on a route's
   * line (`$G `), empty on a leaf's.
   */
  constructor(
    private readonly op = "LS",
    private readonly account = "",
  ) {}

  get size(): number {
    return this.counts.size;
  }

  /** The line to send for a subscription added locally, or null when the peer already knows. */
  add(sub: Subscription): InterestLine | null {
    if (this.counted.has(sub)) return null;
    this.counted.add(sub);
    const key = keyOf(sub);
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (sub.queue !== null) return `${this.op}+ ${this.account}${key} ${n}`;
    return n === 1 ? `${this.op}+ ${this.account}${key}` : null;
  }

  /** The line to send for a subscription removed locally, or null when nothing changes for the peer. */
  remove(sub: Subscription): InterestLine | null {
    if (!this.counted.delete(sub)) return null;
    const key = keyOf(sub);
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) {
      this.counts.delete(key);
      return `${this.op}- ${this.account}${key}`;
    }
    this.counts.set(key, n);
    return sub.queue !== null ? `${this.op}+ ${this.account}${key} ${n}` : null;
  }

  /** Withdraws everything advertised (the account left the link): one removal line per key. */
  withdrawAll(): InterestLine[] {
    const lines = [...this.counts.keys()].map((key) => `${this.op}- ${this.account}${key}`);
    this.counts.clear();
    this.counted.clear();
    return lines;
  }

  /**
   * Counts every subscription in `subs` and returns one line per key with its final count, as nats-server's
   * initial burst does (a group of two goes out as `LS+ foo q 2`, not `1` then `2`).
   */
  addAll(subs: Iterable<Subscription>): InterestLine[] {
    const touched = new Set<string>();
    for (const sub of subs) {
      if (this.counted.has(sub)) continue;
      this.add(sub);
      touched.add(keyOf(sub));
    }
    const lines: InterestLine[] = [];
    for (const key of touched) {
      const n = this.counts.get(key)!;
      lines.push(key.includes(" ") ? `${this.op}+ ${this.account}${key} ${n}` : `${this.op}+ ${this.account}${key}`);
    }
    return lines;
  }
}

/** The key nats-server uses for an interest: `subject` or `subject queue`. */
export function keyOf(sub: { subject: string; queue: string | null }): string {
  return sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
}
