/** API times are RFC 3339 UTC strings; Go's zero time stands for "never". */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

export function rfc3339(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : ZERO_TIME;
}

/** RFC 3339 with nanoseconds, as nats-server's `time.RFC3339Nano` (trailing zeros trimmed), from float ms. */
export function rfc3339Nano(ms: number): string {
  const whole = Math.floor(ms);
  const base = new Date(whole).toISOString().slice(0, 19);
  const ns = Math.round((ms - whole) * 1e6) + (whole % 1000) * 1e6;
  const frac = String(Math.min(ns, 999_999_999)).padStart(9, "0").replace(/0+$/, "");
  return `${base}${frac === "" ? "" : "." + frac}Z`;
}
