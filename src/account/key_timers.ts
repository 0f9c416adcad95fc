/**
 * One timer per key at a wall-clock time (an account's JWT or activation expiry). setTimeout fires at once
 * beyond 2^31-1 ms (~24.8 days), so a later time is reached in steps. Timers are unref'd: they never keep
 * the process alive.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class KeyTimers {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Runs `fn` at `at` (ms since the epoch) for `key`, replacing its timer; null only cancels it. */
  set(key: string, at: number | null, fn: () => void): void {
    this.cancel(key);
    if (at === null) return;
    const left = at - Date.now();
    const t = setTimeout(() => {
      this.timers.delete(key);
      if (left > MAX_TIMER_MS) this.set(key, at, fn);
      else fn();
    }, Math.min(Math.max(0, left), MAX_TIMER_MS));
    (t as { unref?: () => void }).unref?.();
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
