/**
 * The soliciting side (natsedge is the leaf): one Solicitor per configured remote dials the hub, and its
 * handshake reads the hub's INFO, sends a leaf CONNECT as nats-server 2.9.10's leafConnectInfo does, and
 * waits for the second INFO before the link carries traffic. When the link closes or a dial fails it
 * redials after `reconnect` (30 s after a loop or a refusal), as nats-server's reConnectToRemoteLeafNode.
 */
import type { LeafRemote } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Connection } from "../connection/connection.ts";
import { tlsClientConfig } from "../config/tls_config.ts";
import { ERR } from "../protocol/errors.ts";
import { Kind } from "../protocol/kind.ts";
import type { Conn, ConnHandler, TLSClientConfig } from "../runtime/types.ts";
import { ADVERTISED_VERSION } from "../version.ts";
import { type Handshake, LeafConn } from "./leaf_conn.ts";
import type { LeafNodes } from "./mod.ts";
import { hostPortOf, type LeafURL, LeafURLs } from "./urls.ts";
import { type Credentials, readCredentials, signNonce } from "./creds.ts";

/** nats-server's DEFAULT_LEAFNODE_INFO_WAIT: the hub's INFO must come this soon after connecting. */
const INFO_WAIT_MS = 1000;
/** How long the second INFO (connect_info) may take after our CONNECT. */
const CONNECT_INFO_WAIT_MS = 2000;
/** Route and leaf dial timeout (nats-server's DEFAULT_ROUTE_DIAL). */
const DIAL_TIMEOUT_MS = 1000;
/** nats-server's leafnodes reconnect default. */
const DEFAULT_LEAF_RECONNECT_MS = 1000;
/** DEFAULT_LEAF_TLS_TIMEOUT. */
const LEAF_TLS_TIMEOUT_MS = 2000;
/** nats-server's connect_error_reports: failures before the first success are logged this rarely. */
const CONNECT_ERROR_REPORTS = 3600;

export class Solicitor {
  private readonly urls: LeafURLs;
  private attempts = 0;
  private connectedOnce = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** The link being set up or up, if any. */
  current: LeafConn | null = null;

  constructor(
    readonly svc: LeafNodes,
    /** Replaced by a reload that changes its TLS certificate material (the only change 2.9.10 reloads). */
    public remote: LeafRemote,
  ) {
    this.urls = new LeafURLs(remote.urls, remote.no_randomize !== true);
  }

  start(): void {
    void this.dial();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private get reconnectMs(): number {
    return this.svc.options.leafnodes?.reconnect ?? DEFAULT_LEAF_RECONNECT_MS;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.dial();
    }, ms);
  }

  private async dial(): Promise<void> {
    if (this.stopped || this.current !== null) return;
    const url = this.urls.next();
    const attempt = ++this.attempts;
    const log = this.svc.log;
    log.debugf(`Trying to connect as leafnode to remote server on "${hostPortOf(url)}"`);
    try {
      await this.svc.runtime.dial(url.host, url.port, { open: (conn) => this.open(conn, url), timeoutMs: DIAL_TIMEOUT_MS });
    } catch (err) {
      if (this.stopped) return;
      // Before the first link, nats-server logs the first failure and then one in connect_error_reports.
      if (this.connectedOnce || attempt === 1 || attempt % CONNECT_ERROR_REPORTS === 0) {
        const why = err instanceof Error ? err.message : String(err);
        log.error(`Error trying to connect as leafnode to remote server "${hostPortOf(url)}" (attempt ${attempt}): ${why}`);
      }
      this.schedule(this.reconnectMs);
    }
  }

  private open(conn: Conn, url: LeafURL): ConnHandler {
    const link = new Connection(this.svc.newCid(), conn, this.svc, Kind.LEAF);
    const hs = new SolicitHandshake(this, url);
    const leaf = new LeafConn(link, this.svc, hs, true, { imports: this.remote.deny_imports ?? [], exports: this.remote.deny_exports ?? [] });
    hs.begin(leaf);
    this.current = leaf;
    this.svc.track(leaf);
    if (this.stopped) link.close(CloseReason.serverShutdown);
    return link;
  }

  /** The link is up: failures from now on are logged every time, and counting starts again. */
  connected(): void {
    this.attempts = 0;
    this.connectedOnce = true;
  }

  learn(advertised: readonly string[], used: LeafURL): void {
    this.urls.learn(advertised, used);
  }

  closed(leaf: LeafConn): void {
    if (this.current === leaf) this.current = null;
    this.schedule(leaf.redialDelayMs ?? this.reconnectMs);
  }
}

/** The soliciting side's handshake on one dialled connection. */
class SolicitHandshake implements Handshake {
  private state: "info" | "tls" | "connect_info" | "done" = "info";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private hub: Record<string, unknown> = {};

  constructor(
    private readonly solicitor: Solicitor,
    private readonly url: LeafURL,
  ) {}

  begin(leaf: LeafConn): void {
    this.arm(INFO_WAIT_MS, "did not receive the leafnode INFO in time", leaf);
  }

