/**
 * The accepting side (natsedge is the hub of a site): the leafnode listener, the INFO a nats-server 2.9.10
 * leaf accepts (auth_required always, a non-zero client_id, a nonce, info_on_connect, leafnode_urls), and
 * the leaf's CONNECT: refused when it is a client's, unauthorized, or from our own cluster name; otherwise
 * answered with the connect_info INFO, after which the link carries traffic (nats-server's
 * processLeafNodeConnect).
 */
import { networkInterfaces } from "node:os";
import { newNonce } from "../auth/nkey.ts";
import { checkSecret } from "../auth/password.ts";
import type { AuthVerdict } from "../auth/authenticator.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Connection } from "../connection/connection.ts";
import { infoLine } from "../protocol/encode.ts";
import { connectObject, parseConnect } from "../protocol/connect.ts";
import { ERR, ProtocolError } from "../protocol/errors.ts";
import { ClientType, Kind } from "../protocol/kind.ts";
import { versionAtLeast } from "../protocol/semver.ts";
import type { TLSOptions } from "../config/options.ts";
import type { Conn, ConnHandler, Listener, TLSServerConfig } from "../runtime/types.ts";
import { DEFAULT_TLS_TIMEOUT_MS, tlsServerConfig } from "../config/tls_config.ts";
import { type Handshake, LeafConn } from "./leaf_conn.ts";
import type { LeafNodes } from "./mod.ts";
import { hostPortOf } from "./urls.ts";

/** How long a leaf refused for its version is held before the close (nats-server's 5 s). */
const MIN_VERSION_HOLD_MS = 5000;
/** nats-server's leaf auth timeout when the authorization block gives none (TLS timeout + 1 s with TLS). */
const DEFAULT_LEAF_AUTH_TIMEOUT_MS = 2000;

/** An accepted leaf's account (null: $G), or false when it is refused. */
/** The account the link goes into, a refusal with nats-server's -ERR (an account's leaf limit), or false. */
/** `maxSubs`: the cap a user JWT and its account put on the link's LS+ (operator mode). */
type Admission = { account: string | null; maxSubs?: number } | { refuse: { err: string; close: string } } | false;

export class LeafAcceptor {
  private listener: Listener | null = null;
  /** The leafnodes block's TLS, when it has one: every leaf upgrades after natsedge's plain INFO. */
  private tls: TLSServerConfig | null = null;
  /** INFO fields of every accepted leaf connection; built once the port is known. */
  private infoBase: Record<string, unknown> = {};

  constructor(private readonly svc: LeafNodes) {}

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get host(): string {
    return this.svc.options.leafnodes?.host ?? this.svc.options.host;
  }

  /** The block's TLS, at start and when a reload changes its certificate material (new leafs use it). */
  async setTLS(tls: TLSOptions | undefined): Promise<void> {
    if (tls === undefined) {
      this.tls = null;
      return;
    }
    const rt = this.svc.runtime;
    if (!rt.serverTLS) throw new Error(`leafnodes TLS is configured, but the ${rt.name} transport cannot serve TLS`);
    this.tls = tlsServerConfig(tls);
    await rt.prepareTLS?.();
    if (tls.cipher_suites !== undefined && rt.fixedTLSCiphers === true) {
      this.svc.log.warn(`leafnodes cipher_suites ${JSON.stringify(tls.cipher_suites)} accepted but not applied: the ${rt.name} TLS stack chooses the suites`);
    }
  }

  async start(): Promise<void> {
    const lo = this.svc.options.leafnodes!;
    await this.setTLS(lo.tls);
    const port = lo.port === -1 ? 0 : lo.port!;
    this.listener = await this.svc.runtime.listen({ host: this.host, port, accept: (conn) => this.accept(conn) });
    const advertised = lo.advertise ?? hostPortOf({ host: advertisedHost(this.host), port: this.listener.port });
    const base = this.svc.srv.info;
    this.infoBase = {
      server_id: base.server_id,
      server_name: base.server_name,
      version: base.version,
      proto: base.proto,
      go: base.go,
      host: this.host,
      port: this.listener.port,
      headers: base.headers,
      // Always on the leaf port, even with no authorization configured (nats-server does the same).
      auth_required: true,
      ...(this.tls !== null ? { tls_required: true } : {}),
      ...(this.tls?.requestCert ? { tls_verify: true } : {}),
      max_payload: base.max_payload,
      ...(base.jetstream === true ? { jetstream: true } : {}),
      ip: advertised,
      ...(this.svc.options.jetstream?.domain ? { domain: this.svc.options.jetstream.domain } : {}),
      leafnode_urls: [advertised],
    };
    this.svc.log.notice(`Listening for leafnode connections on ${hostPortOf({ host: this.host, port: this.listener.port })}`);
  }

