/**
 * The leaf node service: dials every configured remote (solicit.ts), serves the leafnode listener when one
 * is configured (accept.ts), keeps the leaf connections, and reports them for /leafz. It is the
 * ConnectionHost of its connections, so closing one reaches it rather than the server's client table.
 */
import { formatGoDuration } from "../config/_duration.ts";
import type { ServerOptions } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection, ConnectionHost } from "../connection/connection.ts";
import type { Logger } from "../log/logger.ts";
import { ERR } from "../protocol/errors.ts";
import type { Router } from "../routing/router.ts";
import type { Runtime } from "../runtime/types.ts";
import { LeafAcceptor } from "./accept.ts";
import type { LeafHost } from "./host.ts";
import { GLOBAL_ACCOUNT, type LeafConn, type LeafLinkHost } from "./leaf_conn.ts";
import { Solicitor } from "./solicit.ts";

export type { LeafHost } from "./host.ts";

/** One leaf connection as /leafz lists it (nats-server 2.9.10's LeafInfo). */
export interface LeafInfo {
  account: string;
  ip: string;
  port: number;
  rtt: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
}

/** How often stalled links are checked against write_deadline (as the server does for clients). */
const DEADLINE_SWEEP_MS = 1000;

const NUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A 22-character random id in nats.io/nuid's alphabet. */
function nuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let s = "";
  for (const b of bytes) s += NUID_ALPHABET[b % NUID_ALPHABET.length];
  return s;
}

export class LeafNodes implements ConnectionHost, LeafLinkHost {
  /** Leaf connections by cid, from the first byte (handshake included) until they close. */
  readonly leafs = new Map<number, LeafConn>();
  readonly lds = `$LDS.${nuid()}`;
  private readonly solicitors: Solicitor[] = [];
  private acceptor: LeafAcceptor | null = null;
  private stopping = false;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  /** Traffic of leaf connections that have closed, so /varz totals never go backwards. */
  private readonly gone = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };

  constructor(readonly srv: LeafHost) {}

  get options(): ServerOptions {
    return this.srv.options;
  }

  get log(): Logger {
    return this.srv.log;
  }

  get router(): Router {
    return this.srv.router;
  }

  get runtime(): Runtime {
    return this.srv.runtime;
  }

  get stallThreshold(): number {
    return this.srv.stallThreshold;
  }

  get slowConsumers(): number {
    return this.srv.slowConsumers;
  }

  set slowConsumers(n: number) {
    this.srv.slowConsumers = n;
  }

  /**
   * The origin name our traffic carries: a 2.9.10 server without a cluster block uses its server name, so
   * two edge boxes need different names.
   */
  get clusterName(): string {
    return this.options.cluster?.name ?? this.srv.name;
  }

  /** The leafnode listener's address, null when there is none. */
  get listen(): { host: string; port: number } | null {
    return this.acceptor !== null ? { host: this.acceptor.host, port: this.acceptor.port } : null;
  }

  async start(): Promise<void> {
    const lo = this.options.leafnodes!;
    // As in nats-server, only a port (listen's, or port's; -1 for a random one) opens the leafnode listener.
    if (lo.port !== undefined && lo.port !== 0) {
      this.acceptor = new LeafAcceptor(this);
      await this.acceptor.start();
    }
    if ((lo.remotes?.length ?? 0) > 0 && this.options.server_name === undefined && this.options.cluster?.name === undefined) {
      this.log.warn("leafnode remotes without server_name: set a unique server_name, or two edge boxes dialling one hub will suppress each other's traffic");
    }
    this.sweepTimer = setInterval(() => this.sweepStalled(), DEADLINE_SWEEP_MS);
    for (const remote of lo.remotes ?? []) {
      const s = new Solicitor(this, remote);
      this.solicitors.push(s);
      s.start();
    }
  }

  newCid(): number {
    return this.srv.newCid();
  }

  track(leaf: LeafConn): void {
    this.leafs.set(leaf.cid, leaf);
  }

  /** An older link from the same leaf (server name and cluster) gives way to the new one. */
  replaceDuplicate(leaf: LeafConn, name: string, cluster: string): void {
    for (const other of this.leafs.values()) {
      if (other === leaf || other.solicited || !other.active) continue;
      if (other.peer.name === name && other.peer.cluster === cluster) {
        this.log.error(`${other.traceId} - ${ERR.duplicateLeaf}`);
        other.refuse(ERR.duplicateLeaf, CloseReason.duplicateLeaf);
      }
    }
  }

  // ---- ConnectionHost -------------------------------------------------------------------------------------

  queueFlush(c: Connection): void {
    this.srv.queueFlush(c);
  }

  flushPending(): void {
    this.srv.flushPending();
  }

  connectionClosed(link: Connection): void {
    const leaf = this.leafs.get(link.cid);
    if (leaf === undefined) return;
    this.leafs.delete(link.cid);
    this.gone.inMsgs += link.inMsgs;
    this.gone.outMsgs += link.outMsgs;
    this.gone.inBytes += link.inBytes;
    this.gone.outBytes += link.outBytes;
    // Its peer's interest is gone: LS- may be queued on the other links, outside any read cycle.
    queueMicrotask(() => this.srv.flushPending());
    // nats-server 2.9.10 logs leaf closes as notices, with the account once the link was set up.
    const account = leaf.active ? ` account: ${GLOBAL_ACCOUNT}` : "";
    this.log.notice(`${link.traceId} - Leafnode connection closed: ${link.closeReason}${account}`);
  }

  // ---- monitoring -----------------------------------------------------------------------------------------

  /** /leafz: the links that are set up. */
  leafz(subs: boolean): LeafInfo[] {
    const out: LeafInfo[] = [];
    for (const leaf of this.leafs.values()) {
      if (!leaf.active) continue;
      const l = leaf.link;
      // nats-server lists each subscription's subject, queue or not.
      const keys = [...leaf.peerSubs.values()].map((s) => s.subject);
      out.push({
        account: GLOBAL_ACCOUNT,
        ip: l.conn.remoteAddress,
        port: l.conn.remotePort,
        rtt: formatGoDuration(leaf.rtt),
        in_msgs: l.inMsgs,
        out_msgs: l.outMsgs,
        in_bytes: l.inBytes,
        out_bytes: l.outBytes,
        subscriptions: keys.length,
        ...(subs ? { subscriptions_list: keys } : {}),
      });
    }
    return out;
  }

  /** Message and byte counters of every leaf connection, open and closed (they count in /varz as in nats-server). */
  totals(): { inMsgs: number; outMsgs: number; inBytes: number; outBytes: number } {
    const t = { ...this.gone };
    for (const { link } of this.leafs.values()) {
      t.inMsgs += link.inMsgs;
      t.outMsgs += link.outMsgs;
      t.inBytes += link.inBytes;
      t.outBytes += link.outBytes;
    }
    return t;
  }

  health(): string | null {
    return null;
  }

  /** A link whose peer has not taken our writes for write_deadline is a slow consumer, as a client would be. */
  private sweepStalled(): void {
    const deadline = this.options.write_deadline;
    const now = Date.now();
    for (const { link } of this.leafs.values()) {
      if (link.stalledSince !== 0 && now - link.stalledSince > deadline) link.slowConsumer(CloseReason.slowConsumerDeadline);
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    for (const s of this.solicitors) s.stop();
    await this.acceptor?.close();
    for (const leaf of [...this.leafs.values()]) leaf.link.closeAfterFlush(CloseReason.serverShutdown);
  }
}
