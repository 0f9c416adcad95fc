/**
 * The soliciting side (natsedge is the leaf): one Solicitor per configured remote dials the hub, and its
 * handshake reads the hub's INFO, sends a leaf CONNECT as nats-server 2.9.10's leafConnectInfo does, and
 * waits for the second INFO before the link carries traffic. When the link closes or a dial fails it
 * redials after `reconnect` (30 s after a loop or a refusal), as nats-server's reConnectToRemoteLeafNode.
 * A ws:// or wss:// remote dials the hub's WebSocket port: TLS first for wss, then the upgrade, and the same
 * leaf protocol over the WebSocket as over any other Conn.
 */
import type { LeafRemote } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Connection } from "../connection/connection.ts";
import { tlsClientConfig } from "../config/tls_config.ts";
import { ERR } from "../protocol/errors.ts";
import { Kind } from "../protocol/kind.ts";
import type { Conn, ConnHandler, TLSClientConfig } from "../runtime/types.ts";
import { ADVERTISED_VERSION } from "../version.ts";
import { ClientUpgrade } from "../websocket/client_upgrade.ts";
import type { Deflate } from "../websocket/deflate.ts";
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
/** The largest WebSocket message taken from a hub, as from a client: min(8 × max_payload, 64 MiB). */
const WS_MAX_MESSAGE_CAP = 64 * 1024 * 1024;

export class Solicitor {
  private readonly urls: LeafURLs;
  private attempts = 0;
  private connectedOnce = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** The link being set up or up, if any. */
  current: LeafConn | null = null;
  /** permessage-deflate for a ws remote with ws_compression, loaded at the first dial. */
  private deflate: Deflate | null = null;
  /**
   * A hub's first INFO said tls_required: every later dial of this remote does TLS, as nats-server's
   * processLeafnodeInfo sets remote.TLS for good. A WebSocket remote then dials as wss:// even when its URL
   * says ws://, so a hub whose WebSocket port has no TLS is refused from the second link on, as in 2.9.10.
   */
  private hubRequiresTLS = false;

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

  /**
   * A remote does TLS when it has a tls block, or a hub's INFO asked for it (nats-server's remote.TLS); a
   * WebSocket remote also when any URL is wss://, and before its upgrade.
   */
  get requiresTLS(): boolean {
    return this.remote.tls !== undefined || this.hubRequiresTLS;
  }

  private get webSocketTLS(): boolean {
    return this.requiresTLS || this.remote.urls.some((u) => u.trim().toLowerCase().startsWith("wss"));
  }

  /** The hub's first INFO on a link said tls_required. */
  hubAskedTLS(): void {
    this.hubRequiresTLS = true;
  }

  private get tlsTimeoutMs(): number {
    return this.remote.tls?.timeout ?? LEAF_TLS_TIMEOUT_MS;
  }

