/**
 * The most recently closed connections, for /connz?state=closed (nats-server's closedRingBuffer): a fixed
 * number of snapshots, the oldest overwritten first, so a busy server's memory stays bounded.
 */
import type { ConnSnapshot } from "./conn_info.ts";

/** nats-server's DEFAULT_MAX_CLOSED_CLIENTS. */
export const DEFAULT_MAX_CLOSED_CLIENTS = 10_000;

export class ClosedRing {
  private readonly ring: (ConnSnapshot | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array(Math.max(0, capacity));
  }

  add(c: ConnSnapshot): void {
    if (this.ring.length === 0) return;
    this.ring[this.next] = c;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** Oldest first. */
  list(): ConnSnapshot[] {
    const out: ConnSnapshot[] = [];
    const n = this.ring.length;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.next - this.count + i + n) % n]!);
    return out;
  }
}
