/**
 * What a server-to-server link (leaf node or route) does alike on its Connection: the peer's interest kept
 * as router subscriptions standing for its side, ours advertised as it changes, messages in and out in the
 * LMSG/RMSG form, PING/PONG with the round trip /leafz and /routez report. The subclass says which
 * interest crosses, how the link is set up and how its ops are spelled.
 */
import { GLOBAL_ACCOUNT } from "../account/registry.ts";
import type { ServerOptions } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection, ConnProtocol } from "../connection/connection.ts";
import { ParsedInput } from "../connection/parsed_input.ts";
import type { Logger } from "../log/logger.ts";
import { PONG } from "../protocol/encode.ts";
import { LastSubject } from "../protocol/last_subject.ts";
import { Parser, type ParserHandler, type PubArg } from "../protocol/parser.ts";
import type { RemoteEndpoint } from "../routing/endpoint.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Router } from "../routing/router.ts";
import { Subscription } from "../routing/subscription.ts";
import { dropPeerSubs, followInterest, removePeerSub } from "./lane.ts";
import { type MsgOps, sameSubject, writeLeafMsg } from "./lmsg.ts";
import { type InterestMap, keyOf } from "./smap.ts";

/** Outbound bytes at which the link is written at once rather than at the end of the read cycle. */
const FLUSH_AT = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A message without a queue list: queue subscribers get nothing. Shared, never written. */
export const NO_QUEUES: readonly string[] = [];

/** An account's share of a link: where the peer's interest in it is kept, and the endpoint that owns it. */
export interface InterestLane extends RemoteEndpoint {
  readonly router: Router;
  readonly peerSubs: Map<string, Subscription>;
}

/** What a link needs from the service that keeps it. */
export interface RemoteLinkHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly router: Router;
  flushPending(): void;
}

export abstract class RemoteLink<H extends RemoteLinkHost> implements ParserHandler, ConnProtocol, InterestLane {
  readonly remote = true;
  routeMark = 0;
  readonly routeQueues: string[] = [];
  readonly matchCache = new MatchCache();
  readonly opts = { echo: false, noResponders: false };
  abstract readonly checksDelivery: boolean;
  readonly parser: Parser;
  active = false;
  /** The peer's interest, by key (`subject` or `subject queue`). */
  readonly peerSubs = new Map<string, Subscription>();
  /** The interest we advertised to the peer. */
  protected abstract readonly advertised: InterestMap;
  /** How this link's message lines start (LMSG/HMSG, or RMSG/HMSG with the account). */
  protected abstract readonly ops: MsgOps;
  protected readonly lastSubject = new LastSubject();
  /** The last subject routed on that differed from the message's own (a consumer's inbox), and its bytes. */
  private routedSubject = "";
  private routedBytes: Uint8Array | null = null;
  private unwatch: (() => void) | null = null;
  private readonly input: ParsedInput;
  /** When the PING that measures the round trip was sent, and the last measurement (ms). */
  private rttStart = 0;
  rtt = 0;
  /** The account this link's interest and messages are in, and its router ($G's until bound). */
  account = GLOBAL_ACCOUNT;
  router: Router;