  async close(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    await l?.close();
  }

  /**
   * A leaf connection, from the leafnode port or (`webSocket`) upgraded on the WebSocket port's leaf path:
   * the same INFO and handshake, but over a WebSocket TLS was the listener's, before the upgrade.
   */
  accept(conn: Conn, webSocket = false): ConnHandler {
    const link = new Connection(this.svc.newCid(), conn, this.svc, Kind.LEAF);
    const nonce = newNonce();
    const hs = new AcceptHandshake(this.svc, this.infoBase);
    const leaf = new LeafConn(link, this.svc, hs, false, false);
    this.svc.track(leaf);
    this.svc.log.notice(`${link.traceId} - Leafnode connection created`);
    // Until CONNECT, anything else is an authorization violation (nats-server arms expectConnect).
    leaf.parser.awaitingConnect = true;
    hs.nonce = nonce;
    link.enqueue(infoLine({ ...this.infoBase, client_id: link.cid, nonce, info_on_connect: true }));
    const lo = this.svc.options.leafnodes;
    const tlsTimeout = lo?.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_MS;
    const ms = lo?.authorization?.timeout ?? (this.tls !== null ? tlsTimeout + 1000 : DEFAULT_LEAF_AUTH_TIMEOUT_MS);
    const t = setTimeout(() => {
      if (leaf.closed || hs.gotConnect) return;
      this.svc.log.debugf(`${link.traceId} - Authentication Timeout`);
      leaf.refuse(ERR.authenticationTimeout, CloseReason.authTimeout);
    }, ms);
    (t as { unref?: () => void }).unref?.();
    link.flush();
    // 2.9.10 upgrades after the plain INFO, as for clients without handshake_first.
    if (this.tls !== null && !webSocket) link.upgradeTLS(this.tls, tlsTimeout, null);
    return link;
  }
}

/** The accepting side's handshake on one leaf connection. */
class AcceptHandshake implements Handshake {
  nonce: string | null = null;
  /** A CONNECT came: the auth timeout no longer applies, whatever its verdict. */
  gotConnect = false;

  constructor(
    private readonly svc: LeafNodes,
    private readonly infoBase: Record<string, unknown>,
  ) {}

  /** A leaf has nothing to tell the hub in INFO. */
  info(): void {}

  connect(leaf: LeafConn, arg: string): void {
    if (this.svc.log.trace) this.svc.log.tracef(`${leaf.traceId} - <<- [CONNECT ${arg.replace(/"pass"\s*:\s*"[^"]*"/, '"pass":"[REDACTED]"')}]`);
    if (this.gotConnect) throw new ProtocolError(null, true, "second CONNECT on a leafnode connection");
    this.gotConnect = true;
    const j = connectObject(arg, "processLeafNodeConnect");
    if (j.lang !== undefined) {
      // A client on the leaf port.
      this.svc.log.error(`${leaf.traceId} - ${ERR.leafWrongPort}`);
      leaf.refuse(ERR.leafWrongPort, CloseReason.wrongPort);
      return;
    }
    const verdict = this.authorize(j, leaf);
    if (!(verdict instanceof Promise)) {
      this.connected(leaf, j, verdict);
      return;
    }
    // bcrypt runs asynchronously: the parser stops after CONNECT and the link holds what follows.
    leaf.parser.suspended = true;
    void verdict.then((ok) => {
      if (leaf.closed) return;
      this.connected(leaf, j, ok);
      // A refused link stays suspended until it closes; an accepted one goes on with what it held.
      if (leaf.active) leaf.resume();
      else this.svc.flushPending();
    });
  }

