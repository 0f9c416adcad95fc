/**
 * The max_age timer: one pending timeout per store, re-armed for when the next message expires. It is
 * unref'd so an idle stream with max_age never keeps the process alive.
 */
export class AgeTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending timeout fires (ms since the epoch). */
  #at = 0;
  readonly #expire: () => number;

  /** `expire` drops what is due and returns ms until the next message expires, 0 if none is waiting. */
  constructor(expire: () => number) {
    this.#expire = expire;
  }

  arm(delayMs: number): void {
    if (this.#timer !== undefined) return;
    const delay = Math.max(1, Math.ceil(delayMs));
    this.#at = Date.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const next = this.#expire();
      if (next > 0) this.arm(next);
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Like arm, but a pending timeout that would fire later is replaced (a new message may expire first). */
  armBy(delayMs: number): void {
    if (this.#timer !== undefined && Date.now() + delayMs < this.#at - 5) this.disarm();
    this.arm(delayMs);
  }

  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
