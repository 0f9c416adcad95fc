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
