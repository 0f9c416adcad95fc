/**
 * The leaf node service: dials every configured remote (solicit.ts), serves the leafnode listener when one
 * is configured (accept.ts), keeps the leaf connections, and reports them for /leafz. It is the
 * ConnectionHost of its connections, so closing one reaches it rather than the server's client table.
 */
import { formatGoDuration } from "../config/_duration.ts";
import type { ServerOptions } from "../config/options.ts";
import type { Conn, ConnHandler } from "../runtime/types.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection } from "../connection/connection.ts";
import { LinkSet } from "../link/link_set.ts";
import { ERR } from "../protocol/errors.ts";
import { nuid } from "../protocol/nuid.ts";
import { LeafAcceptor } from "./accept.ts";
import { leafAccountsError } from "./accounts_check.ts";
import type { LeafHost } from "./host.ts";
import type { LeafConn, LeafLinkHost } from "./leaf_conn.ts";
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

export class LeafNodes extends LinkSet<LeafHost> implements LeafLinkHost {
  /** Leaf connections by cid, from the first byte (handshake included) until they close. */
  readonly leafs = new Map<number, LeafConn>();
  readonly lds = `$LDS.${nuid()}`;
  private readonly solicitors: Solicitor[] = [];
  private acceptor: LeafAcceptor | null = null;
  private stopping = false;
  /** The leafnodes block as last applied, so that a reload changing other options leaves the links alone. */
  private applied: string;

  constructor(srv: LeafHost) {
    super(srv);
    this.applied = JSON.stringify(srv.options.leafnodes);
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
    this.checkAccounts(lo);
    // As in nats-server, only a port (listen's, or port's; -1 for a random one) opens the leafnode listener.
    if (lo.port !== undefined && lo.port !== 0) {
      this.acceptor = new LeafAcceptor(this);
      await this.acceptor.start();
    }
    if ((lo.remotes?.length ?? 0) > 0 && this.options.server_name === undefined && this.options.cluster?.name === undefined) {
      this.log.warn("leafnode remotes without server_name: set a unique server_name, or two edge boxes dialling one hub will suppress each other's traffic");
    }
    this.startDeadlineSweep();
    for (const remote of lo.remotes ?? []) {
      const s = new Solicitor(this, remote);
      this.solicitors.push(s);
      s.start();
    }
  }

  /**
   * A leaf that came in on the WebSocket port's leaf path; null when there is no leafnode port, as
   * nats-server 2.9.10 accepts them only then.
   */
  acceptWebSocket(conn: Conn): ConnHandler | null {
    return this.acceptor?.accept(conn, true) ?? null;
  }

  newCid(): number {
    return this.srv.newCid();
  }

  /** nats-server's validateLeafNode: every account the block names must exist ($G and $SYS always do). */
  private checkAccounts(lo: NonNullable<ServerOptions["leafnodes"]>): void {
    const err = leafAccountsError(lo, (name) => this.srv.accountRouter(name) !== null);
    if (err !== null) throw new Error(err);
  }

  /**
   * Puts `leaf` in the account of that name (null: $G); false when there is no such account. `jwtMaxSubs`:
   * the cap its user JWT and account JWT give it, in place of a config account's.
   */
  bind(leaf: LeafConn, account: string | null, jwtMaxSubs?: number): boolean {
    const acc = this.srv.accountRouter(account);
    if (acc === null) return false;
    leaf.bindAccount(acc.name, acc.router);
    // applyAccountLimits, as for the account's clients: the lower of the account's cap and the server's.
    const server = this.options.max_subscriptions > 0 ? this.options.max_subscriptions : -1;
    const own = jwtMaxSubs ?? this.options.accounts?.find((a) => a.name === acc.name)?.limits?.max_subscriptions ?? -1;
    leaf.maxSubs = own === -1 ? server : server === -1 ? own : Math.min(own, server);
    return true;
  }

  /**
   * nats-server's MaxTotalLeafNodesReached: a config account's `limits { max_leafnodes }` counts its leaf links
   * both ways (a JWT's `leaf` is checked by the authenticator).
   */
  leafLimitReached(account: string | null): boolean {
    if (account === null) return false;
    const max = this.options.accounts?.find((a) => a.name === account)?.limits?.max_leafnodes ?? -1;
    if (max === -1) return false;
    let n = 0;
    for (const leaf of this.leafs.values()) if (leaf.active && leaf.account === account) n++;
    return n >= max;
  }

  track(leaf: LeafConn): void {
    this.leafs.set(leaf.cid, leaf);
  }

  /** Operator mode: the links bound to an account whose JWT was deleted end, as its clients do. */
  closeAccount(account: string, err: string, reason: CloseReason): void {
    for (const leaf of this.leafs.values()) if (leaf.active && leaf.account === account) leaf.refuse(err, reason);
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

  protected *connections(): Iterable<Connection> {
    for (const leaf of this.leafs.values()) yield leaf.link;
  }

  linkUp(leaf: LeafConn): void {
    this.srv.leafUp(leaf);
  }

  connectionClosed(link: Connection): void {
    const leaf = this.leafs.get(link.cid);
    if (leaf === undefined) return;
    this.leafs.delete(link.cid);
    this.countClosed(link);
    if (leaf.active) this.srv.leafDown(leaf);
    // Its peer's interest is gone: LS- may be queued on the other links, outside any read cycle.
    queueMicrotask(() => this.srv.flushPending());
    // nats-server 2.9.10 logs leaf closes as notices, with the account once the link was set up.
    const account = leaf.active ? ` account: ${leaf.account}` : "";
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
        account: leaf.account,
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

  health(): string | null {
    return null;
  }

  /**
   * A reload that only changed TLS certificate material (reload.ts refuses anything else): new links use it.
   * A link bound to an account the reload removed is closed; a solicited one dials again and stays out
   * until its account is back, as at its first dial.
   */
  async reload(next: ServerOptions): Promise<void> {
    for (const leaf of this.leafs.values()) {
      if (leaf.closed || this.srv.accountRouter(leaf.account) !== null) continue;
      this.log.notice(`${leaf.traceId} - Leafnode connection closed: account ${JSON.stringify(leaf.account)} was removed`);
      leaf.link.close(CloseReason.missingAccount);
    }
    const lo = next.leafnodes!;
    const applied = JSON.stringify(lo);
    if (applied === this.applied) return;
    this.applied = applied;
    await this.acceptor?.setTLS(lo.tls);
    this.solicitors.forEach((s, i) => (s.remote = lo.remotes![i]!));
    this.log.notice("Reloaded: leafnode TLS");
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopDeadlineSweep();
    for (const s of this.solicitors) s.stop();
    await this.acceptor?.close();
    for (const leaf of [...this.leafs.values()]) leaf.link.closeAfterFlush(CloseReason.serverShutdown);
  }
}
