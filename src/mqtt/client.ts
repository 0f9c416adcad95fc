/**
 * One MQTT connection (nats-server's client of type MQTT with its mqtt.go reader): the protocol on a
 * Connection. It reads packets, answers CONNECT after authentication, turns PUBLISH into router messages and
 * SUBSCRIBE into the session's subscriptions, enforces the keep-alive and publishes the Will when the
 * connection ends without DISCONNECT. A bad packet closes this connection only, with a log line.
 */
import type { AuthVerdict } from "../auth/authenticator.ts";
import type { ConnProtocol, Connection } from "../connection/connection.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { ConnectOptions } from "../protocol/connect.ts";
import { ConnackCode, ConnectRefusal, type ConnectPacket, decodeConnect, decodePacketId, decodePublish, decodeSubscribe, type Will } from "./decode.ts";
import { connack, type Packet, PacketError, PacketReader, PacketType, PINGRESP, puback, pubcomp, pubrec, suback, unsuback } from "./packet.ts";
import type { Session, SessionLink } from "./session.ts";
import { PendingKind } from "./session_store.ts";
import { TopicError, topicToSubject } from "./topic.ts";
import { publishSubject, type PublishSubject } from "./topic_cache.ts";
import type { Writes } from "./writes.ts";

/** SUBACK's failure return code. */
const SUBACK_FAILURE = 0x80;
/** nats-server refuses filters on its internal QoS 1 delivery subjects. */
const RESERVED_FILTER_PREFIX = "$MQTT.sub.";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** What a connection needs from the MQTT service. */
export interface MqttConnHost {
  readonly log: import("../log/logger.ts").Logger;
  /** Largest remaining length a packet may have. */
  readonly maxPacket: number;
  readonly writes: Writes;
  /** nats-server 2.10's reject_qos2_publish: a QoS 2 PUBLISH closes the connection, as 2.9 did. */
  readonly rejectQos2Publish: boolean;
  /** nats-server 2.10's downgrade_qos2_subscribe: QoS 2 subscriptions are granted QoS 1, as 2.9 did. */
  readonly downgradeQos2Subscribe: boolean;
  authenticate(c: ConnectOptions): AuthVerdict | Promise<AuthVerdict>;
  /** Binds `conn` to the session of its client ID, taking it from another connection; whether it existed. */
  openSession(conn: MqttConn, c: ConnectPacket): { session: Session; present: boolean };
  /** A PUBLISH (or Will) with RETAIN set; resolves once stored. */
  retain(subject: string, qos: number, payload: Uint8Array): Promise<void>;
  /** Sends the retained messages matching the new subscriptions. */
  sendRetained(session: Session, subjects: readonly { subject: string; qos: number }[]): void;
  connClosed(conn: MqttConn): void;
  readonly store: import("./session_store.ts").SessionStore;
  flushPending(): void;
}

export class MqttConn implements ConnProtocol, SessionLink {
  session: Session | null = null;
  clientId = "";
  /** The authenticated user's name, "" before CONNECT or without authorization. */
  user = "";
  private readonly reader: PacketReader;
  private will: Will | null = null;
  /** Input held while CONNECT is being authenticated: nothing after it may run before CONNACK. */
  private held: Uint8Array[] | null = null;
  private sawConnect = false;
  private keepAliveMs = 0;
  private keepAliveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set when this connection lost its session to a newer one with the same client ID. */
  replaced = false;
  /** The last acknowledgement still waiting for store writes: later ones go after it, in order ([MQTT-4.6.0]). */
  private ackChain: Promise<void> | null = null;

  constructor(
    readonly link: Connection,
    private readonly host: MqttConnHost,
  ) {
    this.reader = new PacketReader(host.maxPacket);
  }

  get traceId(): string {
    return this.clientId === "" ? this.link.traceId : `${this.link.traceId} - ${JSON.stringify(this.clientId)}`;
  }

  send(packet: Uint8Array): void {
    this.link.outMsgs++;
    this.link.outBytes += packet.length;
    this.link.enqueue(packet);
  }

