/** API times are RFC 3339 UTC strings; Go's zero time stands for "never". */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

export function rfc3339(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : ZERO_TIME;
}

/** Store timestamps are float milliseconds; the ack subject carries integer nanoseconds. */
export function msToNs(ms: number): number {
  return Math.round(ms * 1_000_000);
}
