/**
 * A STAN subscription's delivery state (nats-streaming-server's subState) and a queue group's (queueState):
 * what was last sent, what is waiting for an ack and when it is due again. Channel drives them.
 */

/** A message sent and not yet acknowledged. */
export interface Pending {
  /** When it is redelivered unless acked (ms, Date.now clock). */
  deadline: number;
  /** Redeliveries so far (nats-streaming-server keeps this in memory only). */
  count: number;
}

/** The client a subscription delivers to: an offline durable has none. */
export interface SubOwner {
  readonly id: string;
  /** Heartbeats missed in a row: a client that misses them gets no redeliveries and is a queue's last pick. */
  readonly hbFails: number;
}

export class Sub {
  owner: SubOwner | null;
  /** The subscription's own lastSent; a queue member's is its group's. */
  lastSent = 0;
  readonly pending = new Map<number, Pending>();
  timer: ReturnType<typeof setTimeout> | null = null;
  timerAt = 0;

  constructor(
    readonly id: number,
    readonly clientID: string,
    owner: SubOwner | null,
    public inbox: string,
    public ackInbox: string,
    public maxInFlight: number,
    public ackWaitMs: number,
    /** Durable name, "" for none. */
    readonly durable: string,
    readonly group: QueueGroup | null,
  ) {
    this.owner = owner;
  }

  get stalled(): boolean {
    return this.pending.size >= this.maxInFlight;
  }

  clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

export class QueueGroup {
  readonly members: Sub[] = [];
  lastSent = 0;
  /** A durable group with no members keeps its unacknowledged messages here until one comes back. */
  readonly shadowPending = new Map<number, Pending>();
  #next = 0;

  constructor(
    /** Persistence id for a durable group, 0 otherwise. */
    readonly id: number,
    readonly name: string,
    /** Durable name, "" for a plain queue group. */
    readonly durable: string,
  ) {}

  /** The key the group is found by: nats-streaming-server's `durable:group` for durable groups. */
  get key(): string {
    return this.durable === "" ? this.name : `${this.durable}:${this.name}`;
  }

  /**
   * The member with the fewest messages outstanding that is not stalled, round-robin among equals; members
   * whose client misses heartbeats only when no other can take it.
   */
  pick(): Sub | null {
    let best: Sub | null = null;
    const n = this.members.length;
    const worse = (a: Sub, b: Sub) => {
      const fa = (a.owner?.hbFails ?? 0) > 0;
      const fb = (b.owner?.hbFails ?? 0) > 0;
      return fa !== fb ? fa : a.pending.size > b.pending.size;
    };
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.#next + i) % n]!;
      if (m.stalled) continue;
      if (best === null || worse(best, m)) best = m;
    }
    if (best !== null) this.#next = (this.members.indexOf(best) + 1) % Math.max(n, 1);
    return best;
  }
}

/** What a subscription or a queue group keeps in its channel's store (sealed with it). */
export interface SubRecord {
  readonly kind: "sub" | "group";
  readonly id: number;
  readonly clientID: string;
  /** Durable name, "" for none. */
  readonly durable: string;
  /** The queue group's name, "" for a subscription outside one. */
  readonly qGroup: string;
  /** A queue member's group id, 0 otherwise. */
  readonly group: number;
  readonly inbox: string;
  /** Where its client acks, so a client that outlives a restart goes on acking; "" for an offline durable. */
  readonly ackInbox: string;
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly lastSent: number;
  readonly pending: readonly number[];
}
