/**
 * The leaf node protocol on a Connection (nats-server's client with kind LEAF), either side of the link: the
 * peer's LS+/LS- become subscriptions on the router that stand for its interest, local interest goes out as
 * LS+/LS-, messages cross as LMSG/HMSG. How the link is set up (who sends INFO, who sends CONNECT) is the
 * Handshake's business: the soliciting side's (solicit.ts) or the accepting side's (accept.ts).
 */
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection } from "../connection/connection.ts";
import { LEAF_OPS, splitJetStreamReply } from "../link/lmsg.ts";
import { RemoteLink, type RemoteLinkHost, splitArgs } from "../link/remote_link.ts";
import { InterestMap, keyOf } from "../link/smap.ts";
import { ERR, leafLoopError, ProtocolError } from "../protocol/errors.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Subscription } from "../routing/subscription.ts";
import { deniedMsg, deniedSub, jetStreamDenied, type LinkDeny, NO_DENY } from "./deny.ts";

/** How long a soliciting side waits before redialing after a loop or a refusal (nats-server's 30 s). */
const LEAF_REJECTED_DELAY_MS = 30_000;

const decoder = new TextDecoder();

/** What a leaf connection needs from the leaf node service. */
export interface LeafLinkHost extends RemoteLinkHost {
  /** This server's loop-detection subject, `$LDS.<nuid>`. */
  readonly lds: string;
  /** The link is set up (the system account's advisories and account counts follow it). */
  linkUp(leaf: LeafConn): void;
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
  /** An accepted leaf's CONNECT: the user it authenticated as and its version. */
  user?: string;
  version?: string;
}

export class LeafConn extends RemoteLink<LeafLinkHost> {
  // JetStream's own API never crosses an ordinary account link (nats-server's "JetStream Not Extended" deny).
  readonly checksDelivery = true;
  peer: LeafPeer = { id: "", name: "", cluster: "", headers: false };
  /** Set when the peer refused us in a way nats-server answers with a longer wait before redialing. */
  redialDelayMs: number | null = null;
  /** The most subscriptions the peer may hold here: its account's `limits` or the server's max_subscriptions (-1: none). */
  maxSubs = -1;
  readonly advertised = new InterestMap();
  protected readonly ops = LEAF_OPS;
  /**
   * `$JS.<our domain>.API.`: requests for our own domain never leave (nats-server's deny against two servers
   * with one domain); null without a domain.
   */
  private readonly ownDomainApi: string | null;

  constructor(
    link: Connection,
    host: LeafLinkHost,
    readonly handshake: Handshake,
    /** true on the side that dialled. */
    readonly solicited: boolean,
    /**
     * This side is the link's spoke: it advertises only local interest and that of leaves it is the hub of.
     * The dialling side, unless its remote says hub: true; the accepting side when the peer's CONNECT says
     * is_hub (nats-server's isSpoke).
     */
    public spoke: boolean,
    /** A remote's deny_imports and deny_exports: what may not come in from the peer, and go out to it. */
    readonly deny: LinkDeny = NO_DENY,
  ) {
    super(link, host, "leafnode");
    const o = host.options;
    this.ownDomainApi = o.jetstream?.enabled && o.jetstream.domain ? `$JS.${o.jetstream.domain}.API.` : null;
  }

  get origin(): string {
    return this.peer.cluster;
  }

  protected get peerHeaders(): boolean {
    return this.peer.headers;
  }

  // ---- handshake results ----------------------------------------------------------------------------------

  /** The link is up: advertise our interest and follow it from now on. */
  activate(peer: LeafPeer): void {
    this.peer = peer;
    this.active = true;
    this.parser.awaitingConnect = false;
    // The accepting side logged the connection when it came in, as nats-server does.
    if (this.solicited) this.host.log.notice(`${this.traceId} - Leafnode connection created for account: ${this.account} ${peer.name}`);
    this.advertiseInterest(`LS+ ${this.host.lds}`);
    this.host.linkUp(this);
  }