  onData(data: Uint8Array): void {
    if (!this.sawConnect && startsWithGet(data)) {
      this.host.log.error(`${this.traceId} - MQTT clients over websocket must connect to the Websocket port, not the MQTT port`);
      this.link.close(CloseReason.protocolViolation);
      return;
    }
    if (this.held !== null) {
      this.held.push(data.slice());
      return;
    }
    this.link.inBytes += data.length;
    try {
      for (const p of this.reader.push(data)) {
        this.handle(p);
        if (this.link.closed) return;
        if (this.holding()) break;
      }
      // CONNECT is waiting on authentication: the packets behind it wait too.
      if (this.holding()) this.hold(this.reader.drain());
    } catch (e) {
      this.protocolError(e);
    }
    this.host.flushPending();
  }

  private holding(): boolean {
    return this.held !== null;
  }

  private hold(data: Uint8Array): void {
    if (data.length > 0) this.held?.push(data);
  }

  onClose(): void {
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    const session = this.session;
    if (session !== null && !this.replaced) {
      const will = this.will;
      this.will = null;
      if (will !== null) this.publish(session, will.topic, will.qos, will.retain, will.message);
      session.detach();
    }
    this.host.connClosed(this);
  }

  /** A newer connection with the same client ID took the session: no Will, nats-server's takeover. */
  takenOver(): void {
    this.replaced = true;
    this.will = null;
    this.host.log.warn(`${this.traceId} - Replacing old client since both have the same client ID ${JSON.stringify(this.clientId)}`);
    this.link.closeAfterFlush(CloseReason.duplicateClientId);
  }

  private protocolError(e: unknown): void {
    if (!(e instanceof PacketError) && !(e instanceof TopicError)) throw e;
    this.host.log.error(`${this.traceId} - ${e.message}`);
    this.link.closeAfterFlush(CloseReason.protocolViolation);
  }

  private handle(p: Packet): void {
    this.link.inMsgs++;
    if (!this.sawConnect) {
      if (p.type !== PacketType.CONNECT) throw new PacketError(`the first packet should be a CONNECT (16), got ${p.type << 4}`);
      this.sawConnect = true;
      this.connect(p.body);
      return;
    }
    switch (p.type) {
      case PacketType.PUBLISH:
        return this.onPublish(p);
      case PacketType.PUBACK:
        this.session!.acked(decodePacketId(p.body, "puback"));
        return;
      case PacketType.PUBREC:
        this.session!.received(decodePacketId(p.body, "pubrec"));
        return;
      case PacketType.PUBREL:
        // [MQTT-3.6.1-1]
        if (p.flags !== 0x02) throw new PacketError("pubrel flags must be 0x2");
        return this.onPubrel(decodePacketId(p.body, "pubrel"));
      case PacketType.PUBCOMP:
        this.session!.completed(decodePacketId(p.body, "pubcomp"));
        return;
      case PacketType.SUBSCRIBE:
        return this.onSubscribe(p);
      case PacketType.UNSUBSCRIBE:
        return this.onUnsubscribe(p);
      case PacketType.PINGREQ:
        this.send(PINGRESP);
        return;
      case PacketType.DISCONNECT:
        // [MQTT-3.14.4-3]: a clean disconnect discards the Will.
        this.will = null;
        this.link.closeAfterFlush(CloseReason.clientClosed);
        return;
      case PacketType.CONNECT:
        throw new PacketError("second connect packet");
      default:
        throw new PacketError(`protocol ${p.type} not supported`);
    }
  }

  private connect(body: Uint8Array): void {
    let c: ConnectPacket;
    try {
      c = decodeConnect(body);
    } catch (e) {
      if (!(e instanceof ConnectRefusal)) throw e;
      this.refuse(e.rc, e.message);
      return;
    }
    this.clientId = c.clientId;
    // A Will whose topic cannot be published is refused now, not when the connection ends.
    if (c.will !== null) topicToSubject(c.will.topic, false);
    const verdict = this.host.authenticate(credentials(c));
    if (verdict instanceof Promise) {
      this.held = [];
      verdict.then((v) => this.connected(c, v), () => this.connected(c, { ok: false, reason: "authentication error" })).then(() => this.resume());
      return;
    }
    this.connected(c, verdict);
  }

