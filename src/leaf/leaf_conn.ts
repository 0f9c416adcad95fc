/**
 * The leaf node protocol on a Connection (nats-server's client with kind LEAF), either side of the link: the
 * peer's LS+/LS- become subscriptions on the router that stand for its interest, local interest goes out as
 * LS+/LS-, messages cross as LMSG/HMSG. How the link is set up (who sends INFO, who sends CONNECT) is the
 * Handshake's business: the soliciting side's (solicit.ts) or the accepting side's (accept.ts).
 */
import type { ServerOptions } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection, ConnProtocol } from "../connection/connection.ts";
import { ParsedInput } from "../connection/parsed_input.ts";
import type { Logger } from "../log/logger.ts";
import { PONG } from "../protocol/encode.ts";
import { leafLoopError, ProtocolError } from "../protocol/errors.ts";
import { LastSubject } from "../protocol/last_subject.ts";
import { Parser, type ParserHandler, type PubArg } from "../protocol/parser.ts";
import type { RemoteEndpoint } from "../routing/endpoint.ts";
import type { InterestOp } from "../routing/interest.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Router } from "../routing/router.ts";
import { Subscription } from "../routing/subscription.ts";
import { deniedMsg, deniedSub, jetStreamDenied, type LinkDeny, NO_DENY } from "./deny.ts";
import { sameSubject, splitJetStreamReply, writeLeafMsg } from "./lmsg.ts";
import { InterestMap, keyOf } from "./smap.ts";

/** Outbound bytes at which the link is written at once rather than at the end of the read cycle. */
const FLUSH_AT = 64 * 1024;
/** How long a soliciting side waits before redialing after a loop or a refusal (nats-server's 30 s). */
const LEAF_REJECTED_DELAY_MS = 30_000;
/** The only account natsedge has until accounts land. */
export const GLOBAL_ACCOUNT = "$G";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** An LMSG without a queue list: queue subscribers get nothing. Shared, never written. */
const NO_QUEUES: readonly string[] = [];

/** What a leaf connection needs from the leaf node service. */
export interface LeafLinkHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly router: Router;
  /** This server's loop-detection subject, `$LDS.<nuid>`. */
  readonly lds: string;
  flushPending(): void;
}

/** One side's part of setting up the link. */
export interface Handshake {
  info(leaf: LeafConn, info: Record<string, unknown>): void;
  connect(leaf: LeafConn, arg: string): void;
  /** The TLS handshake this side started as a client has completed. */
  tlsReady?(leaf: LeafConn): void;
  /** The connection has closed, whether or not it got as far as activate. */
  closed(leaf: LeafConn): void;
}

/** Who is on the other side, from its INFO or CONNECT. */
export interface LeafPeer {
  id: string;
  name: string;
  cluster: string;
  /** Both sides said headers: true. */
  headers: boolean;
}

export class LeafConn implements ParserHandler, ConnProtocol, RemoteEndpoint {
  readonly remote = true;
  routeMark = 0;
  readonly routeQueues: string[] = [];
  readonly matchCache = new MatchCache();
  readonly opts = { echo: false, noResponders: false };
  // JetStream's own API never crosses an ordinary account link (nats-server's "JetStream Not Extended" deny).
  readonly checksDelivery = true;
  readonly parser: Parser;
  active = false;
  peer: LeafPeer = { id: "", name: "", cluster: "", headers: false };
  /** Set when the peer refused us in a way nats-server answers with a longer wait before redialing. */
  redialDelayMs: number | null = null;
  /** The peer's interest, by key (`subject` or `subject queue`). */
  readonly peerSubs = new Map<string, Subscription>();
  /** The interest we advertised to the peer. */
  readonly advertised = new InterestMap();
  private unwatch: (() => void) | null = null;
  private readonly lastSubject = new LastSubject();
  private readonly input: ParsedInput;
  /**
   * `$JS.<our domain>.API.`: requests for our own domain never leave (nats-server's deny against two servers
   * with one domain); null without a domain.
   */
  private readonly ownDomainApi: string | null;
  /** When the PING that measures the round trip was sent, and the last measurement (ms). */
  private rttStart = 0;
  rtt = 0;

  constructor(
    readonly link: Connection,
    readonly host: LeafLinkHost,
    readonly handshake: Handshake,
    /** true on the side that dialled (a spoke): it advertises only local interest. */
    readonly solicited: boolean,
    /** A remote's deny_imports and deny_exports: what may not come in from the peer, and go out to it. */
    readonly deny: LinkDeny = NO_DENY,
  ) {
    link.proto = this;
    const o = host.options;
    this.parser = new Parser(this, o.max_payload, o.max_control_line, link.kind);
    this.input = new ParsedInput(this.parser, link, (err) => link.protocolError(err, "leafnode"), () => host.flushPending());
    this.ownDomainApi = o.jetstream?.enabled && o.jetstream.domain ? `$JS.${o.jetstream.domain}.API.` : null;
  }

