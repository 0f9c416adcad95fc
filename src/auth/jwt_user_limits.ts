/**
 * A user JWT's connection limits, as nats-server 2.9.10 checks them at CONNECT (auth.go): `src` (the client's
 * address in one of the CIDRs), `times` in the zone of `times_location` (validateTimes, including its rule that a
 * range past midnight is entered only after its start on the same day; jwt v2 names the zone `times_location`,
 * which @nats-io/jwt's `locale` is not), and `allowed_connection_types`
 * (convertAllowedConnectionTypes / connectionTypeAllowed).
 */
import { ClientType, Kind } from "../protocol/kind.ts";

/** Connection types nats-server 2.9.10 knows; others in a JWT are ignored, unless nothing else is left. */
const KNOWN_TYPES = new Set(["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS"]);

/** What a connection is, for the limits that depend on it. */
export interface ConnectingPeer {
  readonly kind: Kind;
  readonly clientType: ClientType;
  /** The remote IP address as the socket gives it. */
  readonly host: string;
}

/** false when the types the JWT allows do not include this connection's. */
export function connectionTypeAllowed(types: readonly string[] | undefined, peer: ConnectingPeer): boolean {
  if (types === undefined || types.length === 0) return true;
  const known = types.filter((t) => KNOWN_TYPES.has(t));
  // Only unknown types: the JWT meant some other kind of connection, so nothing here is allowed.
  if (known.length === 0) return false;
  const mine = peer.kind === Kind.LEAF ? "LEAFNODE" : peer.clientType === ClientType.WS ? "WEBSOCKET" : peer.clientType === ClientType.MQTT ? "MQTT" : "STANDARD";
  return known.includes(mine);
}

/** validateSrc: no list allows everyone; otherwise the host must be in one of the CIDRs (older JWTs: one comma-separated string). */
export function srcAllowed(src: readonly string[] | string | undefined, host: string): boolean {
  const list = typeof src === "string" ? src.split(",").map((s) => s.trim()).filter((s) => s !== "") : (src ?? []);
  if (list.length === 0) return true;
  const ip = parseIp(host);
  if (ip === null) return false;
  for (const cidr of list) {
    const slash = cidr.indexOf("/");
    const net = slash < 0 ? null : parseIp(cidr.slice(0, slash));
    const bits = slash < 0 ? NaN : Number(cidr.slice(slash + 1));
    // An entry that is not a CIDR makes the JWT invalid; nats-server refuses at the first one.
    if (net === null || !/^\d+$/.test(cidr.slice(slash + 1)) || bits > net.length * 8) return false;
    if (net.length === ip.length && prefixMatches(net, ip, bits)) return true;
  }
  return false;
}

function prefixMatches(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((a[i >> 3]! & mask) !== (b[i >> 3]! & mask)) return false;
  }
  return true;
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address; an IPv4-mapped IPv6 address is its IPv4 one, as Go matches it. */
function parseIp(s: string): Uint8Array | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4 !== null) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : null;
  }
  if (!s.includes(":")) return null;
  const mapped = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let text = s;
  let tail: number[] = [];
  if (mapped !== null) {
    const four = parseIp(mapped[2]!);
    if (four === null) return null;
    tail = [(four[0]! << 8) | four[1]!, (four[2]! << 8) | four[3]!];
    text = mapped[1]!.endsWith("::") ? mapped[1]! : mapped[1]!.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":").map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if ((halves.length === 2 ? fill < 0 : fill !== 0) || [...head, ...rest].some(Number.isNaN)) return null;
  const all = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  const isMapped = out.subarray(0, 10).every((x) => x === 0) && out[10] === 0xff && out[11] === 0xff;
  return isMapped ? out.slice(12) : out;
}

type TimeRange = { start?: string; end?: string };

/**
 * validateTimes: whether now is inside one of the ranges (wall clock in the `times_location` zone, else the
 * server's), and for how long (ms) it stays so; null when connecting now is not allowed.
 */
export function connectWindow(times: readonly TimeRange[] | undefined, zone: string | undefined, nowMs = Date.now()): { validForMs: number } | null {
  if (times === undefined || times.length === 0) return { validForMs: 0 };
  const now = wallClockSeconds(nowMs, zone);
  if (now === null) return null;
  const DAY = 86_400;
  for (const r of times) {
    const start = clockSeconds(r.start);
    const end = clockSeconds(r.end);
    if (start === null || end === null) return null;
    // A range past midnight ends the next day; it is entered only after its start today, as in nats-server.
    const endAt = start > end ? end + DAY : end;
    if (start < now && endAt > now) return { validForMs: (endAt - now) * 1000 };
  }
  return null;
}

/** Go's "15:04:05" layout. */
function clockSeconds(s: string | undefined): number | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(s ?? "");
  if (m === null) return null;
  const [h, min, sec] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return h < 24 && min < 60 && sec < 60 ? h * 3600 + min * 60 + sec : null;
}

/** Seconds since midnight (fractional) on the wall clock of `zone` (IANA), else locally; null for an unknown zone. */
function wallClockSeconds(nowMs: number, zone: string | undefined): number | null {
  const frac = (nowMs % 1000) / 1000;
  if (!zone) {
    const d = new Date(nowMs);
    return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds() + frac;
  }
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(nowMs);
  } catch {
    return null;
  }
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? NaN);
  return get("hour") * 3600 + get("minute") * 60 + get("second") + frac;
}
