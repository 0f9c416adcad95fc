/**
 * The MQTT listener (nats-server's startMQTT): a TCP port whose connections speak MQTT 3.1.1, the sessions
 * by client ID, and the retained messages. Started as a service once the client port listens.
 */
import type { Authenticator, AuthVerdict } from "../auth/authenticator.ts";
import type { MqttOptions } from "../config/options.ts";
import { DEFAULT_TLS_TIMEOUT_MS, tlsServerConfig } from "../config/tls_config.ts";
import { Connection } from "../connection/connection.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { ConnSnapshot } from "../monitor/conn_info.ts";
import type { ConnectOptions } from "../protocol/connect.ts";
import { ClientType, Kind } from "../protocol/kind.ts";
import type { Conn, Listener, TLSServerConfig } from "../runtime/types.ts";
import { StoreProvider } from "../store/provider.ts";
import { mqttAuthenticator, mqttOptionsError } from "./auth.ts";
import { MqttConn, type MqttConnHost } from "./client.ts";
import { mqttSnapshot } from "./conn_info.ts";
import type { ConnectPacket } from "./decode.ts";
import type { MqttHost } from "./host.ts";
import { Retained } from "./retained.ts";
import { Session, type SessionContext } from "./session.ts";
import { SessionStore } from "./session_store.ts";
import { parentLevelSubject } from "./topic.ts";
import { topicBytes } from "./topic_cache.ts";
import { Writes } from "./writes.ts";

const DEFAULT_HOST = "0.0.0.0";
/** nats-server's default max_ack_pending: QoS 1 messages in flight per session. */
const DEFAULT_MAX_ACK_PENDING = 1024;
/** nats-server's default ack_wait. */
const DEFAULT_ACK_WAIT_MS = 30_000;
/** nats-server's AUTH_TIMEOUT, for a connection that sends no CONNECT. */
const DEFAULT_AUTH_TIMEOUT_MS = 2_000;
/** A PUBLISH's topic and packet identifier around the payload. */
const PUBLISH_OVERHEAD = 2 + 65_535 + 2;
/** How long stop() waits for connections to close before closing the stores. */
const SHUTDOWN_DRAIN_MS = 1_000;
const NUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export { mqttOptionsError };

/**
 * MQTT sessions route on the global account only, for now: a user of another account (src/account/) is
 * refused rather than given the global account's subjects.
 */
function globalOnly(v: AuthVerdict): AuthVerdict {
  if (!v.ok || v.user === null || v.user.account === null) return v;
  return { ok: false, reason: `authentication error - MQTT for account ${JSON.stringify(v.user.account)} is not supported by natsedge yet` };
}

export class MqttService implements MqttConnHost {
  readonly maxPacket: number;
  readonly writes: Writes;
  readonly rejectQos2Publish: boolean;
  readonly downgradeQos2Subscribe: boolean;
  /** How long a connection may take to send CONNECT (the block's authorization timeout, else the server's). */
  readonly authTimeoutMs: number;
  private readonly sessions = new Map<string, Session>();
  private readonly conns = new Set<MqttConn>();
  private readonly ctx: SessionContext;
  private readonly override: Authenticator | null;
  private listener: Listener | null = null;
  private closing = false;
  /** Resolved when the last connection has closed after stop() began (its Will may still write). */
  private drained: (() => void) | null = null;

  private constructor(
    private readonly host: MqttHost,
    readonly opts: MqttOptions,
    private readonly retained: Retained,
    readonly store: SessionStore,
    private readonly tls: TLSServerConfig | undefined,
  ) {
    const o = host.options;
    this.maxPacket = o.max_payload + PUBLISH_OVERHEAD;
    this.writes = new Writes((e) => host.log.error(`mqtt: storing session state failed: ${e.message}`));
    this.rejectQos2Publish = opts.reject_qos2_publish === true;
    this.downgradeQos2Subscribe = opts.downgrade_qos2_subscribe === true;
    this.authTimeoutMs = opts.authorization?.timeout ?? o.authorization?.timeout ?? DEFAULT_AUTH_TIMEOUT_MS;
    this.override = mqttAuthenticator(o);
    this.ctx = {
      router: host.router,
      store,
      writes: this.writes,
      maxInflight: opts.max_ack_pending || DEFAULT_MAX_ACK_PENDING,
      ackWaitMs: opts.ack_wait || DEFAULT_ACK_WAIT_MS,
      log: host.log,
      flush: () => host.flushPending(),
    };
  }

