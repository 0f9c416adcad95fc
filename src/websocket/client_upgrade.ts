/**
 * The dialling side of an upgrade, as a leaf connecting to a WebSocket port does it (nats-server's
 * leafNodeSolicitWSConnection): a GET for the leaf path, then the 101 checked (status, Upgrade, Connection,
 * Sec-WebSocket-Accept), permessage-deflate taken only with no context takeover both ways, Nats-No-Masking
 * honoured only when the server echoes it. After that the socket is a WsConn that masks what it sends unless
 * the server agreed otherwise; bytes that came with the 101 are its first frames.
 */
import type { Conn, ConnHandler, TLSState } from "../runtime/types.ts";
import type { Deflate } from "./deflate.ts";
import { acceptKey, HeadBuffer, MAX_HEAD } from "./http_head.ts";
import { WsConn } from "./ws_conn.ts";

/** nats-server's wsPMCReqHeaderValue. */
const DEFLATE_OFFER = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
/** nats-server's wsCompressThreshold. */
const COMPRESS_THRESHOLD = 64;

export interface ClientUpgradeOptions {
  /** The Host header: the URL's host and port. */
  host: string;
  path: string;
  /** Offered when set (the remote's ws_compression), used when the server accepts it. */
  compression: Deflate | null;
  /** Ask the server to take unmasked frames (the remote's ws_no_masking). */
  noMasking: boolean;
  /** The largest message taken from the server. */
  maxMessage: number;
  /** The request waits for the TLS handshake the dial runs (wss). */
  tls: boolean;
  /** The 101 must come this soon after the request (nats-server's DEFAULT_LEAFNODE_INFO_WAIT). */
  timeoutMs: number;
}

export interface ClientUpgradeEvents {
  /** The socket is a WebSocket: what serves it from now on. */
  upgraded(ws: WsConn): ConnHandler;
  /** The upgrade failed and the socket is closed (a failed TLS handshake is the dial's to report). */
  failed(reason: string): void;
}

interface ResponseHead {
  status: number;
  headers: Headers;
}

export class ClientUpgrade implements ConnHandler {
  private state: "waiting" | "checking" | "upgraded" | "over" = "waiting";
  private readonly headBytes = new HeadBuffer();
  /** What came after the response head while its accept key was checked. */
  private early: Uint8Array[] = [];
  private key = "";
  private tlsState: TLSState | null = null;
  private ws: WsConn | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly raw: Conn,
    private readonly opts: ClientUpgradeOptions,
    private readonly events: ClientUpgradeEvents,
  ) {}

  start(): void {
    this.timer = setTimeout(() => this.fail("timed out waiting for the websocket upgrade response"), this.opts.timeoutMs);
    if (!this.opts.tls) this.sendRequest();
  }

  private sendRequest(): void {
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    this.key = btoa(String.fromCharCode(...nonce));
    let r = `GET ${this.opts.path} HTTP/1.1\r\nHost: ${this.opts.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n`;
    if (this.opts.compression !== null) r += `Sec-WebSocket-Extensions: ${DEFLATE_OFFER}\r\n`;
    if (this.opts.noMasking) r += "Nats-No-Masking: true\r\n";
    this.raw.write(new TextEncoder().encode(`${r}\r\n`));
  }

  onTLS(result: TLSState | Error): void {
    if (this.ws !== null) return this.ws.onTLS(result);
    if (result instanceof Error) return this.stop();
    this.tlsState = result;
    this.sendRequest();
  }

  onData(data: Uint8Array): void {
    if (this.ws !== null) return this.ws.onData(data);
    if (this.state === "checking") return void this.early.push(data.slice());
    if (this.state !== "waiting") return;
    const { bytes: b, end } = this.headBytes.add(data);
    if (end < 0) {
      if (b.length > MAX_HEAD) this.fail("websocket upgrade response too large");
      return;
    }
    const head = parseResponse(b.subarray(0, end));
    this.headBytes.clear();
    if (end < b.length) this.early.push(b.slice(end));
    this.state = "checking";
    void this.check(head).then((why) => {
      if (this.state !== "checking") return;
      if (why === null) this.upgrade(head!);
      else this.fail(why);
    });
  }

  /** Why the response is not a WebSocket the leaf can use, in nats-server's words; null when it is. */
  private async check(head: ResponseHead | null): Promise<string | null> {
    if (head === null) return "invalid websocket connection";
    const h = head.headers;
    if (
      head.status !== 101 ||
      h.get("upgrade")?.toLowerCase() !== "websocket" ||
      h.get("connection")?.toLowerCase() !== "upgrade" ||
      h.get("sec-websocket-accept") !== (await acceptKey(this.key))
    ) {
      return "invalid websocket connection";
    }
    if (this.opts.compression !== null) {
      const [accepted, noContext] = deflateAnswer(h);
      if (accepted && !noContext) return "compression negotiation error";
    }
    return null;
  }

  private upgrade(head: ResponseHead): void {
    this.stop();
    this.state = "upgraded";
    const compressed = this.opts.compression !== null && deflateAnswer(head.headers)[0];
    const unmasked = this.opts.noMasking && head.headers.get("nats-no-masking") === "true";
    const ws = new WsConn(this.raw, {
      compression: compressed ? this.opts.compression : null,
      compressThreshold: COMPRESS_THRESHOLD,
      // A server never masks.
      noMasking: true,
      maskWrites: !unmasked,
      maxMessage: this.opts.maxMessage,
      tls: this.tlsState,
      forwardedFor: null,
      cookieJwt: null,
      maxFrame: 0,
      wholeCompressed: false,
    });
    this.ws = ws;
    ws.handler = this.events.upgraded(ws);
    const early = this.early;
    this.early = [];
    for (const d of early) ws.onData(d);
  }

  private fail(reason: string): void {
    if (this.state === "upgraded" || this.state === "over") return;
    this.stop();
    this.raw.destroy();
    this.events.failed(reason);
  }

  /** No more waiting: the socket upgraded, failed, or closed. */
  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.state = "over";
  }

  onDrain(): void {
    this.ws?.onDrain();
  }

  onClose(): void {
    if (this.ws !== null) return this.ws.onClose();
    if (this.state === "over") return;
    this.stop();
    this.events.failed("connection closed during the websocket upgrade");
  }
}

/** nats-server's wsPMCExtensionSupport: permessage-deflate named, and both no-context-takeover parameters after it. */
function deflateAnswer(h: Headers): [boolean, boolean] {
  const v = h.get("sec-websocket-extensions");
  if (v === null) return [false, false];
  for (const ext of v.split(",")) {
    const params = ext.split(";").map((p) => p.trim().toLowerCase());
    const i = params.indexOf("permessage-deflate");
    if (i < 0) continue;
    const after = params.slice(i + 1);
    return [true, after.includes("server_no_context_takeover") && after.includes("client_no_context_takeover")];
  }
  return [false, false];
}

function parseResponse(b: Uint8Array): ResponseHead | null {
  const lines = new TextDecoder("latin1").decode(b).split("\r\n");
  const m = /^HTTP\/1\.\d (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
  if (m === null) return null;
  const headers = new Headers();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i <= 0) continue;
    try {
      headers.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
    } catch {
      return null;
    }
  }
  return { status: Number(m[1]), headers };
}
