/** Server-to-client protocol lines that are not on the message hot path. */
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
