/** The timers the system account's schedules run on; tests hand in a clock of their own. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** The runtime's timers, unref'd: a schedule never keeps the process alive. */
export const RUNTIME_TIMERS: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