  private async dial(): Promise<void> {
    if (this.stopped || this.current !== null) return;
    const url = this.urls.next();
    const attempt = ++this.attempts;
    const log = this.svc.log;
    log.debugf(`Trying to connect as leafnode to remote server on "${hostPortOf(url)}"`);
    try {
      if (url.ws && this.remote.ws_compression === true && this.deflate === null) this.deflate = (await import("../websocket/deflate.ts")).deflate;
      const tls = url.ws && this.webSocketTLS ? this.tlsConfig(url) : undefined;
      await this.svc.runtime.dial(url.host, url.port, {
        open: (conn) => (url.ws ? this.openWebSocket(conn, url, tls !== undefined) : this.open(conn, url)),
        timeoutMs: DIAL_TIMEOUT_MS + (tls !== undefined ? this.tlsTimeoutMs : 0),
        ...(tls !== undefined && { tls }),
      });
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

  /** The upgrade first; once the socket is a WebSocket it is served as any dialled leaf connection. */
  private openWebSocket(raw: Conn, url: LeafURL, tls: boolean): ConnHandler {
    const o = this.svc.options;
    const up = new ClientUpgrade(
      raw,
      {
        host: hostPortOf(url),
        path: url.path,
        compression: this.remote.ws_compression === true ? this.deflate : null,
        noMasking: this.remote.ws_no_masking === true,
        maxMessage: Math.min(8 * o.max_payload, WS_MAX_MESSAGE_CAP),
        tls,
        timeoutMs: INFO_WAIT_MS,
      },
      {
        upgraded: (ws) => {
          const link = this.open(ws, url);
          this.svc.log.debugf(`${link.traceId} - Leafnode compression=${ws.compressed} masking=${ws.masksWrites}`);
          if (ws.tls !== null) link.onTLS(ws.tls);
          return link;
        },
        failed: (why) => {
          if (this.stopped) return;
          this.svc.log.error(`${hostPortOf(url)} - Error soliciting websocket connection: ${why}`);
          this.schedule(this.reconnectMs);
        },
      },
    );
    queueMicrotask(() => up.start());
    return up;
  }

  /**
   * Certificates are read at each connect (they may be rotated on disk). The name verified is the first
   * host name among the configured URLs, since gossiped URLs are addresses (nats-server's tlsName).
   */
  tlsConfig(url: LeafURL): TLSClientConfig {
    const t = this.remote.tls;
    const servername = this.remote.urls.map((u) => new URL(u).hostname).find((h) => !/^[\d.]+$|:/.test(h)) ?? url.host;
    return { ...(t !== undefined ? tlsClientConfig(t) : {}), servername };
  }

  private open(conn: Conn, url: LeafURL): Connection {
    const link = new Connection(this.svc.newCid(), conn, this.svc, Kind.LEAF);
    const hs = new SolicitHandshake(this, url);
    // A remote with hub: true makes us the hub of the link although we dial it.
    const spoke = this.remote.hub !== true;
    const leaf = new LeafConn(link, this.svc, hs, true, spoke, { imports: this.remote.deny_imports ?? [], exports: this.remote.deny_exports ?? [] });
    if (!this.svc.bind(leaf, this.remote.account ?? null)) {
      // The account went away in a reload; nats-server closes and tries again later.
      this.svc.log.error(`Unable to lookup account ${this.remote.account} for solicited leafnode connection: account not found`);
      link.close(CloseReason.missingAccount);
    }
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

  /**
   * The hub's URLs from an INFO: leafnode_urls, or for a WebSocket remote ws_connect_urls (nats-server's
   * updateLeafNodeURLs, which takes an INFO with either).
   */
  learn(info: Record<string, unknown>, used: LeafURL): void {
    const leaf = stringList(info.leafnode_urls) ?? [];
    const ws = stringList(info.ws_connect_urls) ?? [];
    if (leaf.length === 0 && ws.length === 0) return;
    if (used.ws) this.urls.learn(ws, used, this.webSocketTLS ? "wss" : "ws");
    else if (leaf.length > 0) this.urls.learn(leaf, used);
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
    // Before the URLs are learnt: a WebSocket remote's gossiped URLs are then wss:// (updateLeafNodeURLs).
    if (this.state === "info" && info.tls_required === true) this.solicitor.hubAskedTLS();
    this.solicitor.learn(info, this.url);
    if (this.state === "info") this.firstInfo(leaf, info, stringList(info.leafnode_urls));
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
    // Over a WebSocket, TLS (if any) came before the upgrade: this link stays as it is, the next dial is wss.
    if (!this.url.ws && this.solicitor.requiresTLS) {
      this.state = "tls";
      leaf.link.upgradeClientTLS(this.solicitor.tlsConfig(this.url), this.solicitor.remote.tls?.timeout ?? LEAF_TLS_TIMEOUT_MS);
      return;
    }
    this.sendConnect(leaf);
  }

  tlsReady(leaf: LeafConn): void {
    if (this.state === "tls") this.sendConnect(leaf);
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
      ...(this.solicitor.remote.hub === true ? { is_hub: true } : {}),
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

function stringList(v: unknown): string[] | null {
  return Array.isArray(v) ? v.filter((u): u is string => typeof u === "string") : null;
}
