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
 * Writes a non-negative integer below 2^53 in decimal at `p`; returns the offset after it. Sizes in MSG lines
 * and the numbers in JetStream ack subjects: int32 arithmetic when it fits, else the runtime's own number
 * formatting (division and remainder on doubles, digit by digit, cost more than the whole conversion).
 */
export function writeDecimal(b: Uint8Array, p: number, v: number): number {
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
  if (v <= 0x7fffffff) {
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    let q = p + digits - 1;
    for (let t = v | 0; t > 0; t = (t / 10) | 0) b[q--] = 48 + (t - ((t / 10) | 0) * 10);
    return p + digits;
  }
  const s = String(v);
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}
