/**
 * Raw-protocol helpers on top of RawConn: connect with a CONNECT of our choosing, read INFO, count frames.
 * Everything waits on what the server writes; nothing sleeps.
 */
import { RawConn, type TestServer } from "./server.ts";

/**
 * INFO as the server sends it on accept, the first line on the wire. nats-server writes `INFO {json} \r\n`
 * (bytes.Join of "INFO", the JSON and CRLF with spaces); the space before CRLF is optional here so that
 * helpers parse either form, and raw_protocol_test.ts checks the exact bytes.
 */
export const INFO_LINE = /^INFO (\{.*\}) ?\r\n/;

/** Opens a raw connection and waits for the server's INFO; the INFO stays in `received`. */
export async function rawOpen(srv: TestServer): Promise<RawConn> {
  const c = await RawConn.open(srv.port);
  await c.waitFor(INFO_LINE);
  return c;
}

/** The INFO object the server sent first on `c`. */
export function infoOf(c: RawConn): Record<string, unknown> {
  const m = INFO_LINE.exec(c.received);
  if (m === null) throw new Error(`no INFO line in ${JSON.stringify(c.received.slice(0, 200))}`);
  return JSON.parse(m[1]!) as Record<string, unknown>;
}

/**
 * Opens a raw connection, sends `CONNECT` (verbose and pedantic off unless `opts` says otherwise, as real
 * clients do) and a PING, waits for the PONG and clears the buffer, so `received` starts empty.
 */
export async function rawConnect(srv: TestServer, opts: Record<string, unknown> = {}): Promise<RawConn> {
  const c = await rawOpen(srv);
  c.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...opts })}\r\nPING\r\n`);
  await c.waitFor("PONG\r\n");
  if (/-ERR/.test(c.received)) throw new Error(`CONNECT refused: ${JSON.stringify(c.received)}`);
  c.clear();
  return c;
}

/** How many times `needle` occurs in `s` (non-overlapping). */
export function count(s: string, needle: string): number {
  let n = 0;
  for (let i = s.indexOf(needle); i !== -1; i = s.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Resolves once `needle` has occurred at least `n` times in what `c` received. */
export function waitForCount(c: RawConn, needle: string, n: number, ms?: number): Promise<string> {
  return c.waitUntil((s) => count(s, needle) >= n, `${n} x ${JSON.stringify(needle)}`, ms);
}

/** PING and wait for its PONG (plus `pending` PONGs still owed for PINGs sent before): all prior input is processed. */
export function roundTrip(c: RawConn, pending = 0): Promise<string> {
  const n = count(c.received, "PONG\r\n");
  c.send("PING\r\n");
  return waitForCount(c, "PONG\r\n", n + pending + 1);
}

/**
 * Sends `script`, round-trips a PING and returns everything received since the previous exchange (so messages
 * that arrived meanwhile from other connections are included), PONG included; then clears the buffer. PINGs
 * inside the script are counted, so their PONGs are in the result too.
 */
export async function exchange(c: RawConn, script: string): Promise<string> {
  const pings = script.match(/^ping\r?$/gim)?.length ?? 0;
  c.send(script);
  await roundTrip(c, pings);
  const got = c.received;
  c.clear();
  return got;
}

export interface RawMsg {
  op: "MSG" | "HMSG";
  subject: string;
  sid: string;
  reply: string | null;
  hdrLen: number;
  size: number;
  /** Header block (HMSG only) followed by the payload. */
  data: string;
}

/**
 * Splits everything in `s` into MSG/HMSG frames, reading payloads by their declared sizes. Other protocol
 * lines (PING, PONG, +OK, -ERR, INFO) are skipped. Throws on a truncated or malformed frame.
 */
export function parseMsgs(s: string): RawMsg[] {
  const out: RawMsg[] = [];
  let i = 0;
  while (i < s.length) {
    const eol = s.indexOf("\r\n", i);
    if (eol === -1) throw new Error(`truncated line at ${i}: ${JSON.stringify(s.slice(i, i + 80))}`);
    const line = s.slice(i, eol);
    i = eol + 2;
    if (!line.startsWith("MSG ") && !line.startsWith("HMSG ")) continue;
    const parts = line.split(" ");
    const op = parts[0] as "MSG" | "HMSG";
    const args = parts.slice(1);
    let subject: string, sid: string, reply: string | null = null, hdrLen = -1, size: number;
    if (op === "MSG") {
      if (args.length === 3) [subject, sid] = args as [string, string];
      else if (args.length === 4) [subject, sid, reply] = args as [string, string, string];
      else throw new Error(`bad MSG line ${JSON.stringify(line)}`);
      size = Number(args[args.length - 1]);
    } else {
      if (args.length === 4) [subject, sid] = args as [string, string];
      else if (args.length === 5) [subject, sid, reply] = args as [string, string, string];
      else throw new Error(`bad HMSG line ${JSON.stringify(line)}`);
      hdrLen = Number(args[args.length - 2]);
      size = Number(args[args.length - 1]);
    }
    const data = s.slice(i, i + size);
    if (data.length !== size || s.slice(i + size, i + size + 2) !== "\r\n") {
      throw new Error(`bad or truncated payload for ${JSON.stringify(line)}`);
    }
    i += size + 2;
    out.push({ op, subject, sid, reply, hdrLen, size, data });
  }
  return out;
}

/** An ASCII payload of exactly `n` bytes in which every 8-byte cell is distinct, so reordering shows. */
export function patternPayload(n: number): string {
  const cells: string[] = [];
  let len = 0;
  for (let k = 0; len < n; k++) {
    const cell = k.toString(36).padStart(7, "0") + ".";
    cells.push(cell);
    len += cell.length;
  }
  return cells.join("").slice(0, n);
}
