/**
 * The NATS client protocol on a Connection (src/connection/): feeds the parser, answers protocol ops, and
 * encodes MSG/HMSG into the connection's outbound buffer. Routing (who gets a message) is the router's job;
 * this class only knows its own subscriptions.
 */
import { Parser, type ParserHandler, type PubArg } from "../protocol/parser.ts";
import { ERR, ProtocolError } from "../protocol/errors.ts";
import { OK, PONG, copyInto, goQuote, writeDecimal } from "../protocol/encode.ts";
import type { AuthUser, AuthVerdict } from "../auth/authenticator.ts";
import { PermissionGuard } from "../auth/guard.ts";
import { Subscription } from "../routing/subscription.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection, ConnProtocol } from "../connection/connection.ts";
import { ParsedInput } from "../connection/parsed_input.ts";
import type { ClientAccount, ClientHost } from "./host.ts";
import { connectError, parseConnect, redactConnect, type ConnectOptions } from "../protocol/connect.ts";
import { isValidLiteralSubject } from "../subject/subject.ts";
import { MatchCache } from "../routing/match_cache.ts";
import { LastSubject } from "../protocol/last_subject.ts";
import type { Endpoint, Publisher } from "../routing/endpoint.ts";
import { copyBytes } from "../runtime/bytes.ts";

/**
 * Outbound bytes at which a receiver is written to at once instead of at the end of the read cycle: a single
 * read can hold megabytes, and a client that keeps reading must not look slow because of that.
 */
const FLUSH_AT = 64 * 1024;

