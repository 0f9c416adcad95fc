/**
 * The HTTP/1.1 side of the upgrade, by hand as nats-server writes it after hijacking the connection: the
 * request head parsed from bytes, the 101 response, and the short error responses Go's http.Error sends.
 */
import type { UpgradeHead } from "./handshake.ts";

/** RFC 6455 1.3. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Beyond this a request head is refused (Go's server allows 1 MiB; an upgrade request is a few hundred bytes). */
export const MAX_HEAD = 64 * 1024;

export interface RequestHead extends UpgradeHead {
  path: string;
  /** The first X-Forwarded-For line, when it is an IP address (nats-server's wsUpgrade). */
  forwardedFor: string | null;
}

const CRLFCRLF = [13, 10, 13, 10] as const;

/** Where the head ends (the index after its blank line) in `b`, or -1. */
export function headEnd(b: Uint8Array, from: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < b.length; i++) {
    if (b[i] === CRLFCRLF[0] && b[i + 1] === CRLFCRLF[1] && b[i + 2] === CRLFCRLF[2] && b[i + 3] === CRLFCRLF[3]) return i + 4;
  }
  return -1;
}

/** An HTTP head's bytes gathered across reads until its blank line, on either side of an upgrade. */
export class HeadBuffer {
  private buf = new Uint8Array(0);

  /** Adds what was read: all bytes so far, and where the head ends in them (-1 while it has not). */
  add(data: Uint8Array): { bytes: Uint8Array; end: number } {
    const from = this.buf.length;
    const b = new Uint8Array(from + data.length);
    b.set(this.buf);
    b.set(data, from);
    this.buf = b;
    return { bytes: b, end: headEnd(b, from) };
  }

  /** Lets go of the bytes once the head is handled. */
  clear(): void {
    this.buf = new Uint8Array(0);
  }
}

/** The request line and headers, or why they are not HTTP/1.1. */
export function parseHead(b: Uint8Array): RequestHead | string {
  const lines = new TextDecoder("latin1").decode(b).split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.(\d)$/.exec(lines[0] ?? "");
  if (m === null) return "malformed request line";
  const headers = new Headers();
  let forwardedFor: string | null | undefined;
  for (const l of lines.slice(1)) {
    if (l === "") continue;
    const i = l.indexOf(":");
    if (i <= 0) return "malformed header line";
    const name = l.slice(0, i).trim();
    const value = l.slice(i + 1).trim();
    try {
      headers.append(name, value);
    } catch {
      return `invalid header ${JSON.stringify(name)}`;
    }
    if (forwardedFor === undefined && name.toLowerCase() === "x-forwarded-for") forwardedFor = isIP(value) ? value : null;
  }
  return { method: m[1]!, path: m[2]!, headers, forwardedFor: forwardedFor ?? null };
}

/** Go's net.ParseIP accepts it: dotted IPv4 or an IPv6 literal (WHATWG URL parses the latter exactly). */
function isIP(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return true;
  if (!s.includes(":") || /[^0-9a-fA-F:.]/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** WebCrypto rather than node:crypto, whose module costs idle memory. */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(key + GUID));
  let bin = "";
  for (const b of new Uint8Array(digest)) bin += String.fromCharCode(b);
  return btoa(bin);
}

export interface SwitchOptions {
  compression: boolean;
  noMasking: boolean;
  /** Sec-WebSocket-Protocol to answer (MQTT over WebSocket names "mqtt"). */
  protocol?: string;
}

const encoder = new TextEncoder();

export async function switchingProtocols(key: string, o: SwitchOptions): Promise<Uint8Array> {
  let r = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${await acceptKey(key)}\r\n`;
  if (o.compression) r += "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n";
  if (o.noMasking) r += "Nats-No-Masking: true\r\n";
  if (o.protocol !== undefined) r += `Sec-Websocket-Protocol: ${o.protocol}\r\n`;
  return encoder.encode(`${r}\r\n`);
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** An error response as Go's http.Error writes it (the status text as body), the connection closing after. */
export function httpError(status: number): Uint8Array {
  const text = STATUS_TEXT[status] ?? "Error";
  const body = `${text}\n`;
  return encoder.encode(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Does the request offer permessage-deflate (any parameters; nats-server looks at nothing else)? */
export function offersDeflate(h: Headers): boolean {
  const v = h.get("sec-websocket-extensions");
  if (v === null) return false;
  return v.split(",").some((ext) => ext.split(";").some((p) => p.trim().toLowerCase() === "permessage-deflate"));
}
