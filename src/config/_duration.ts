/**
 * Go's time.ParseDuration and Duration.String, so durations in a config mean what they mean to
 * nats-server ("1m30s", "250ms", "1.5h", "-2s") and error texts match (`time: invalid duration "x"`).
 * Values are milliseconds; sub-millisecond units give fractions.
 */

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3, // U+00B5 micro sign
  "μs": 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// Go rejects durations beyond int64 nanoseconds (about 292 years).
const MAX_NS = 2 ** 63;

const quote = (s: string) => JSON.stringify(s);

/** Parses a Go duration string into milliseconds, throwing Go's error text on failure. */
export function parseGoDuration(input: string): number {
  const invalid = () => new Error(`time: invalid duration ${quote(input)}`);
  let s = input;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let totalNs = 0;
  while (s !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole, intPart, fracPart] = number;
    if (intPart === "" && (fracPart ?? "") === "") throw invalid();
    s = s.slice(whole.length);
    const unitLength = s.search(/[\d.]/);
    const unit = unitLength < 0 ? s : s.slice(0, unitLength);
    if (unit === "") throw new Error(`time: missing unit in duration ${quote(input)}`);
    const scale = Object.hasOwn(NS_PER_UNIT, unit) ? NS_PER_UNIT[unit] : undefined;
    if (scale === undefined) throw new Error(`time: unknown unit ${quote(unit)} in duration ${quote(input)}`);
    s = s.slice(unit.length);
    totalNs += Number(`${intPart || "0"}.${fracPart || "0"}`) * scale;
    if (totalNs > MAX_NS) throw invalid();
  }
  const ms = totalNs / 1e6;
  return negative ? -ms : ms;
}

/** Formats milliseconds the way Go prints a time.Duration: "1h2m3.5s", "250ms", "0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  const ns = Math.round(Math.abs(ms) * 1e6);
  const trim = (n: number) => String(Number(n.toFixed(9)));
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${sign}${trim(ns / 1e6)}ms`;
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = trim((ns % 60e9) / 1e9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
