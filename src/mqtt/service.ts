/**
 * The MQTT listener (nats-server's startMQTT): a TCP port whose connections speak MQTT 3.1.1, the sessions
 * by client ID, and the retained messages. Started as a service once the client port listens.
 */
import type { AuthVerdict } from "../auth/authenticator.ts";
import type { MqttOptions } from "../config/options.ts";
import { Connection } from "../connection/connection.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { ConnectOptions } from "../protocol/connect.ts";
import { ClientType, Kind } from "../protocol/kind.ts";
import type { Listener } from "../runtime/types.ts";
import { StoreProvider } from "../store/provider.ts";
import { MqttConn, type MqttConnHost } from "./client.ts";
import type { ConnectPacket } from "./decode.ts";
import type { MqttHost } from "./host.ts";
import { Retained } from "./retained.ts";
import { Session } from "./session.ts";
import { parentLevelSubject, subjectToTopic } from "./topic.ts";

const DEFAULT_HOST = "0.0.0.0";
/** nats-server's default max_ack_pending: QoS 1 messages in flight per session. */
const DEFAULT_MAX_ACK_PENDING = 1024;
/** A PUBLISH's topic and packet identifier around the payload. */
const PUBLISH_OVERHEAD = 2 + 65_535 + 2;
const NUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Startup checks nats-server makes (validateMQTTOptions), in its words. */
export function mqttOptionsError(host: Pick<MqttHost, "options">): string | null {
  const o = host.options;
  if (!o.server_name) return "mqtt requires server name to be explicitly set";
  if (o.jetstream?.enabled !== true) return "mqtt requires JetStream to be enabled if running in standalone mode";
  return null;
}

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
  private readonly sessions = new Map<string, Session>();
  private readonly conns = new Set<MqttConn>();
  private listener: Listener | null = null;
  private closing = false;

  private constructor(
    private readonly host: MqttHost,
    readonly opts: MqttOptions,
    private readonly retained: Retained,
  ) {
    this.maxPacket = host.options.max_payload + PUBLISH_OVERHEAD;
  }

  get log(): MqttHost["log"] {
    return this.host.log;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  static async start(host: MqttHost): Promise<MqttService> {
    const err = mqttOptionsError(host);
    if (err !== null) throw new Error(err);
    const o = host.options;
    const js = o.jetstream!;
    const stores = new StoreProvider("mqtt", { storeDir: js.store_dir, key: js.key, prevKey: js.prev_key, cipher: js.cipher, sync: js.sync_interval });
    const retained = await Retained.open(stores, "file");
    const svc = new MqttService(host, o.mqtt!, retained);
    const mqttHost = svc.opts.host ?? DEFAULT_HOST;
    try {
      svc.listener = await host.runtime.listen({
        host: mqttHost,
        port: svc.opts.port === -1 ? 0 : svc.opts.port!,
        accept: (conn) => svc.accept(conn),
      });
    } catch (e) {
      await retained.close();
      throw e;
    }
    host.log.notice(`Listening for MQTT clients on mqtt://${mqttHost.includes(":") ? `[${mqttHost}]` : mqttHost}:${svc.port}`);
    return svc;
  }

  private accept(conn: import("../runtime/types.ts").Conn): Connection {
    const link = new Connection(this.host.newCid(), conn, this.host, Kind.CLIENT, ClientType.MQTT);
    const c = new MqttConn(link, this);
    link.proto = c;
    if (this.closing) {
      link.close(CloseReason.serverShutdown);
      return link;
    }
    this.conns.add(c);
    this.log.debugf(`${link.traceId} - Client connection created`);
    return link;
  }

  /** The password is also tried as a token, as nats-server tries it (and as a JWT, which natsedge has no operator mode for). */
  authenticate(c: ConnectOptions): AuthVerdict | Promise<AuthVerdict> {
    const auth = this.host.auth;
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
    if (old !== undefined) old.end();
    const s = new Session(clientId, c.clean, this.host.router, this.opts.max_ack_pending || DEFAULT_MAX_ACK_PENDING);
    this.sessions.set(clientId, s);
    return { session: s, present: false };
  }

  retain(subject: string, qos: number, payload: Uint8Array): void {
    this.retained.retain(subject, qos, payload).catch((e) => this.log.error(`mqtt: storing a retained message on ${JSON.stringify(subject)} failed: ${(e as Error).message}`));
  }

  /** After SUBACK: each matching retained message once per subscription, RETAIN set, at the lower QoS. */
  sendRetained(session: Session, subs: readonly { subject: string; qos: number }[]): void {
    for (const s of subs) {
      const filters = [s.subject];
      const parent = parentLevelSubject(s.subject);
      if (parent !== null) filters.push(parent);
      for (const m of this.retained.matching(filters)) {
        if (!session.admitDelivery(m.subject)) continue;
        session.sendDirect({ topic: subjectToTopic(m.subject), payload: m.payload, qos: Math.min(m.qos, s.qos), retain: true, dup: false, pid: 0 });
      }
    }
  }

  connClosed(conn: MqttConn): void {
    this.conns.delete(conn);
    const s = conn.session;
    // A clean session ends with its connection ([MQTT-3.1.2-6]); a taken-over one lives on in the newcomer.
    if (s !== null && !conn.replaced && s.clean && this.sessions.get(s.clientId) === s) {
      s.end();
      this.sessions.delete(s.clientId);
    }
    this.log.debugf(`${conn.link.traceId} - Client connection closed: ${conn.link.closeReason}`);
    queueMicrotask(() => this.host.flushPending());
  }

  flushPending(): void {
    this.host.flushPending();
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
    for (const c of [...this.conns]) c.link.closeAfterFlush(CloseReason.serverShutdown);
    this.host.flushPending();
    for (const s of this.sessions.values()) s.end();
    this.sessions.clear();
    await this.retained.close();
  }
}

/** A 22-character random id in nats.io/nuid's alphabet, for a client that sent an empty client ID. */
function nuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let s = "";
  for (const b of bytes) s += NUID_ALPHABET[b % NUID_ALPHABET.length];
  return s;
}
