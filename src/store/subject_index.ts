/**
 * Per-subject message counts with first and last sequence, as nats-server's memstore keeps them: a removal
 * only marks first/last stale (they become bounds), and the owner's `find` recomputes them when someone asks,
 * so removing the oldest message of a busy subject stays O(1).
 */

/** Finds the first (or, backward, the last) live message of `subject` with from ≤ seq ≤ to; 0 if none. */
export type SubjectFinder = (subject: string, from: number, to: number, backward: boolean) => number;

interface SubjectState {
  msgs: number;
  first: number;
  last: number;
  firstStale: boolean;
  lastStale: boolean;
}

export class SubjectIndex {
  readonly #map = new Map<string, SubjectState>();
  readonly #find: SubjectFinder;

  constructor(find: SubjectFinder) {
    this.#find = find;
  }

  get size(): number {
    return this.#map.size;
  }

  add(subject: string, seq: number): void {
    const ss = this.#map.get(subject);
    if (ss === undefined) {
      this.#map.set(subject, { msgs: 1, first: seq, last: seq, firstStale: false, lastStale: false });
      return;
    }
    ss.msgs++;
    ss.last = seq;
    ss.lastStale = false;
    if (ss.msgs === 1) {
      ss.first = seq;
      ss.firstStale = false;
    }
  }

  /** Forgets one message of `subject` that the owner has already removed (or is about to remove). */
  remove(subject: string, seq: number): void {
    const ss = this.#map.get(subject);
    if (ss === undefined) return;
    if (ss.msgs <= 1) {
      this.#map.delete(subject);
      return;
    }
    ss.msgs--;
    if (seq === ss.first) ss.firstStale = true;
    if (seq === ss.last) ss.lastStale = true;
    // One message left and one end still known: it is both ends (keeps max_msgs_per_subject=1 O(1)).
    if (ss.msgs === 1 && ss.firstStale !== ss.lastStale) {
      if (ss.firstStale) ss.first = ss.last;
      else ss.last = ss.first;
      ss.firstStale = ss.lastStale = false;
    }
  }

  /** Adds `msgs` messages of `subject` known only by bounds (recovery); first/last are rechecked on use. */
  merge(subject: string, msgs: number, first: number, last: number): void {
    if (msgs <= 0) return;
    const ss = this.#map.get(subject);
    if (ss === undefined) {
      this.#map.set(subject, { msgs, first, last, firstStale: true, lastStale: true });
      return;
    }
    ss.msgs += msgs;
    ss.first = Math.min(ss.first, first);
    ss.last = Math.max(ss.last, last);
  }

  /**
   * Forgets `n` messages of `subject` at once: its oldest (a whole segment dropped), or, with `anywhere`,
   * from anywhere in its range (a damaged block), when its last one is found again too.
   */
  removeMany(subject: string, n: number, anywhere = false): void {
    const ss = this.#map.get(subject);
    if (ss === undefined) return;
    if (ss.msgs <= n) {
      this.#map.delete(subject);
      return;
    }
    ss.msgs -= n;
    ss.firstStale = true;
    if (anywhere) ss.lastStale = true;
  }

  count(subject: string): number {
    return this.#map.get(subject)?.msgs ?? 0;
  }

  first(subject: string): number {
    const ss = this.#map.get(subject);
    if (ss === undefined) return 0;
    if (ss.firstStale) {
      ss.first = this.#find(subject, ss.first, ss.lastStale ? Number.MAX_SAFE_INTEGER : ss.last, false);
      ss.firstStale = false;
    }
    return ss.first;
  }

  last(subject: string): number {
    const ss = this.#map.get(subject);
    if (ss === undefined) return 0;
    if (ss.lastStale) {
      ss.last = this.#find(subject, this.first(subject), ss.last, true);
      ss.lastStale = false;
    }
    return ss.last;
  }

  clear(): void {
    this.#map.clear();
  }

  subjects(): IterableIterator<string> {
    return this.#map.keys();
  }

  counts(match: ((subject: string) => boolean) | null): Map<string, number> {
    const out = new Map<string, number>();
    for (const [subject, ss] of this.#map) {
      if (match === null || match(subject)) out.set(subject, ss.msgs);
    }
    return out;
  }
}
