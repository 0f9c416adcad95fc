/**
 * What the crash loop saw: every publish the server acknowledged (id → stream sequence) and every delivery
 * (id → the sequences it came with). At the end, lost = acknowledged but never delivered; a repeat of the
 * same id and sequence is a redelivery (flagged by the server or not: consumer state rolled back by the
 * kill), the same id under another sequence is a message stored twice.
 */
export interface Tally {
  acked: number;
  lost: number;
  delivered: number;
  /** Deliveries of an id already seen at the same sequence, with the redelivered flag set. */
  redelivered: number;
  /** The same, without the flag: the consumer's delivered state went back across a kill. */
  repeatedUnflagged: number;
  /** Ids delivered under more than one stream sequence. */
  duplicateIds: number;
  /** Bodies whose checksum did not match. */
  garbledBodies: number;
  /** Acks whose sequence another acknowledged publish also got. */
  reusedSeqs: number;
}

export class Ledger {
  readonly #acked = new Map<number, number>();
  readonly #ackedSeqs = new Map<number, number>();
  /** id → sequences it was delivered with. */
  readonly #seen = new Map<number, number[]>();
  #delivered = 0;
  #redelivered = 0;
  #repeatedUnflagged = 0;
  #garbled = 0;
  #reusedSeqs = 0;
  #ackWaiters: ((at: number) => void)[] = [];

  acked(id: number, seq: number): void {
    if (this.#ackWaiters.length > 0) {
      const now = performance.now();
      for (const w of this.#ackWaiters) w(now);
      this.#ackWaiters = [];
    }
    this.#acked.set(id, seq);
    const other = this.#ackedSeqs.get(seq);
    if (other !== undefined && other !== id) this.#reusedSeqs++;
    this.#ackedSeqs.set(seq, id);
  }

  /** Resolves with the time of the next acknowledged publish. */
  nextAck(): Promise<number> {
    return new Promise((r) => this.#ackWaiters.push(r));
  }

  get deliveredCount(): number {
    return this.#delivered;
  }

  get ackedCount(): number {
    return this.#acked.size;
  }

  /** A delivered body: `id` null when its checksum failed. */
  delivered(id: number | null, seq: number, redelivered: boolean): void {
    this.#delivered++;
    if (id === null) {
      this.#garbled++;
      return;
    }
    const seqs = this.#seen.get(id);
    if (seqs === undefined) {
      this.#seen.set(id, [seq]);
      return;
    }
    if (seqs.includes(seq)) {
      if (redelivered) this.#redelivered++;
      else this.#repeatedUnflagged++;
    } else seqs.push(seq);
  }

  /** Acknowledged ids not delivered yet. */
  missing(): number {
    let n = 0;
    for (const id of this.#acked.keys()) if (!this.#seen.has(id)) n++;
    return n;
  }

  tally(): Tally {
    let duplicateIds = 0;
    for (const seqs of this.#seen.values()) if (seqs.length > 1) duplicateIds++;
    return {
      acked: this.#acked.size,
      lost: this.missing(),
      delivered: this.#delivered,
      redelivered: this.#redelivered,
      repeatedUnflagged: this.#repeatedUnflagged,
      duplicateIds,
      garbledBodies: this.#garbled,
      reusedSeqs: this.#reusedSeqs,
    };
  }
}