  get cid(): number {
    return this.link.cid;
  }

  get closed(): boolean {
    return this.link.closed;
  }

  get traceId(): string {
    return this.link.traceId;
  }

  get origin(): string {
    return this.peer.cluster;
  }

  // ---- handshake results ----------------------------------------------------------------------------------

  /** The link is up: advertise our interest and follow it from now on. */
  activate(peer: LeafPeer): void {
    this.peer = peer;
    this.active = true;
    this.parser.awaitingConnect = false;
    // The accepting side logged the connection when it came in, as nats-server does.
    if (this.solicited) this.host.log.notice(`${this.traceId} - Leafnode connection created for account: ${GLOBAL_ACCOUNT} ${peer.name}`);
    this.link.startPings();
    this.sendRttPing();
    this.unwatch = this.host.router.interest.subscribe((op, sub) => this.onInterest(op, sub));
    this.sendLine(`LS+ ${this.host.lds}`);
    const local = this.host.router.sublist.all().filter((sub) => this.forwards(sub));
    for (const line of this.advertised.addAll(local)) this.sendLine(line);
    this.link.flush();
  }

  /** Sends -ERR and closes once it is written. */
  refuse(err: string, reason: CloseReason): void {
    this.link.sendErr(err);
    this.link.closeAfterFlush(reason);
  }

  // ---- interest -------------------------------------------------------------------------------------------

  /**
   * Whether a subscription is advertised on this link: never the peer's own; a soliciting side only local
   * interest and what leaves below it have, never what it learned from a hub it dialled (nats-server's
   * spoke rule); JetStream's API subjects and what deny_imports refuses never.
   */
  private forwards(sub: Subscription): boolean {
    const c = sub.client;
    if (c === this) return false;
    if (c instanceof LeafConn) {
      if (this.solicited && c.solicited) return false;
      // Loop detection must see every path, so $LDS. crosses whatever the origin.
      if (c.origin !== "" && c.origin === this.origin && !sub.subject.startsWith("$LDS.")) return false;
    }
    return !jetStreamDenied(sub.subject) && !deniedSub(sub.subject, this.deny.imports);
  }

  private onInterest(op: InterestOp, sub: Subscription): void {
    if (this.closed) return;
    // A removal needs no filter: only what was advertised is counted, so only that can be withdrawn.
    const line = op === "remove" ? this.advertised.remove(sub) : this.forwards(sub) ? this.advertised.add(sub) : null;
    if (line !== null) this.sendLine(line);
  }

  /** nats-server pings a new link at once, and /leafz reports the round trip it measured. */
  private sendRttPing(): void {
    this.rttStart = performance.now();
    this.sendLine("PING");
  }