  private resume(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const d of held) {
      if (this.link.closed) return;
      this.onData(d);
    }
    this.host.flushPending();
  }

  private connected(c: ConnectPacket, v: AuthVerdict): void {
    if (this.link.closed) return;
    if (!v.ok) {
      this.refuse(ConnackCode.NOT_AUTHORIZED, v.reason);
      return;
    }
    this.user = v.user?.name ?? c.username ?? "";
    const { session, present } = this.host.openSession(this, c);
    this.session = session;
    session.perms = v.user?.perms ?? null;
    session.checksDelivery = session.perms !== null;
    this.will = c.will;
    this.send(connack(present, ConnackCode.ACCEPTED));
    session.attach(this);
    this.armKeepAlive(c.keepAlive);
    this.host.log.debugf(`${this.traceId} - Client connected`);
  }

  private refuse(rc: number, reason: string): void {
    this.host.log.error(`${this.traceId} - ${reason}`);
    this.send(connack(false, rc));
    this.link.closeAfterFlush(rc === ConnackCode.NOT_AUTHORIZED ? CloseReason.authViolation : CloseReason.protocolViolation);
  }

  /** A connection that has not been accepted (CONNACK 0) within `ms` is closed, as nats-server's auth timeout. */
  armConnectTimeout(ms: number): void {
    this.keepAliveTimer = setTimeout(() => {
      this.keepAliveTimer = null;
      if (this.link.closed || this.session !== null) return;
      this.host.log.error(`${this.traceId} - Authentication Timeout`);
      this.link.close(CloseReason.authTimeout);
    }, ms);
  }

  /** nats-server's read deadline of 1.5 × keep-alive, moved on by every read. */
  private armKeepAlive(seconds: number): void {
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
    if (seconds === 0) return;
    this.keepAliveMs = seconds * 1500;
    const check = () => {
      if (this.link.closed) return;
      const idle = Date.now() - this.link.lastIn;
      if (idle >= this.keepAliveMs) {
        this.host.log.error(`${this.traceId} - keep alive timeout: no packet for ${this.keepAliveMs / 1000}s`);
        this.link.close(CloseReason.staleConnection);
        return;
      }
      this.keepAliveTimer = setTimeout(check, this.keepAliveMs - idle);
    };
    this.keepAliveTimer = setTimeout(check, this.keepAliveMs);
  }

  private onPublish(p: Packet): void {
    const pub = decodePublish(p.flags, p.body);
    const session = this.session!;
    if (pub.qos < 2) {
      const stored = this.host.writes.during(() => this.publish(session, pub.topic, pub.qos, pub.retain, pub.payload));
      if (pub.qos === 1) this.sendAfter(puback(pub.pid), stored);
      return;
    }
    if (this.host.rejectQos2Publish) throw new PacketError("publish QoS=2 not supported");
    const subject = publishSubject(pub.topic).subject;
    // A repeat of a PUBLISH not yet released is the same message ([MQTT-4.3.3-2]): only answered again.
    if (session.incoming.has(pub.pid)) {
      this.sendAfter(pubrec(pub.pid), null);
      return;
    }
    const payload = pub.payload.slice();
    const stored = session.persistent ? session.track(this.host.store.add(session.clientId, PendingKind.IN, { subject, qos: 2, pid: pub.pid, retain: pub.retain }, payload)) : null;
    session.incoming.set(pub.pid, { subject, payload, retain: pub.retain, stored });
    this.sendAfter(pubrec(pub.pid), stored === null ? null : stored.then(() => undefined));
  }

  /** PUBREL: the QoS 2 message kept at PUBLISH goes out now, once; PUBCOMP when that is stored. */
  private onPubrel(pid: number): void {
    const session = this.session!;
    const m = session.incoming.get(pid);
    if (m === undefined) {
      this.sendAfter(pubcomp(pid), null);
      return;
    }
    session.incoming.delete(pid);
    const routed = this.host.writes.during(() => this.publishSubject(session, { subject: m.subject, bytes: encoder.encode(m.subject) }, 2, m.retain, m.payload));
    const removed = m.stored === null ? null : m.stored.then((seq) => this.host.store.remove(seq));
    this.sendAfter(pubcomp(pid), removed === null ? routed : Promise.all([routed, removed]).then(() => undefined));
  }

  private publish(session: Session, topic: string, qos: number, retain: boolean, payload: Uint8Array): void {
    this.publishSubject(session, publishSubject(topic), qos, retain, payload);
  }

  private publishSubject(session: Session, ps: PublishSubject, qos: number, retain: boolean, payload: Uint8Array): void {
    const subject = ps.subject;
    if (session.perms !== null && !session.perms.canPublish(subject)) {
      this.host.log.error(`${this.traceId} - Publish Violation - Subject ${JSON.stringify(subject)}`);
      return;
    }
    if (retain) session.track(this.host.retain(subject, qos, payload));
    session.publish(subject, ps.bytes, qos, payload);
  }

  /**
   * Sends an acknowledgement once `wait` (store writes) is done and every earlier acknowledgement went; then
   * runs `after`. A failed write closes the connection unacknowledged: the client sends it again.
   */
  private sendAfter(packet: Uint8Array, wait: Promise<unknown> | null, after?: () => void): void {
    if (wait === null && this.ackChain === null) {
      this.send(packet);
      after?.();
      return;
    }
    const next = (this.ackChain ?? Promise.resolve())
      .then(() => wait)
      .then(
        () => {
          if (this.link.closed) return;
          this.send(packet);
          after?.();
          this.host.flushPending();
        },
        (e: Error) => {
          this.host.log.error(`${this.traceId} - storing MQTT state failed, closing unacknowledged: ${e.message}`);
          this.link.closeAfterFlush(CloseReason.serverShutdown);
          this.host.flushPending();
        },
      );
    this.ackChain = next;
    void next.then(() => {
      if (this.ackChain === next) this.ackChain = null;
    });
  }

  private onSubscribe(p: Packet): void {
    const s = decodeSubscribe(p.flags, p.body, true);
    const session = this.session!;
    const codes: number[] = [];
    const added: { subject: string; qos: number }[] = [];
    for (const f of s.filters) {
      const qos = this.host.downgradeQos2Subscribe ? Math.min(f.qos, 1) : f.qos;
      let subject: string;
      try {
        subject = topicToSubject(f.filter, true);
      } catch (e) {
        if (!(e instanceof TopicError)) throw e;
        this.host.log.error(`${this.traceId} - invalid filter ${JSON.stringify(f.filter)}: ${e.message}`);
        codes.push(SUBACK_FAILURE);
        continue;
      }
      const denied = subject.startsWith(RESERVED_FILTER_PREFIX) || (session.perms !== null && !session.perms.canSubscribe(subject, null));
      if (denied || !session.subscribe(subject, qos)) {
        codes.push(SUBACK_FAILURE);
        continue;
      }
      codes.push(qos);
      added.push({ subject, qos });
    }
    const saved = added.length > 0 ? session.save() : null;
    this.sendAfter(suback(s.pid, codes), saved, () => this.host.sendRetained(session, added));
  }

  private onUnsubscribe(p: Packet): void {
    const u = decodeSubscribe(p.flags, p.body, false);
    const session = this.session!;
    let changed = false;
    for (const f of u.filters) {
      try {
        if (session.unsubscribe(topicToSubject(f.filter, true))) changed = true;
      } catch (e) {
        if (!(e instanceof TopicError)) throw e;
      }
    }
    this.sendAfter(unsuback(u.pid), changed ? session.save() : null);
  }
}

/** An HTTP request where CONNECT should be: a WebSocket client on the plain MQTT port. */
function startsWithGet(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x47 && data[1] === 0x45 && data[2] === 0x54 && data[3] === 0x20;
}

/** MQTT's user name and password as NATS credentials. */
function credentials(c: ConnectPacket): ConnectOptions {
  const o: ConnectOptions = { verbose: false, pedantic: false, echo: true, headers: true, noResponders: false, protocol: 1 };
  if (c.username !== undefined) o.user = c.username;
  if (c.password !== undefined) o.pass = decoder.decode(c.password);
  return o;
}
