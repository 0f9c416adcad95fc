/** The NATS header block (`NATS/1.0[ status]\r\nK: v\r\n...\r\n\r\n`): reading publish headers, writing statuses. */

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Header values by lower-cased name (first value wins); an absent or empty block gives an empty map. Every
 * stored message with headers is parsed here (a source's Nats-Stream-Source, a publisher's Nats-Msg-Id): an
 * ASCII block is read from its bytes, without decoding it whole and splitting it into lines first.
 */
export function parseHeaders(hdr: Uint8Array | null): Map<string, string> {
  const out = new Map<string, string>();
  if (hdr === null || hdr.length === 0) return out;
  const n = hdr.length;
  for (let i = 0; i < n; i++) if (hdr[i]! > 0x7f) return parseDecoded(hdr, out);
  // The first line is the status line; each other one is `name: value`, ended by CRLF or the block's end.
  let crlf = crlfFrom(hdr, 0);
  while (crlf >= 0) {
    const start = crlf + 2;
    crlf = crlfFrom(hdr, start);
    const end = crlf < 0 ? n : crlf;
    let colon = start;
    while (colon < end && hdr[colon] !== 0x3a) colon++;
    if (colon === start || colon === end) continue;
    const key = ascii(hdr, start, colon, true);
    if (!out.has(key)) out.set(key, ascii(hdr, colon + 1, end, false));
  }
  return out;
}

/** Where the next CRLF at or after `from` starts, or -1. */
function crlfFrom(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

/** JavaScript's trim() of ASCII: tab, LF, VT, FF, CR and space. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** ASCII b[from, to) trimmed, and lower-cased when asked (a header name). */
function ascii(b: Uint8Array, from: number, to: number, lower: boolean): string {
  while (from < to && isSpace(b[from]!)) from++;
  while (to > from && isSpace(b[to - 1]!)) to--;
  let s = "";
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    s += String.fromCharCode(lower && c >= 65 && c <= 90 ? c + 32 : c);
  }
  return s;
}

/** Any block with non-ASCII bytes: decoded as UTF-8 and read by line. */
function parseDecoded(hdr: Uint8Array, out: Map<string, string>): Map<string, string> {
  const lines = decoder.decode(hdr).split("\r\n");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!out.has(key)) out.set(key, line.slice(colon + 1).trim());
  }
  return out;
}

/** A headers-only status message such as `NATS/1.0 404 No Messages`, with optional extra headers. */
export function statusHeader(code: number, description: string, extra: readonly [string, string | number][] = []): Uint8Array {
  let s = `NATS/1.0 ${code} ${description}\r\n`;
  for (const [k, v] of extra) s += `${k}: ${v}\r\n`;
  return encoder.encode(s + "\r\n");
}

/** A message's header block with `extra` appended (a fresh `NATS/1.0` block when it had none). */
export function withHeaders(hdr: Uint8Array, extra: readonly [string, string | number][]): Uint8Array {
  let s = hdr.length > 0 ? decoder.decode(hdr).replace(/\r\n\r\n$/, "\r\n") : "NATS/1.0\r\n";
  for (const [k, v] of extra) s += `${k}: ${v}\r\n`;
  return encoder.encode(s + "\r\n");
}

/** A header block without the header `name` (any case); null when nothing is left but the status line. */
export function withoutHeader(hdr: Uint8Array | null, name: string): Uint8Array | null {
  if (hdr === null || hdr.length === 0) return null;
  const lower = name.toLowerCase();
  const lines = decoder.decode(hdr).split("\r\n").filter((l, i) => i === 0 || !l.toLowerCase().startsWith(`${lower}:`));
  const kept = lines.filter((l) => l !== "");
  return kept.length <= 1 && kept[0] === "NATS/1.0" ? null : encoder.encode(kept.join("\r\n") + "\r\n\r\n");
}