  get log(): MqttHost["log"] {
    return this.host.log;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  static async start(host: MqttHost): Promise<MqttService> {
    const o = host.options;
    const err = mqttOptionsError(o);
    if (err !== null) throw new Error(err);
    const m = o.mqtt!;
    const tls = m.tls !== undefined ? tlsServerConfig(m.tls) : undefined;
    if (tls !== undefined) await host.runtime.prepareTLS?.();
    const js = o.jetstream!;
    const stores = new StoreProvider("mqtt", { storeDir: js.store_dir, key: js.key, prevKey: js.prev_key, cipher: js.cipher, sync: js.sync_interval });
    const retained = await Retained.open(stores, "file");
    let store: SessionStore;
    try {
      // consumer_memory_storage: nats-server keeps QoS 1 consumers in memory; here, what is in flight.
      store = await SessionStore.open(stores, m.consumer_memory_storage === true ? "memory" : "file");
    } catch (e) {
      await retained.close();
      throw e;
    }
    const svc = new MqttService(host, m, retained, store, tls);
    svc.restoreSessions();
    const mqttHost = m.host ?? DEFAULT_HOST;
    try {
      svc.listener = await host.runtime.listen({
        host: mqttHost,
        port: m.port === -1 ? 0 : m.port!,
        accept: (conn) => svc.accept(conn),
      });
    } catch (e) {
      await svc.closeStores();
      throw e;
    }
    const scheme = tls !== undefined ? "tls" : "mqtt";
    host.log.notice(`Listening for MQTT clients on ${scheme}://${mqttHost.includes(":") ? `[${mqttHost}]` : mqttHost}:${svc.port}`);
    return svc;
  }

  /** Persistent sessions from the store, offline until their client comes back, collecting what they subscribed to. */
  private restoreSessions(): void {
    for (const st of this.store.load()) {
      const s = new Session(st.id, false, this.ctx);
      s.restore(st.subs, st.pending);
      this.sessions.set(st.id, s);
    }
    if (this.sessions.size > 0) this.log.notice(`Restored ${this.sessions.size} MQTT session(s)`);
  }

  /**
   * MQTT over WebSocket: the WebSocket listener hands over a connection whose path starts with `/mqtt`
   * (nats-server's wsMQTTPath), already framed and with the listener's TLS; from here it is an MQTT client.
   */
  acceptWebSocket(conn: Conn): Connection {
    return this.accept(conn, true);
  }

  private accept(conn: Conn, viaWebSocket = false): Connection {
    const link = new Connection(this.host.newCid(), conn, this.host, Kind.CLIENT, ClientType.MQTT);
    const c = new MqttConn(link, this);
    link.proto = c;
    if (this.closing) {
      link.close(CloseReason.serverShutdown);
      return link;
    }
    this.conns.add(c);
    this.log.debugf(`${link.traceId} - Client connection created`);
    if (this.tls !== undefined && !viaWebSocket) link.upgradeTLS(this.tls, this.opts.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_MS, null);
    c.armConnectTimeout(this.authTimeoutMs);
    return link;
  }

  /** The password is also tried as a token, as nats-server tries it (and as a JWT, which natsedge has no operator mode for). */
  authenticate(c: ConnectOptions): AuthVerdict | Promise<AuthVerdict> {
    const auth = this.override ?? this.host.auth;
    if (c.user === undefined && auth.noAuthUser !== null) return globalOnly({ ok: true, user: auth.noAuthUser });
    const first = auth.authenticate(c, null, null);
    const asToken = (v: AuthVerdict) => (v.ok || c.pass === undefined ? v : auth.authenticate({ ...c, user: undefined, pass: undefined, auth_token: c.pass }, null, null));
    const checked = first instanceof Promise ? first.then(asToken) : asToken(first);
    return checked instanceof Promise ? checked.then(globalOnly) : globalOnly(checked);
  }

  openSession(conn: MqttConn, c: ConnectPacket): { session: Session; present: boolean } {
    let clientId = c.clientId;
    if (clientId === "") clientId = conn.clientId = nuid();
    const old = this.sessions.get(clientId);
    if (old?.conn != null) (old.conn as MqttConn).takenOver();
    if (old !== undefined && !c.clean && !old.clean) {
      old.detach();
      return { session: old, present: true };
    }
    if (old !== undefined) this.endSession(old);
    const s = new Session(clientId, c.clean, this.ctx);
    this.sessions.set(clientId, s);
    // The record says the session exists even before it subscribes to anything.
    const saved = s.save();
    if (saved !== null) this.writes.add(saved);
    return { session: s, present: false };
  }

  private endSession(s: Session): void {
    s.end();
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    if (s.persistent) this.writes.add(this.store.drop(s.clientId));
  }

  retain(subject: string, qos: number, payload: Uint8Array): Promise<void> {
    return this.retained.retain(subject, qos, payload);
  }

  /** After SUBACK: each matching retained message once per subscription, RETAIN set, at the lower QoS. */
  sendRetained(session: Session, subs: readonly { subject: string; qos: number }[]): void {
    for (const s of subs) {
      const filters = [s.subject];
      const parent = parentLevelSubject(s.subject);
      if (parent !== null) filters.push(parent);
      for (const m of this.retained.matching(filters)) {
        if (!session.admitDelivery(m.subject)) continue;
        session.sendDirect(topicBytes(m.subject), m.payload, Math.min(m.qos, s.qos));
      }
    }
  }

  connClosed(conn: MqttConn): void {
    this.conns.delete(conn);
    const s = conn.session;
    // A clean session ends with its connection ([MQTT-3.1.2-6]); a taken-over one lives on in the newcomer.
    if (s !== null && !conn.replaced && s.clean && this.sessions.get(s.clientId) === s) this.endSession(s);
    this.host.lifecycle.closed.add(mqttSnapshot(conn, Date.now()));
    if (this.conns.size === 0) this.drained?.();
    this.log.debugf(`${conn.link.traceId} - Client connection closed: ${conn.link.closeReason}`);
    queueMicrotask(() => this.host.flushPending());
  }

  flushPending(): void {
    this.host.flushPending();
  }

  connections(): ConnSnapshot[] {
    return [...this.conns].map((c) => mqttSnapshot(c));
  }

  /** The `/varz` `mqtt` block, with nats-server 2.9.10's fields. */
  varz(): Record<string, unknown> {
    const o = this.opts;
    const auth = this.override ?? this.host.auth;
    return {
      host: o.host ?? DEFAULT_HOST,
      port: this.port,
      ...(auth.noAuthUser !== null && { no_auth_user: auth.noAuthUser.name }),
      auth_timeout: this.authTimeoutMs / 1000,
      ...(o.tls?.verify_and_map === true && { tls_map: true }),
      ...(this.tls !== undefined && { tls_timeout: (o.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_MS) / 1000 }),
      ack_wait: this.ctx.ackWaitMs * 1_000_000,
      max_ack_pending: this.ctx.maxInflight,
    };
  }

  /** Lame duck mode: no new MQTT clients. */
  async stopAccepting(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    await l?.close();
  }

  async stop(): Promise<void> {
    this.closing = true;
    await this.stopAccepting();
    // Wills are published as connections close: let them reach the stores before those close.
    const drained = new Promise<void>((resolve) => (this.drained = resolve));
    for (const c of [...this.conns]) c.link.closeAfterFlush(CloseReason.serverShutdown);
    this.host.flushPending();
    if (this.conns.size > 0) await Promise.race([drained, new Promise((r) => setTimeout(r, SHUTDOWN_DRAIN_MS))]);
    // In memory only: persistent sessions stay in the store for the next start.
    for (const s of this.sessions.values()) s.end();
    this.sessions.clear();
    await this.closeStores();
  }

  private async closeStores(): Promise<void> {
    await this.retained.close();
    await this.store.close();
  }
}

/** A 22-character random id in nats.io/nuid's alphabet, for a client that sent an empty client ID. */
function nuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let s = "";
  for (const b of bytes) s += NUID_ALPHABET[b % NUID_ALPHABET.length];
  return s;
}
