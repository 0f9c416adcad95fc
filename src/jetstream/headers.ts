/** The NATS header block (`NATS/1.0[ status]\r\nK: v\r\n...\r\n\r\n`): reading publish headers, writing statuses. */

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Header values by lower-cased name (first value wins); an absent or empty block gives an empty map. */
export function parseHeaders(hdr: Uint8Array | null): Map<string, string> {
  const out = new Map<string, string>();
  if (hdr === null || hdr.length === 0) return out;
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

/**
 * Header names to look for, lower-cased, matched on a block's bytes (ASCII, any case) by headerValues: a
 * publish path that acts on a few `Nats-` headers decodes nothing of the others, such as the
 * `Nats-Stream-Source` every sourced message carries.
 */
export class HeaderNames {
  readonly #names: string[];
  readonly #bytes: Uint8Array[];

  constructor(names: readonly string[]) {
    this.#names = names.map((n) => n.toLowerCase());
    this.#bytes = this.#names.map((n) => encoder.encode(n));
  }

  /** The name b[s, e) is, ignoring ASCII case, or undefined. */
  find(b: Uint8Array, s: number, e: number): string | undefined {
    const len = e - s;
    for (let i = 0; i < this.#bytes.length; i++) {
      const n = this.#bytes[i]!;
      if (n.length !== len) continue;
      let j = 0;
      while (j < len && (b[s + j]! | (isUpper(b[s + j]!) ? 0x20 : 0)) === n[j]) j++;
      if (j === len) return this.#names[i];
    }
    return undefined;
  }
}

const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
/** The whitespace String.prototype.trim removes, as far as it is ASCII. */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** parseHeaders restricted to `names`: the same values, without decoding any other header. */
export function headerValues(hdr: Uint8Array | null, names: HeaderNames): Map<string, string> {
  const out = new Map<string, string>();
  if (hdr === null) return out;
  const n = hdr.length;
  let p = lineEnd(hdr, 0);
  while (p < n) {
    const start = p + 2;
    const end = lineEnd(hdr, start);
    p = end;
    let colon = start;
    while (colon < end && hdr[colon] !== 0x3a) colon++;
    if (colon === end || colon === start) continue;
    let ks = start;
    let ke = colon;
    while (ks < ke && isSpace(hdr[ks]!)) ks++;
    while (ke > ks && isSpace(hdr[ke - 1]!)) ke--;
    const key = names.find(hdr, ks, ke);
    if (key !== undefined && !out.has(key)) out.set(key, decoder.decode(hdr.subarray(colon + 1, end)).trim());
  }
  return out;
}

/** Where the line starting at `p` ends: at its CRLF, or at the end of the block. */
function lineEnd(b: Uint8Array, p: number): number {
  const n = b.length;
  while (p < n && !(b[p] === 0x0d && b[p + 1] === 0x0a)) p++;
  return p;
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