  private arm(ms: number, what: string, leaf: LeafConn): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (leaf.closed || this.state === "done") return;
      this.solicitor.svc.log.error(`${leaf.traceId} - ${what}`);
      if (this.state === "connect_info") leaf.refuse(ERR.staleLeaf, CloseReason.staleConnection);
      else leaf.link.close(CloseReason.staleConnection);
    }, ms);
  }

  info(leaf: LeafConn, info: Record<string, unknown>): void {
    const urls = Array.isArray(info.leafnode_urls) ? info.leafnode_urls.filter((u): u is string => typeof u === "string") : null;
    if (urls !== null && urls.length > 0) this.solicitor.learn(urls, this.url);
    if (this.state === "info") this.firstInfo(leaf, info, urls);
    else if (this.state === "connect_info" && info.connect_info === true) this.finish(leaf);
  }

  /** nats-server's processLeafnodeInfo on the first INFO: it must be a hub's leaf port, then TLS if asked. */
  private firstInfo(leaf: LeafConn, info: Record<string, unknown>, urls: string[] | null): void {
    if (!info.client_id || urls === null) {
      this.solicitor.svc.log.error(`${leaf.traceId} - attempted to connect to wrong port`);
      leaf.link.close(CloseReason.wrongPort);
      return;
    }
    this.hub = info;
    // The INFO came in time; TLS and the CONNECT's own wait take over from here.
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const tls = this.solicitor.remote.tls;
    if (info.tls_required === true || tls !== undefined) {
      this.state = "tls";
      leaf.link.upgradeClientTLS(this.tlsConfig(), tls?.timeout ?? LEAF_TLS_TIMEOUT_MS);
      return;
    }
    this.sendConnect(leaf);
  }

  tlsReady(leaf: LeafConn): void {
    if (this.state === "tls") this.sendConnect(leaf);
  }

  /**
   * Certificates are read at each connect (they may be rotated on disk). The name verified is the first
   * host name among the configured URLs, since gossiped URLs are addresses (nats-server's tlsName).
   */
  private tlsConfig(): TLSClientConfig {
    const t = this.solicitor.remote.tls;
    const servername = this.solicitor.remote.urls.map((u) => new URL(u).hostname).find((h) => !/^[\d.]+$|:/.test(h)) ?? this.url.host;
    return { ...(t !== undefined ? tlsClientConfig(t) : {}), servername };
  }

  /** CONNECT with the remote's credentials file if it has one (its nonce signature is asynchronous). */
  private sendConnect(leaf: LeafConn): void {
    const path = this.solicitor.remote.credentials;
    if (path === undefined) {
      this.writeConnect(leaf, {});
      return;
    }
    const log = this.solicitor.svc.log;
    let creds: Credentials;
    try {
      creds = readCredentials(path);
    } catch (err) {
      log.error(`${leaf.traceId} - ${(err as Error).message}`);
      leaf.link.close(CloseReason.authViolation);
      return;
    }
    const nonce = typeof this.hub.nonce === "string" ? this.hub.nonce : "";
    signNonce(creds.seed, nonce).then(
      (sig) => {
        if (leaf.closed) return;
        this.writeConnect(leaf, { jwt: creds.jwt, sig });
        this.solicitor.svc.flushPending();
      },
      (err: unknown) => {
        log.error(`${leaf.traceId} - signing the nonce with the credentials of ${JSON.stringify(path)}: ${String(err)}`);
        leaf.link.close(CloseReason.authViolation);
      },
    );
  }

  private writeConnect(leaf: LeafConn, auth: { jwt?: string; sig?: string }): void {
    const svc = this.solicitor.svc;
    const o = svc.options;
    const headers = !o.no_header_support;
    const jetstream = svc.srv.info.jetstream === true;
    const domain = o.jetstream?.domain;
    // Field order and omissions follow 2.9.10's leafConnectInfo; `lang` must never be there (the hub
    // would take us for a client on the wrong port). Credentials win over user info in the URL.
    const userinfo = auth.jwt === undefined && this.url.user !== undefined ? { user: this.url.user, pass: this.url.pass ?? "" } : {};
    const connect: Record<string, unknown> = {
      version: ADVERTISED_VERSION,
      ...auth,
      ...userinfo,
      tls_required: leaf.link.tls !== null,
      server_id: svc.srv.id,
      ...(domain ? { domain } : {}),
      name: svc.srv.name,
      cluster: svc.clusterName,
      ...(headers ? { headers } : {}),
      ...(jetstream ? { jetstream } : {}),
      // The hub need not send what we would drop.
      ...(leaf.deny.imports.length > 0 ? { deny_pub: leaf.deny.imports } : {}),
    };
    if (svc.log.trace) {
      const shown = { ...connect, ...(connect.pass !== undefined ? { pass: "[REDACTED]" } : {}), ...(connect.sig !== undefined ? { sig: "[REDACTED]" } : {}) };
      svc.log.tracef(`${leaf.traceId} - ->> [CONNECT ${JSON.stringify(shown)}]`);
    }
    leaf.link.enqueue(new TextEncoder().encode(`CONNECT ${JSON.stringify(connect)}\r\n`));
    leaf.link.flush();
    if (this.hub.info_on_connect === true) {
      this.state = "connect_info";
      this.arm(CONNECT_INFO_WAIT_MS, "did not receive the leafnode INFO after CONNECT in time", leaf);
    } else {
      this.finish(leaf);
    }
  }

  private finish(leaf: LeafConn): void {
    this.state = "done";
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const hub = this.hub;
    const id = typeof hub.server_id === "string" ? hub.server_id : "";
    leaf.activate({
      id,
      name: typeof hub.server_name === "string" && hub.server_name !== "" ? hub.server_name : id,
      cluster: typeof hub.cluster === "string" ? hub.cluster : "",
      headers: hub.headers === true && !this.solicitor.svc.options.no_header_support,
    });
    this.solicitor.connected();
  }

  connect(leaf: LeafConn): void {
    this.solicitor.svc.log.error(`${leaf.traceId} - CONNECT received from the hub of a solicited leafnode connection`);
    leaf.link.close(CloseReason.protocolViolation);
  }

  closed(leaf: LeafConn): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.solicitor.closed(leaf);
  }
}