  // ---- interest -------------------------------------------------------------------------------------------

  /**
   * Whether a subscription is advertised on this link: never the peer's own; a spoke only local interest and
   * what leaves below it have, never what it learned from its hub (nats-server's updateSmap); JetStream's API
   * subjects and what deny_imports refuses never.
   */
  protected forwards(sub: Subscription): boolean {
    const c = sub.client;
    if (c === this) return false;
    if (c instanceof LeafConn) {
      if (this.spoke && c.spoke) return false;
      // Loop detection must see every path, so $LDS. crosses whatever the origin.
      if (c.origin !== "" && c.origin === this.origin && !sub.subject.startsWith("$LDS.")) return false;
    }
    return !jetStreamDenied(sub.subject) && !deniedSub(sub.subject, this.deny.imports);
  }

  protected linkClosed(): void {
    this.handshake.closed(this);
  }

  onTLSReady(): void {
    this.handshake.tlsReady?.(this);
  }

  // ---- ParserHandler --------------------------------------------------------------------------------------

  /** LS+ <subject> [<queue> <weight>] */
  processSub(arg: string): void {
    if (this.host.log.trace) this.traceIn("LS+", arg);
    if (!this.active) throw new ProtocolError(null, true, "LS+ before the leafnode connection was set up");
    const args = splitArgs(arg);
    if (args.length !== 1 && args.length !== 3) throw new ProtocolError(null, true, `processLeafSub Parse Error: ${JSON.stringify(arg)}`);
    const subject = args[0]!;
    if (subject === this.host.lds) {
      this.loopDetected();
      return;
    }
    if (jetStreamDenied(subject)) return;
    // processLeafSub's subsAtLimit: the LS+ past the cap is answered with -ERR and dropped; the link stays.
    if (this.maxSubs >= 0 && this.peerSubs.size >= this.maxSubs && !this.peerSubs.has(keyOf({ subject, queue: args[1] ?? null }))) {
      this.host.log.error(`${this.traceId} - ${ERR.maxSubscriptions}`);
      this.link.sendErr(ERR.maxSubscriptions);
      return;
    }
    this.addPeerSub(subject, args[1] ?? null, args[2], "leafnode");
  }

  /** LS- <subject> [<queue>] */
  processUnsub(arg: string): void {
    if (this.host.log.trace) this.traceIn("LS-", arg);
    this.removePeerSub(splitArgs(arg).join(" "));
  }

  private loopDetected(): void {
    const text = leafLoopError(this.account);
    this.host.log.error(`${this.traceId} - ${text}`);
    this.redialDelayMs = LEAF_REJECTED_DELAY_MS;
    this.refuse(text, CloseReason.protocolViolation);
  }

  processMsg(pa: PubArg, buf: Uint8Array, start: number): void {
    const subject = this.messageIn(pa);
    if (this.host.log.trace) this.traceIn(pa.hdr >= 0 ? "HMSG" : "LMSG", `${subject} ${pa.size}`);
    if (!this.active || jetStreamDenied(subject) || deniedMsg(subject, this.deny.imports)) return;
    // A JetStream delivery from the far side: routed on its inbox, seen under the stored subject.
    const seen = pa.replyEnd > pa.replyStart && splitJetStreamReply(pa) ? decoder.decode(pa.buf.subarray(pa.subjStart, pa.subjEnd)) : subject;
    this.router.route(this, subject, pa, buf, start, seen, this.queuesOf(pa));
  }

  processConnect(arg: string): void {
    this.handshake.connect(this, arg);
  }

  processInfo(info: unknown): void {
    if (info === null || typeof info !== "object" || Array.isArray(info)) throw new ProtocolError(null, true, "processInfo: INFO is not a JSON object");
    this.handshake.info(this, info as Record<string, unknown>);
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
}
