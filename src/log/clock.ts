/**
 * Wall-clock time in milliseconds with a sub-millisecond part, for timestamps that are shown or stored
 * (log lines, STAN message times). `performance.timeOrigin + performance.now()` is finer but follows the
 * monotonic clock, which drifts from the wall clock when the machine is paused or the clock is stepped;
 * the wall clock's milliseconds are the truth, the monotonic clock only adds the fraction.
 */
export function wallClockMs(): number {
  return Date.now() + (performance.now() % 1);
}