const HMSG_OP = new Uint8Array([72, 77, 83, 71, 32]); // "HMSG "
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class Client implements ParserHandler, ConnProtocol, Publisher {
  readonly parser: Parser;
  readonly subs = new Map<string, Subscription>();
  opts: ConnectOptions = { verbose: true, pedantic: true, echo: true, headers: false, noResponders: false, protocol: 0 };
  connected = false;
  /**
   * nats-server's connect-time RTT estimate (processConnect's computeRTT): ms from the accept to the
   * CONNECT, 0 until then. natsedge sends no RTT pings of its own, so it stays that estimate.
   */
  rtt = 0;
  private readonly acceptedAt = performance.now();
  /**
   * The INFO changed (the cluster's connect_urls) before this client's CONNECT: it goes after the PONG to
   * the first PING, as nats-server's processPing sends it, when the client then says it understands async INFO.
   */
  infoChanged = false;
  private firstPongSent = false;
  /** The nkey challenge sent in INFO, if any. */
  nonce: string | null = null;
  /** Who this connection authenticated as (null: no authentication configured). */
  user: AuthUser | null = null;
  /** Where this client publishes and subscribes: its user's account, else the global one. */
  account: ClientAccount;
  /** The user's permissions applied to this connection; null when the user has none. */
  private guard: PermissionGuard | null = null;
  /** Delivery to this client needs a per-message check (the guard's; a field because the router reads it per message). */
  checksDelivery = false;
  /** The most subscriptions this connection may hold: the server's max_subscriptions, or its JWT's lower cap (-1: none). */
  private maxSubs: number;
  private readonly input: ParsedInput;
  readonly matchCache = new MatchCache();

  private readonly lastSubject = new LastSubject();

  // Plain fields, not getters through link: the router reads them on every delivery, from clients and the
  // internal endpoint alike.
  readonly cid: number;
  closed = false;

  constructor(
    readonly link: Connection,
    readonly host: ClientHost,
  ) {
    link.proto = this;
    this.cid = link.cid;
    this.account = host.accountFor(null);
    const o = host.options;
    this.parser = new Parser(this, o.max_payload, o.max_control_line, link.kind);
    this.maxSubs = o.max_subscriptions > 0 ? o.max_subscriptions : -1;
    this.input = new ParsedInput(this.parser, link, (err) => link.protocolError(err, "client", closeReasonOf), () => host.flushPending());
  }

  get traceId(): string {
    return this.link.traceId;
  }

  // ---- ConnProtocol ---------------------------------------------------------------------------------------

  onData(data: Uint8Array): void {
    this.input.feed(data);
  }

  /** Applies an authenticated identity: its permissions govern everything from here on. */
  setUser(user: AuthUser | null): void {
    this.user = user;
    const account = this.host.accountFor(user?.account ?? null);
    if (account !== this.account) this.moveTo(account);
    // A reload can hand an existing connection new permissions: its live subscriptions count.
    const perms = user?.perms;
    this.guard = perms ? new PermissionGuard(perms, [...this.subs.values()].map((s) => s.subject)) : null;
    this.checksDelivery = this.guard?.checksDelivery ?? false;
    this.applyCaps(user);
  }

  /** nats-server's applyAccountLimits: the lower of the server's limit and the account's or JWT's, -1 being none. */
  applyCaps(user: AuthUser | null): void {
    const o = this.host.options;
    this.maxSubs = lowerLimit(o.max_subscriptions > 0 ? o.max_subscriptions : -1, user?.maxSubs);
    this.parser.maxPayload = lowerLimit(o.max_payload, user?.maxPayload);
  }

  /**
   * Operator mode: the same user with the caps of its account's new JWT; permissions, and the reply
   * permissions they track, stay. A connection at or over its new subscription cap is told so and closed.
   */
  updateCaps(user: AuthUser): void {
    this.user = user;
    this.applyCaps(user);
    this.closeIfSubsAtLimit();
  }

  /**
   * nats-server's applyAccountLimits when limits change under a live connection (a pushed account JWT, a
   * reload): at its cap already, not only over it, the connection is told so and closed.
   */
  closeIfSubsAtLimit(): void {
    if (this.maxSubs < 0 || this.subs.size < this.maxSubs) return;
    this.host.log.error(`${this.traceId} - ${ERR.maxSubscriptions}`);
    this.link.sendErr(ERR.maxSubscriptions);
    this.link.closeAfterFlush(CloseReason.maxSubscriptions);
  }

  /** Rebinds to another account (a reload moved the user); live subscriptions go along. */
  private moveTo(account: ClientAccount): void {
    for (const sub of this.subs.values()) {
      this.account.removeSub(sub);
      account.addSub(sub);
    }
    this.account = account;
  }

  onClose(): void {
    this.closed = true;
    for (const sub of this.subs.values()) this.account.removeSub(sub);
  }

  // ---- ParserHandler --------------------------------------------------------------------------------------

  private traceIn(op: string, arg: string): void {
    this.host.log.tracef(`${this.traceId} - <<- [${op}${arg ? " " + arg : ""}]`);
  }

  private traceOut(op: string): void {
    this.host.log.tracef(`${this.traceId} - ->> [${op}]`);
  }

  /** Queues +OK (verbose mode). */
  private sendOK(): void {
    if (this.host.log.trace) this.traceOut("OK");
    this.link.enqueue(OK);
  }

  processPubArgs(pa: PubArg): void {
    if (this.host.log.trace) this.traceIn(pa.hdr >= 0 ? "HPUB" : "PUB", pubArgsText(pa));
    // nats-server's processHeaderPub refuses HPUB from a client that did not negotiate headers.
    if (pa.hdr >= 0 && !this.opts.headers) throw new ProtocolError(null, true, "processHeaderPub: message headers not supported");
    if (this.opts.pedantic && !isValidLiteralSubject(this.subjectOf(pa))) this.link.sendErr(ERR.invalidPublishSubject);
  }

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    this.link.inMsgs++;
    this.link.inBytes += pa.size;
    if (this.host.log.trace) this.traceIn("MSG_PAYLOAD:", JSON.stringify(decoder.decode(buf.subarray(start, start + pa.size))));
    const subject = this.subjectOf(pa);
    if (this.guard !== null && !this.guard.canPublish(subject)) {
      this.host.log.error(`${this.traceId} - Publish Violation - ${this.userLabel()}, Subject ${goQuote(subject)}`);
      this.link.sendErr(`Permissions Violation for Publish to ${goQuote(subject)}`);
      return;
    }
    if (this.opts.verbose) this.sendOK();
    this.account.route(this, subject, pa, buf, start);
  }

  private userLabel(): string {
    return `User ${goQuote(this.user?.name ?? "")}`;
  }

  /** Per-message admission for clients with checksDelivery (PermissionGuard.admitDelivery). */
  admitDelivery(subject: string, pa: PubArg): boolean {
    return this.guard === null || this.guard.admitDelivery(subject, pa);
  }

  processSub(arg: string): void {
    if (this.host.log.trace) this.traceIn("SUB", arg);
    const args = splitArgs(arg);
    let subject: string, queue: string | null = null, sid: string;
    if (args.length === 2) [subject, sid] = args as [string, string];
    else if (args.length === 3) [subject, queue, sid] = args as [string, string, string];
    else throw new ProtocolError(null, true, `processSub Parse Error: ${goQuote(arg)}`);

    const max = this.maxSubs;
    if (max >= 0 && this.subs.size >= max) {
      this.host.log.error(`${this.traceId} - ${ERR.maxSubscriptions}`);
      this.link.sendErr(ERR.maxSubscriptions);
      return;
    }
    if (this.guard !== null && !this.guard.canSubscribe(subject, queue)) {
      const q = queue !== null ? ` using queue ${goQuote(queue)}` : "";
      this.host.log.error(`${this.traceId} - Subscription Violation - ${this.userLabel()}, Subject ${goQuote(subject)}${queue !== null ? `, Queue: ${goQuote(queue)}` : ""}, SID ${sid}`);
      this.link.sendErr(`Permissions Violation for Subscription to ${goQuote(subject)}${q}`);
      return;
    }
    if (this.subs.has(sid)) {
      // nats-server checks permissions first, then ignores a SUB that reuses a live sid.
      if (this.opts.verbose) this.sendOK();
      return;
    }
    const sub = new Subscription(this, subject, queue, sid);
    if (!this.account.addSub(sub)) {
      this.link.sendErr(ERR.invalidSubject);
      return;
    }
    this.subs.set(sid, sub);
    if (this.guard !== null) {
      this.guard.subscribed(subject);
      this.checksDelivery = this.guard.checksDelivery;
    }
    if (this.opts.verbose) this.sendOK();
  }

  processUnsub(arg: string): void {
    if (this.host.log.trace) this.traceIn("UNSUB", arg);
    const args = splitArgs(arg);
    let max = -1;
    if (args.length === 2) {
      max = Number(args[1]);
      if (!/^\d+$/.test(args[1]!)) max = -1;
    } else if (args.length !== 1) {
      throw new ProtocolError(null, true, `processUnsub Parse Error: ${goQuote(arg)}`);
    }
    const sub = this.subs.get(args[0]!);
    if (sub) {
      if (max > 0 && max > sub.delivered) sub.max = max;
      else this.removeSub(sub);
    }
    if (this.opts.verbose) this.sendOK();
  }

  processConnect(arg: string): void {
    if (this.host.log.trace) this.traceIn("CONNECT", redactConnect(arg));
    this.opts = parseConnect(arg, this.opts, this.host.options.no_header_support);
    // nats-server's processConnect: a WebSocket client without a jwt of its own is the jwt_cookie's user.
    if (!this.opts.jwt) {
      const fromCookie = this.link.conn.cookieJwt;
      if (fromCookie) this.opts.jwt = fromCookie;
    }
    const verdict = this.host.authenticate(this);
    if (!(verdict instanceof Promise)) {
      if (!this.finishConnect(verdict)) throw new ProtocolError(null, true);
      return;
    }
    // bcrypt or Ed25519 runs asynchronously: stop parsing after CONNECT and hold later input until it is done.
    this.parser.suspended = true;
    void verdict.then((v) => this.resumeAfterConnect(v), () => this.resumeAfterConnect({ ok: false, reason: "authentication error" }));
  }

  private resumeAfterConnect(v: AuthVerdict): void {
    this.parser.suspended = false;
    if (this.closed) return;
    if (this.finishConnect(v)) this.input.resume();
    else this.host.flushPending();
  }

  /** Applies the verdict on CONNECT; false when the connection is being closed. */
  private finishConnect(v: AuthVerdict): boolean {
    if (!v.ok) {
      this.link.sendErr(v.wire?.err ?? ERR.authorizationViolation);
      this.host.log.error(`${this.traceId} - ${v.reason}`);
      this.link.closeAfterFlush((v.wire?.close as CloseReason | undefined) ?? CloseReason.authViolation);
      return false;
    }
    const refused = connectError(this.opts);
    if (refused !== null) {
      this.link.sendErr(refused);
      this.link.closeAfterFlush(CloseReason.protocolViolation);
      return false;
    }
    // registerWithAccount: a config account's `limits { max_connections }` (a JWT's `conn` was checked with it).
    if (this.host.maxConnectionsReached(v.user?.account ?? null)) {
      this.link.sendErr(ERR.maxAccountConnections);
      this.host.log.error(`${this.traceId} - ${ERR.maxAccountConnections}`);
      this.link.closeAfterFlush(CloseReason.maxAccountConnections);
      return false;
    }
    if (v.user !== null || this.user === null) this.setUser(v.user);
    this.connected = true;
    this.parser.awaitingConnect = false;
    if (this.opts.verbose) this.sendOK();
    this.host.clientConnected(this);
    // After the connect advisory, which nats-server sends before it has an RTT.
    this.rtt = performance.now() - this.acceptedAt;
    // nats-server's applyAccountLimits: a connection its account or JWTs allow no subscription at all is told so and
    // closed. The -ERR goes out with what the read that carried CONNECT answers (its PONG), and the close
    // follows that flush: a close while a write is in flight could drop the -ERR.
    if (this.maxSubs === 0) {
      this.host.log.error(`${this.traceId} - ${ERR.maxSubscriptions}`);
      this.link.sendErr(ERR.maxSubscriptions);
      queueMicrotask(() => this.link.closeAfterFlush(CloseReason.maxSubscriptions));
    }
    return true;
  }

  processPing(): void {
    if (this.host.log.trace) {
      this.traceIn("PING", "");
      this.traceOut("PONG");
    }
    this.link.enqueue(PONG);
    if (this.firstPongSent || !this.connected) return;
    this.firstPongSent = true;
    // A payload cap below the server's (the account's limits, its JWTs) is news to the client, as a changed INFO is.
    const changed = this.infoChanged || this.parser.maxPayload !== this.host.options.max_payload;
    if (changed && this.opts.protocol >= 1) this.link.enqueue(this.host.infoFor(this));
    this.infoChanged = false;
  }

  processPong(): void {
    if (this.host.log.trace) this.traceIn("PONG", "");
    this.link.pingsOut = 0;
  }

  /** A client's INFO tells a server nothing (the parser has checked it is JSON). */
  processInfo(): void {}

  processErr(arg: string): void {
    this.host.log.error(`${this.traceId} - Client Error ${arg}`);
    throw new ProtocolError(null, true);
  }

  // ---- delivery -------------------------------------------------------------------------------------------

  deliver(sub: Subscription, pa: PubArg, payload: Uint8Array): void {
    this.deliverAt(sub, pa, payload, 0);
  }

  /**
   * Encodes one MSG (or HMSG) for `sub` into the outbound buffer. The subject and reply are copied from the
   * publisher's argument bytes and the payload followed by its CRLF, buf[start, start + pa.size + 2), from
   * the publisher's read buffer, so delivery allocates nothing.
   */
  deliverAt(sub: Subscription, pa: PubArg, buf: Uint8Array, start: number): void {
    const ab = pa.buf;
    const subjLen = pa.subjEnd - pa.subjStart;
    const replyLen = pa.replyEnd - pa.replyStart;
    const sid = sub.sidBytes;
    let hdr = pa.hdr;
    let size = pa.size;
    if (hdr >= 0 && !this.opts.headers) {
      // A client that did not negotiate headers gets the payload alone, as a MSG.
      start += hdr;
      size -= hdr;
      hdr = -1;
    }
    // Upper bound of the control line: op + subject + sid + reply + two sizes + spaces and CRLF.
    const need = 5 + subjLen + 1 + sid.length + 1 + replyLen + 1 + 22 + 2 + size + 2;
    const link = this.link;
    const out = link.out;
    let p = out.reserve(need);
    const start0 = p;
    const o = out.buf;
    if (hdr < 0) {
      o[p] = 77; o[p + 1] = 83; o[p + 2] = 71; o[p + 3] = 32; // "MSG "
      p += 4;
    } else {
      o.set(HMSG_OP, p);
      p += 5;
    }
    p = copyInto(o, p, ab, pa.subjStart, pa.subjEnd);
    o[p++] = 32;
    p = copyInto(o, p, sid, 0, sid.length);
    o[p++] = 32;
    if (replyLen > 0) {
      p = copyInto(o, p, ab, pa.replyStart, pa.replyEnd);
      o[p++] = 32;
    }
    if (hdr >= 0) {
      p = writeDecimal(o, p, hdr);
      o[p++] = 32;
    }
    p = writeDecimal(o, p, size);
    o[p++] = 13;
    o[p++] = 10;
    if (size < 16) {
      for (let i = 0; i < size + 2; i++) o[p + i] = buf[start + i]!;
    } else {
      copyBytes(o, p, buf, start, start + size + 2);
    }
    out.end = p + size + 2;
    if (this.host.log.trace) this.traceOut(decoder.decode(o.subarray(start0, p - 2)));
    link.outMsgs++;
    link.outBytes += size;
    if (!link.flushQueued) this.host.queueFlush(link);
    if (out.pending >= FLUSH_AT) {
      link.flush();
      if (out.pending > this.host.options.max_pending) link.slowConsumer(CloseReason.slowConsumerPending);
    }
  }

  /** The no-responders status (503) on the publisher's own reply subscription, as nats-server sends it. */
  deliverNoResponders(sub: Subscription, reply: string, subject: string): void {
    const hdr = `NATS/1.0 503\r\nNats-Subject: ${subject}\r\n\r\n`;
    const op = `HMSG ${reply} ${sub.sid} ${hdr.length} ${hdr.length}`;
    if (this.host.log.trace) this.traceOut(op);
    const line = `${op}\r\n${hdr}\r\n`;
    this.link.enqueue(encoder.encode(line));
  }

  removeSub(sub: Subscription): void {
    if (this.subs.get(sub.sid) !== sub) return;
    this.subs.delete(sub.sid);
    this.account.removeSub(sub);
  }

  private subjectOf(pa: PubArg): string {
    return this.lastSubject.of(pa);
  }

}

