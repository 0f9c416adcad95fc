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

/** A nanosecond duration as Go's `time.Duration.String()` writes it ("1.5s", "1m30s", "250ms", "0s"). */
export function goDuration(ns: number): string {
  let u = Math.abs(Math.trunc(ns));
  if (u === 0) return "0s";
  // The fraction of u / 10^prec without trailing zeros (and without the point when it is zero), and the quotient.
  const frac = (v: number, prec: number): [string, number] => {
    const p = 10 ** prec;
    const f = v % p;
    return [f === 0 ? "" : "." + String(f).padStart(prec, "0").replace(/0+$/, ""), Math.floor(v / p)];
  };
  let out: string;
  if (u < 1e9) {
    const [unit, prec] = u < 1e3 ? ["ns", 0] : u < 1e6 ? ["µs", 3] : ["ms", 6];
    const [f, whole] = frac(u, prec as number);
    out = `${whole}${f}${unit}`;
  } else {
    const [f, secs] = frac(u, 9);
    out = `${secs % 60}${f}s`;
    u = Math.floor(secs / 60);
    if (u > 0) {
      out = `${u % 60}m${out}`;
      if (u >= 60) out = `${Math.floor(u / 60)}h${out}`;
    }
  }
  return ns < 0 ? `-${out}` : out;
}