  /**
   * nats-server's isLeafNodeAuthorized: the leafnodes block's single user or users list; without either,
   * client authorization applies; with none at all, anyone may connect. The verdict is the account the link
   * goes into (null: $G), or false for a refusal.
   */
  private authorize(j: Record<string, unknown>, leaf: LeafConn): Admission | Promise<Admission> {
    const user = typeof j.user === "string" ? j.user : "";
    const pass = typeof j.pass === "string" ? j.pass : "";
    const a = this.svc.options.leafnodes?.authorization;
    const admit = (ok: boolean | Promise<boolean>, account: string | null): Admission | Promise<Admission> =>
      typeof ok === "boolean" ? (ok ? { account } : false) : ok.then((y) => (y ? { account } : false), () => false);
    if (a?.user !== undefined) return admit(user === a.user && checkSecret(pass, a.password ?? ""), a.account ?? null);
    if (a?.users !== undefined) {
      const u = a.users.find((x) => x.user === user);
      return u !== undefined ? admit(checkSecret(pass, u.password ?? ""), u.account ?? a.account ?? null) : false;
    }
    if (!this.svc.srv.auth.required) return { account: a?.account ?? null };
    const opts = parseConnect(JSON.stringify(j), { verbose: false, pedantic: false, echo: false, headers: false, noResponders: false, protocol: 1 }, true);
    const verdict = (v: AuthVerdict): Admission =>
      v.ok ? { account: v.user?.account ?? null, ...(v.user?.maxSubs !== undefined ? { maxSubs: v.user.maxSubs } : {}) } : v.wire !== undefined ? { refuse: v.wire } : false;
    const v: AuthVerdict | Promise<AuthVerdict> = this.svc.srv.auth.authenticate(opts, this.nonce, leaf.link.tls, { kind: Kind.LEAF, clientType: ClientType.NATS, host: leaf.link.conn.remoteAddress });
    return v instanceof Promise ? v.then(verdict, () => false) : verdict(v);
  }

  private connected(leaf: LeafConn, j: Record<string, unknown>, admission: Admission): void {
    if (admission !== false && "refuse" in admission) {
      this.svc.log.error(`${leaf.traceId} - ${admission.refuse.err}`);
      leaf.refuse(admission.refuse.err, admission.refuse.close as CloseReason);
      return;
    }
    if (admission !== false && this.svc.leafLimitReached(admission.account)) {
      this.svc.log.error(`${leaf.traceId} - ${ERR.maxAccountConnections}`);
      leaf.refuse(ERR.maxAccountConnections, CloseReason.maxAccountConnections);
      return;
    }
    if (admission === false || !this.svc.bind(leaf, admission.account, admission.maxSubs)) {
      this.svc.log.error(`${leaf.traceId} - authentication error`);
      leaf.refuse(ERR.authorizationViolation, CloseReason.authViolation);
      return;
    }
    const id = typeof j.server_id === "string" ? j.server_id : "";
    const name = typeof j.name === "string" && j.name !== "" ? j.name : id;
    const cluster = typeof j.cluster === "string" ? j.cluster : "";
    if (cluster !== "" && cluster === this.svc.clusterName) {
      this.svc.log.error(`${leaf.traceId} - ${ERR.leafSameCluster}`);
      leaf.refuse(ERR.leafSameCluster, CloseReason.protocolViolation);
      return;
    }
    const min = this.svc.options.leafnodes?.min_version;
    const version = typeof j.version === "string" ? j.version : "";
    if (min !== undefined && !versionAtLeast(version, min)) {
      this.refuseOldVersion(leaf, min, version);
      return;
    }
    // A leaf whose remote says hub: true is the hub of this link: we take the spoke's part.
    if (j.is_hub === true) leaf.spoke = true;
    this.svc.replaceDuplicate(leaf, name, cluster);
    leaf.link.enqueue(infoLine({ ...this.infoBase, client_id: leaf.cid, connect_info: true, remote_account: leaf.account }));
    const user = typeof j.user === "string" && j.user !== "" ? j.user : undefined;
    leaf.activate({ id, name, cluster, headers: j.headers === true && !this.svc.options.no_header_support, user, version });
  }

  /**
   * As nats-server: the connect_info INFO still goes out (so the leaf reads the -ERR as the hub's), then the
   * refusal, and the link is held for 5 s before it closes, so the leaf does not redial in a tight loop.
   */
  private refuseOldVersion(leaf: LeafConn, min: string, version: string): void {
    const text = `connection rejected since minimum version required is ${JSON.stringify(min)}`;
    this.svc.log.error(`${leaf.traceId} - Leafnode version ${JSON.stringify(version)} is lower than the minimum ${JSON.stringify(min)}`);
    leaf.link.enqueue(infoLine({ ...this.infoBase, client_id: leaf.cid, connect_info: true, remote_account: leaf.account }));
    leaf.link.sendErr(text);
    leaf.link.flush();
    // Whatever the leaf sends meanwhile waits unread: the link is going away.
    leaf.parser.suspended = true;
    const t = setTimeout(() => leaf.link.close(CloseReason.minVersion), MIN_VERSION_HOLD_MS);
    (t as { unref?: () => void }).unref?.();
  }

  closed(): void {}
}

/**
 * The address leaves are told to reconnect to: the listen host, or for 0.0.0.0/:: the first non-loopback
 * IPv4 address (nats-server does the same when no advertise is set).
 */
function advertisedHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