/** The lower of two limits where -1 (or no JWT limit at all) means none. */
function lowerLimit(server: number, jwt: number | undefined): number {
  if (jwt === undefined || jwt < 0) return server;
  return server < 0 ? jwt : Math.min(server, jwt);
}

function pubArgsText(pa: PubArg): string {
  const b = pa.buf;
  let s = decoder.decode(b.subarray(pa.subjStart, pa.subjEnd));
  if (pa.replyEnd > pa.replyStart) s += " " + decoder.decode(b.subarray(pa.replyStart, pa.replyEnd));
  if (pa.hdr >= 0) s += " " + pa.hdr;
  return s + " " + pa.size;
}

function splitArgs(arg: string): string[] {
  return arg.split(/[ \t\r\n]+/).filter((s) => s.length > 0);
}

/** Why a client is closed after a fatal protocol error, in nats-server's words for the -ERR it got. */
function closeReasonOf(err: ProtocolError): CloseReason {
  switch (err.wire) {
    case ERR.maxPayloadViolation: return CloseReason.maxPayload;
    case ERR.maxControlLine: return CloseReason.maxControlLine;
    case ERR.authorizationViolation: return CloseReason.authViolation;
    case ERR.unknownProtocolOperation: return CloseReason.parseError;
    default: return CloseReason.protocolViolation;
  }
}