  constructor(
    readonly link: Connection,
    readonly host: H,
    /** How protocol errors name the link in the log ("leafnode", "route"). */
    what: string,
  ) {
    link.proto = this;
    this.router = host.router;
    const o = host.options;
    this.parser = new Parser(this, o.max_payload, o.max_control_line, link.kind);
    this.input = new ParsedInput(this.parser, link, (err) => link.protocolError(err, what), () => host.flushPending());
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

  abstract get origin(): string;

  /** Both sides said headers: true. */
  protected abstract get peerHeaders(): boolean;

  /** Whether a subscription's interest is advertised on this link. */
  protected abstract forwards(sub: Subscription): boolean;

  /** The connection has closed and the peer's interest is gone. */
  protected abstract linkClosed(): void;

  abstract processSub(arg: string): void;
  abstract processUnsub(arg: string): void;
  abstract processMsg(pa: PubArg, buf: Uint8Array, start: number): void;
  abstract processConnect(arg: string): void;
  abstract processInfo(info: unknown): void;
  abstract processErr(arg: string): void;
  abstract admitDelivery(subject: string): boolean;

  /**
   * The link is up: ping for the round trip, advertise our interest (after `first`, such as a leaf's loop
   * detection subject) and follow it from now on.
   */
  protected advertiseInterest(first: string | null): void {
    this.link.startPings();
    this.rttStart = performance.now();
    this.sendLine("PING");
    const followed = followInterest(this.router, this.advertised, (sub) => this.forwards(sub), (line) => this.sendLine(line), () => this.closed);
    this.unwatch = followed.stop;
    if (first !== null) this.sendLine(first);
    for (const line of followed.lines) this.sendLine(line);
    this.link.flush();
  }

  /** Puts the link in an account before it is set up (a leaf remote's `account`, an accepted leaf's user's). */
  bindAccount(name: string, router: Router): void {
    this.account = name;
    this.router = router;
  }

  /** Sends -ERR and closes once it is written. */
  refuse(err: string, reason: CloseReason): void {
    this.link.sendErr(err);
    this.link.closeAfterFlush(reason);
  }

  sendLine(line: string): void {
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
    dropPeerSubs(this.router, this.peerSubs);
    this.linkClosed();
  }

  // ---- ParserHandler --------------------------------------------------------------------------------------

  protected traceIn(op: string, arg: string): void {
    this.host.log.tracef(`${this.traceId} - <<- [${op}${arg ? " " + arg : ""}]`);
  }

  processPubArgs(): void {}

  /**
   * The peer's LS+/RS+: a new subscription for its interest, or a new weight for a queue group it has. `lane`
   * is the account's share of the link the interest is in (the link itself, or a route's lane of an account).
   */
  protected addPeerSub(subject: string, queue: string | null, weightArg: string | undefined, what: string, lane: InterestLane = this): void {
    const key = keyOf({ subject, queue });
    const weight = queue !== null ? Math.max(1, Number(weightArg) | 0) : 1;
    const known = lane.peerSubs.get(key);
    if (known !== undefined) {
      known.weight = weight;
      return;
    }
    const sub = new Subscription(lane, subject, queue, key);
    sub.weight = weight;
    if (!lane.router.addSub(sub)) {
      this.host.log.error(`${this.traceId} - Invalid ${what} subscription subject ${JSON.stringify(subject)}`);
      return;
    }
    lane.peerSubs.set(key, sub);
  }

  /** The peer's LS-/RS-, by key. */
  protected removePeerSub(key: string, lane: InterestLane = this): void {
    const sub = lane.peerSubs.get(key);
    if (sub === undefined) return;
    lane.peerSubs.delete(key);
    lane.router.removeSub(sub);
  }

  /** Counts an incoming message and returns the subject it was published on. */
  protected messageIn(pa: PubArg): string {
    const link = this.link;
    link.inMsgs++;
    link.inBytes += pa.size;
    return this.lastSubject.of(pa);
  }

  /** The queue groups an incoming message was picked for, by name. */
  protected queuesOf(pa: PubArg): readonly string[] {
    const q = pa.queues;
    if (q.length === 0) return NO_QUEUES;
    const named: string[] = [];
    for (let i = 0; i < q.length; i += 2) named.push(decoder.decode(pa.buf.subarray(q[i]!, q[i + 1]!)));
    return named;
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

  // ---- Endpoint -------------------------------------------------------------------------------------------

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array): void {
    this.deliverRemote(pa, payload, 0, "", NO_QUEUES);
  }

  deliverRemote(pa: PubArg, buf: Uint8Array, start: number, subject: string, queues: readonly string[]): void {
    this.writeMsg(pa, buf, start, subject, queues, this.ops);
  }

  /**
   * One message out on the link, its line started by `ops` (the link's, or one account's on a route); the
   * payload and CRLF are buf[start, start + pa.size + 2).
   */
  writeMsg(pa: PubArg, buf: Uint8Array, start: number, subject: string, queues: readonly string[], ops: MsgOps): void {
    if (!this.active) return;
    const link = this.link;
    const out = link.out;
    const routed = subject === "" || sameSubject(subject, pa) ? null : this.routedAs(subject);
    const w = writeLeafMsg(out, pa, buf, start, queues, this.peerHeaders, routed, ops);
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [${decoder.decode(out.buf.subarray(w.lineStart, w.lineEnd))}]`);
    link.outMsgs++;
    link.outBytes += w.size;
    if (!link.flushQueued) link.host.queueFlush(link);
    if (out.pending >= FLUSH_AT) {
      link.flush();
      if (out.pending > this.host.options.max_pending) link.slowConsumer(CloseReason.slowConsumerPending);
    }
  }

  /** A consumer's deliveries all go to its one inbox: encoded once, not per message of a catch-up. */
  private routedAs(subject: string): Uint8Array {
    if (subject !== this.routedSubject || this.routedBytes === null) {
      this.routedSubject = subject;
      this.routedBytes = encoder.encode(subject);
    }
    return this.routedBytes;
  }

  /** The router answers no-responders only on a client's own reply subscription; a link has none. */
  deliverNoResponders(): void {}

  removeSub(sub: Subscription): void {
    removePeerSub(this.router, this.peerSubs, sub);
  }
}

export function splitArgs(arg: string): string[] {
  return arg.split(/[ \t\r\n]+/).filter((s) => s.length > 0);
}