  private sendLine(line: string): void {
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [${line}]`);
    this.link.enqueue(encoder.encode(`${line}\r\n`));
  }

  // ---- ConnProtocol ---------------------------------------------------------------------------------------

  onData(data: Uint8Array): void {
    this.input.feed(data);
  }

  /** Parsing goes on after an asynchronous CONNECT check, with what arrived meanwhile. */
  resume(): void {
    this.parser.suspended = false;
    if (!this.closed) this.input.resume();
  }

  onClose(): void {
    this.unwatch?.();
    this.unwatch = null;
    for (const sub of this.peerSubs.values()) this.host.router.removeSub(sub);
    this.peerSubs.clear();
    this.handshake.closed(this);
  }

  onTLSReady(): void {
    this.handshake.tlsReady?.(this);
  }

  // ---- ParserHandler --------------------------------------------------------------------------------------

  private traceIn(op: string, arg: string): void {
    this.host.log.tracef(`${this.traceId} - <<- [${op}${arg ? " " + arg : ""}]`);
  }

  processPubArgs(): void {}

  /** LS+ <subject> [<queue> <weight>] */
  processSub(arg: string): void {
    if (this.host.log.trace) this.traceIn("LS+", arg);
    if (!this.active) throw new ProtocolError(null, true, "LS+ before the leafnode connection was set up");
    const args = splitArgs(arg);
    if (args.length !== 1 && args.length !== 3) throw new ProtocolError(null, true, `processLeafSub Parse Error: ${JSON.stringify(arg)}`);
    const subject = args[0]!;
    const queue = args[1] ?? null;
    if (subject === this.host.lds) {
      this.loopDetected();
      return;
    }
    if (jetStreamDenied(subject)) return;
    const key = keyOf({ subject, queue });
    const known = this.peerSubs.get(key);
    const weight = queue !== null ? Math.max(1, Number(args[2]) | 0) : 1;
    if (known !== undefined) {
      known.weight = weight;
      return;
    }
    const sub = new Subscription(this, subject, queue, key);
    sub.weight = weight;
    if (!this.host.router.addSub(sub)) {
      this.host.log.error(`${this.traceId} - Invalid leafnode subscription subject ${JSON.stringify(subject)}`);
      return;
    }
    this.peerSubs.set(key, sub);
  }

  /** LS- <subject> [<queue>] */
  processUnsub(arg: string): void {
    if (this.host.log.trace) this.traceIn("LS-", arg);
    const key = splitArgs(arg).join(" ");
    const sub = this.peerSubs.get(key);
    if (sub === undefined) return;
    this.peerSubs.delete(key);
    this.host.router.removeSub(sub);
  }

  private loopDetected(): void {
    const text = leafLoopError(GLOBAL_ACCOUNT);
    this.host.log.error(`${this.traceId} - ${text}`);
    this.redialDelayMs = LEAF_REJECTED_DELAY_MS;
    this.refuse(text, CloseReason.protocolViolation);
  }

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    const link = this.link;
    link.inMsgs++;
    link.inBytes += pa.size;
    const subject = this.lastSubject.of(pa);
    if (this.host.log.trace) this.traceIn(pa.hdr >= 0 ? "HMSG" : "LMSG", `${subject} ${pa.size}`);
    if (!this.active || jetStreamDenied(subject) || deniedMsg(subject, this.deny.imports)) return;
    const q = pa.queues;
    let queues: readonly string[] = NO_QUEUES;
    if (q.length > 0) {
      const named: string[] = [];
      for (let i = 0; i < q.length; i += 2) named.push(decoder.decode(pa.buf.subarray(q[i]!, q[i + 1]!)));
      queues = named;
    }
    // A JetStream delivery from the far side: routed on its inbox, seen under the stored subject.
    const seen = pa.replyEnd > pa.replyStart && splitJetStreamReply(pa) ? decoder.decode(pa.buf.subarray(pa.subjStart, pa.subjEnd)) : subject;
    this.host.router.route(this, subject, pa, buf, start, seen, queues);
  }

  processConnect(arg: string): void {
    this.handshake.connect(this, arg);
  }

  processInfo(info: unknown): void {
    if (info === null || typeof info !== "object" || Array.isArray(info)) throw new ProtocolError(null, true, "processInfo: INFO is not a JSON object");
    this.handshake.info(this, info as Record<string, unknown>);
  }

  processPing(): void {
    if (this.host.log.trace) this.traceIn("PING", "");
    this.link.enqueue(PONG);
  }

  processPong(): void {
    if (this.host.log.trace) this.traceIn("PONG", "");
    this.link.pingsOut = 0;
    if (this.rttStart !== 0) {
      this.rtt = performance.now() - this.rttStart;
      this.rttStart = 0;
    }
  }

  /** nats-server's leafProcessErr: the peer closes after its -ERR; some errors mean waiting longer to redial. */
  processErr(arg: string): void {
    this.host.log.error(`${this.traceId} - Leafnode Error ${arg}`);
    if (/Loop detected|Permissions Violation|same cluster name/.test(arg)) {
      this.redialDelayMs = LEAF_REJECTED_DELAY_MS;
      this.link.close(CloseReason.protocolViolation);
    }
  }

  // ---- Endpoint -------------------------------------------------------------------------------------------

  admitDelivery(subject: string): boolean {
    if (this.ownDomainApi !== null && subject.startsWith(this.ownDomainApi)) return false;
    return !jetStreamDenied(subject) && !deniedMsg(subject, this.deny.exports);
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array): void {
    this.deliverRemote(pa, payload, "", []);
  }

  deliverRemote(pa: PubArg, payload: Uint8Array, subject: string, queues: readonly string[]): void {
    if (!this.active) return;
    const link = this.link;
    const out = link.out;
    const routed = subject === "" || sameSubject(subject, pa) ? null : encoder.encode(subject);
    const w = writeLeafMsg(out, pa, payload, queues, this.peer.headers, routed);
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [${decoder.decode(out.buf.subarray(w.lineStart, w.lineEnd))}]`);
    link.outMsgs++;
    link.outBytes += w.size;
    if (!link.flushQueued) link.host.queueFlush(link);
    if (out.pending >= FLUSH_AT) {
      link.flush();
      if (out.pending > this.host.options.max_pending) link.slowConsumer(CloseReason.slowConsumerPending);
    }
  }

  /** The router answers no-responders only on a client's own reply subscription; a link has none. */
  deliverNoResponders(): void {}

  removeSub(sub: Subscription): void {
    if (this.peerSubs.get(sub.sid) !== sub) return;
    this.peerSubs.delete(sub.sid);
    this.host.router.removeSub(sub);
  }
}

function splitArgs(arg: string): string[] {
  return arg.split(/[ \t\r\n]+/).filter((s) => s.length > 0);
}
