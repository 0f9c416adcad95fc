/** Server-to-client protocol bytes: the lines that are not on the message hot path, and decimal numbers. */
const encoder = new TextEncoder();

export const PING = encoder.encode("PING\r\n");
export const PONG = encoder.encode("PONG\r\n");
export const OK = encoder.encode("+OK\r\n");

export function errLine(text: string): Uint8Array {
  return encoder.encode(`-ERR '${text}'\r\n`);
}

/** nats-server joins "INFO", the JSON and CRLF with spaces, so its INFO line has a space before the CRLF. */
export function infoLine(info: object): Uint8Array {
  return encoder.encode(`INFO ${JSON.stringify(info)} \r\n`);
}

/** nats-server formats subjects in -ERR texts with Go's %q: double-quoted with escapes. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * A value writeDecimal cannot write as digits is a bug upstream (a count gone negative): written as it is,
 * `48 + v` can be a line feed that ends a control line early and breaks the client's parser. Strict mode
 * (the test suites) throws so the bug surfaces; otherwise the value is clamped and reported.
 */
const decimalFaults = { strict: false, report: (_v: number): void => {} };

/** Tests: `strict` throws on a bad value. Servers: `report` is told of each clamped value (e.g. to log it). */
export function configureDecimalFaults(opts: { strict?: boolean; report?: (v: number) => void }): void {
  if (opts.strict !== undefined) decimalFaults.strict = opts.strict;
  if (opts.report !== undefined) decimalFaults.report = opts.report;
}

function badDecimal(v: number): number {
  if (decimalFaults.strict) throw new RangeError(`writeDecimal: ${v} is not a non-negative integer`);
  decimalFaults.report(v);
  return v > 0 && v <= Number.MAX_SAFE_INTEGER ? Math.floor(v) : 0;
}

/**
 * Writes a non-negative integer below 2^53 in decimal at `p`; returns the offset after it. Sizes in MSG lines
 * and the numbers in JetStream ack subjects: int32 arithmetic when it fits, else the runtime's own number
 * formatting (division and remainder on doubles, digit by digit, cost more than the whole conversion).
 * Kept small, with one loop and the rarer paths out of line: it is inlined into every line writer, and a
 * fresh server's JIT compiles each of them while the first burst of deliveries waits for its CPU.
 */
export function writeDecimal(b: Uint8Array, p: number, v: number): number {
  if ((v | 0) !== v || v < 0) return writeWideDecimal(b, p, v);
  const end = p + decimalDigits(v);
  let q = end;
  do {
    const t = (v / 10) | 0;
    b[--q] = 48 + (v - t * 10);
    v = t;
  } while (v > 0);
  return end;
}

/** How many digits writeDecimal writes for `v`, a non-negative safe integer. */
export function decimalLength(v: number): number {
  return (v | 0) === v && v >= 0 ? decimalDigits(v) : String(v).length;
}

function decimalDigits(v: number): number {
  if (v < 10000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
  if (v < 100000000) return v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : 8;
  return v < 1000000000 ? 9 : 10;
}

function writeWideDecimal(b: Uint8Array, p: number, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) v = badDecimal(v);
  if ((v | 0) === v) return writeDecimal(b, p, v);
  const s = String(v);
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/** Copies src[s, e) into dst at p and returns the end: a byte loop for the short subjects, sids and replies MSG lines carry, set() beyond. */
export function copyInto(dst: Uint8Array, p: number, src: Uint8Array, s: number, e: number): number {
  const n = e - s;
  // In Bun set() of a subarray costs ~110 ns at any short length (the view is an object to make); the loop
  // is cheaper below ~100 bytes, which covers ack reply subjects (64 bytes: 74 against 114 ns; 128: 142 against 125).
  if (n < 96) {
    for (let i = 0; i < n; i++) dst[p + i] = src[s + i]!;
  } else {
    dst.set(src.subarray(s, e), p);
  }
  return p + n;
}
