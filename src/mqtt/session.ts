/**
 * An MQTT session (nats-server's mqttSession): the client ID's subscriptions on the router and its QoS 1 and
 * QoS 2 exchanges in flight, both directions. It outlives a connection when the client asked for a
 * persistent session (clean session 0): its subscriptions keep collecting QoS 1/2 messages while it is
 * offline, whatever is not acknowledged is sent again, with DUP, to the next connection with that client ID,
 * and all of it is kept in the SessionStore so that it survives a restart.
 *
 * Outgoing QoS 1: PUBLISH → PUBACK. Outgoing QoS 2: PUBLISH → PUBREC, PUBREL → PUBCOMP; the message is
 * forgotten at PUBREC, only the packet identifier is kept until PUBCOMP. A PUBLISH or PUBREL not answered
 * within ack_wait is sent again while connected, as nats-server's JetStream consumers redeliver.
 * Incoming QoS 2: kept at PUBLISH (answered PUBREC; a repeat of the same packet identifier is not kept
 * twice), published at PUBREL (answered PUBCOMP): exactly once, as nats-server 2.10 does.
 */
import type { ClientPermissions } from "../auth/permissions.ts";
import type { Connection } from "../connection/connection.ts";
import type { Publisher } from "../routing/endpoint.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Router } from "../routing/router.ts";
import { Subscription } from "../routing/subscription.ts";
import type { PubArg } from "../protocol/parser.ts";
import { publish, pubrel } from "./packet.ts";
import { PendingKind, type SessionStore, type StoredPending } from "./session_store.ts";
import { parentLevelSubject } from "./topic.ts";
import { topicBytes } from "./topic_cache.ts";
import type { Writes } from "./writes.ts";

/** A subscription of one MQTT filter, with the QoS it was granted. */
class MqttSub extends Subscription {
  constructor(
    client: Session,
    subject: string,
    sid: string,
    readonly qos: number,
  ) {
    super(client, subject, null, sid);
  }
}

/** Where a session's packets go while a connection has it. */
export interface SessionLink {
  readonly link: Connection;
  send(packet: Uint8Array): void;
}

/** What sessions share: the router, the store of persistent ones, the delivery limits. */
export interface SessionContext {
  readonly router: Router;
  readonly store: SessionStore;
  readonly writes: Writes;
  /** max_ack_pending: QoS 1/2 messages in flight per session. */
  readonly maxInflight: number;
  /** ack_wait in milliseconds. */
  readonly ackWaitMs: number;
  readonly log: import("../log/logger.ts").Logger;
  /** Sends what timers queued (outside a read cycle nothing else would). */
  flush(): void;
}

/** A QoS 1 or 2 message for the client, from delivery to its last acknowledgement. */
interface Outgoing {
  subject: string;
  payload: Uint8Array;
  qos: number;
  /** 0 until sent. */
  pid: number;
  dup: boolean;
  /** QoS 2: PUBREC came, PUBREL went; the message itself is done. */
  released: boolean;
  sentAt: number;
  /** The pending record's sequence (the PUBREL's once released), for persistent sessions. */
  stored: Promise<number> | null;
}

/** A QoS 2 message from the client between PUBLISH and PUBREL. */
export interface Incoming {
  subject: string;
  payload: Uint8Array;
  retain: boolean;
  stored: Promise<number> | null;
}

const encoder = new TextEncoder();
/** How an MQTT publish is marked in its NATS header (as nats-server marks it): `Nmqtt-Pub:<qos>`. */
const QOS_MARK = encoder.encode("Nmqtt-Pub:");
const HEADERS = [0, 1, 2].map((q) => encoder.encode(`NATS/1.0\r\nNmqtt-Pub:${q}\r\n\r\n`));
const NO_QUEUES: number[] = [];
/** The largest packet identifier ([MQTT-2.3.1-1]: 1..65535). */
const MAX_PID = 0xffff;
const DIGIT_0 = 0x30;

/** The QoS an MQTT publisher gave a message, from its `Nmqtt-Pub` header; 0 for a NATS publish. */
function markedQos(buf: Uint8Array, to: number): number {
  outer: for (let i = 0; i + QOS_MARK.length < to; i++) {
    for (let j = 0; j < QOS_MARK.length; j++) if (buf[i + j] !== QOS_MARK[j]) continue outer;
    const q = buf[i + QOS_MARK.length]! - DIGIT_0;
    return q === 1 || q === 2 ? q : 0;
  }
  return 0;
}

export class Session implements Publisher {
  readonly matchCache = new MatchCache();
  readonly opts = { echo: true, noResponders: false };
  checksDelivery = false;
  closed = false;
  /** The live connection, or null while a persistent session is offline. */
  conn: SessionLink | null = null;
  perms: ClientPermissions | null = null;
  /** NATS filter → its subscriptions (two for `…/#`). */
  private readonly subs = new Map<string, MqttSub[]>();
  /** Sent and not yet acknowledged, by packet identifier, in the order they were sent. */
  private readonly inflight = new Map<number, Outgoing>();
  /** Waiting for a free slot (max_ack_pending) or for the client to come back. */
  private readonly waiting: Outgoing[] = [];
  /** QoS 2 messages from the client waiting for their PUBREL. */
  readonly incoming = new Map<number, Incoming>();
  private nextPid = 1;
  private nextSid = 1;
  private redeliverTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly clientId: string,
    readonly clean: boolean,
    private readonly ctx: SessionContext,
  ) {}

  get cid(): number {
    return this.conn?.link.cid ?? 0;
  }

  get link(): Connection | null {
    return this.conn?.link ?? null;
  }

  /** NATS subscriptions, two for a filter ending in `/#` (as nats-server counts them). */
  get subscriptionCount(): number {
    let n = 0;
    for (const s of this.subs.values()) n += s.length;
    return n;
  }

  get pendingCount(): number {
    return this.inflight.size + this.waiting.length;
  }

  /** Whether it is kept in the store. */
  get persistent(): boolean {
    return !this.clean;
  }

  /** Puts back what the store had for this session at start: subscriptions, messages, PUBRELs, incoming QoS 2. */
  restore(subs: Record<string, number>, pending: readonly StoredPending[]): void {
    for (const [subject, qos] of Object.entries(subs)) this.addSubs(subject, qos);
    for (const p of pending) {
      const stored = Promise.resolve(p.seq);
      if (p.kind === PendingKind.OUT) {
        this.waiting.push({ subject: p.subject, payload: p.payload, qos: p.qos, pid: 0, dup: true, released: false, sentAt: 0, stored });
      } else if (p.kind === PendingKind.REL) {
        this.inflight.set(p.pid, { subject: "", payload: p.payload, qos: 2, pid: p.pid, dup: false, released: true, sentAt: 0, stored });
      } else {
        this.incoming.set(p.pid, { subject: p.subject, payload: p.payload, retain: p.retain, stored });
      }
    }
  }

  /** Subscribes `subject` (a converted filter) at `qos`, replacing an earlier subscription of the same filter. */
  subscribe(subject: string, qos: number): boolean {
    this.dropSubs(subject);
    return this.addSubs(subject, qos);
  }

  unsubscribe(subject: string): boolean {
    return this.dropSubs(subject);
  }

  /** Writes the session's record (persistent sessions only); resolves once it is stored. */
  save(): Promise<void> | null {
    if (!this.persistent) return null;
    const subs: Record<string, number> = {};
    for (const [subject, s] of this.subs) subs[subject] = s[0]!.qos;
    return this.ctx.store.save(this.clientId, subs);
  }

  private addSubs(subject: string, qos: number): boolean {
    const subjects = [subject];
    const parent = parentLevelSubject(subject);
    if (parent !== null) subjects.push(parent);
    const added: MqttSub[] = [];
    for (const s of subjects) {
      const sub = new MqttSub(this, s, String(this.nextSid++), qos);
      if (!this.ctx.router.addSub(sub)) {
        for (const a of added) this.ctx.router.removeSub(a);
        return false;
      }
      added.push(sub);
    }
    this.subs.set(subject, added);
    return true;
  }

  private dropSubs(subject: string): boolean {
    const subs = this.subs.get(subject);
    if (subs === undefined) return false;
    this.subs.delete(subject);
    for (const s of subs) this.ctx.router.removeSub(s);
    return true;
  }

  /**
   * An MQTT PUBLISH on the router: NATS clients see it with the `Nmqtt-Pub` header nats-server adds.
   * `subj` is the subject's bytes; the message buffer holds only header, payload and CRLF.
   */
  publish(subject: string, subj: Uint8Array, qos: number, payload: Uint8Array): void {
    const hdr = HEADERS[qos]!;
    const size = hdr.length + payload.length;
    const buf = new Uint8Array(size + 2);
    buf.set(hdr, 0);
    buf.set(payload, hdr.length);
    buf[size] = 13;
    buf[size + 1] = 10;
    const end = subj.length;
    const pa: PubArg = { buf: subj, subjStart: 0, subjEnd: end, replyStart: end, replyEnd: end, hdr: hdr.length, size, accStart: 0, accEnd: 0, queues: NO_QUEUES };
    this.ctx.router.route(this, subject, pa, buf, 0);
  }

  // ---- acknowledgements from the client -----------------------------------------------------------------

  /** PUBACK: a QoS 1 message is delivered; a waiting one may take its slot. */
  acked(pid: number): void {
    const o = this.inflight.get(pid);
    if (o === undefined || o.qos !== 1) return;
    this.finish(o);
  }

  /** PUBREC: the client has the QoS 2 message; answer PUBREL and keep only that until PUBCOMP. */
  received(pid: number): void {
    const o = this.inflight.get(pid);
    if (o !== undefined && o.qos === 2 && !o.released) {
      o.released = true;
      o.payload = new Uint8Array(0);
      o.sentAt = Date.now();
      if (o.stored !== null) {
        const old = o.stored;
        o.stored = this.track(this.ctx.store.add(this.clientId, PendingKind.REL, { subject: "", qos: 2, pid, retain: false }, o.payload));
        void old.then((seq) => this.forget(seq));
      }
    }
    // [MQTT-4.3.3-1]: PUBREL also for an identifier we no longer know, so the client can finish.
    this.conn?.send(pubrel(pid));
  }

  /** PUBCOMP: the QoS 2 exchange is over. */
  completed(pid: number): void {
    const o = this.inflight.get(pid);
    if (o === undefined || !o.released) return;
    this.finish(o);
  }

  private finish(o: Outgoing): void {
    this.inflight.delete(o.pid);
    if (o.stored !== null) void o.stored.then((seq) => this.forget(seq));
    this.sendWaiting();
  }

  // ---- connections ----------------------------------------------------------------------------------------

  /** A connection takes the session over: what is in flight goes again, a PUBLISH marked as a duplicate. */
  attach(conn: SessionLink): void {
    this.conn = conn;
    const now = Date.now();
    for (const o of this.inflight.values()) {
      o.sentAt = now;
      if (o.released) {
        conn.send(pubrel(o.pid));
        continue;
      }
      o.dup = true;
      conn.send(this.encode(o));
    }
    this.sendWaiting();
    this.armRedelivery();
  }

  detach(): void {
    this.conn = null;
    this.disarmRedelivery();
  }

  /** Drops the subscriptions and everything pending in memory: the session is over (or the server stops). */
  end(): void {
    this.closed = true;
    this.disarmRedelivery();
    for (const subs of this.subs.values()) for (const s of subs) this.ctx.router.removeSub(s);
    this.subs.clear();
    this.inflight.clear();
    this.waiting.length = 0;
    this.incoming.clear();
  }

  /** A message to this client outside the router: a retained message right after SUBACK, its pid not tracked. */
  sendDirect(topic: Uint8Array, payload: Uint8Array, qos: number): void {
    const pid = qos > 0 ? this.takePid() : 0;
    this.conn?.send(publish({ topic, payload, qos, retain: true, dup: false, pid }));
  }

  /** A store write that a PUBACK, PUBREC or SUBACK must wait for. */
  track<T>(p: Promise<T>): Promise<T> {
    this.ctx.writes.add(p);
    return p;
  }

  private forget(seq: number): void {
    this.ctx.store.remove(seq).catch((e) => this.ctx.log.error(`mqtt: session ${JSON.stringify(this.clientId)}: removing pending record ${seq} failed: ${(e as Error).message}`));
  }

  // ---- Endpoint ---------------------------------------------------------------------------------------

  admitDelivery(subject: string): boolean {
    return this.perms === null || !this.perms.deniesDelivery(subject);
  }

  deliver(sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string): void {
    const hlen = pa.hdr > 0 ? pa.hdr : 0;
    const granted = (sub as MqttSub).qos;
    const qos = granted > 0 && hlen > 0 ? Math.min(granted, markedQos(payload, hlen)) : 0;
    if (qos === 0) {
      if (this.conn === null) return;
      this.conn.send(publish({ topic: topicBytes(subject), payload, start: hlen, end: pa.size, qos, retain: false, dup: false, pid: 0 }));
      return;
    }
    const body = payload.slice(hlen, pa.size);
    const stored = this.persistent ? this.track(this.ctx.store.add(this.clientId, PendingKind.OUT, { subject, qos, pid: 0, retain: false }, body)) : null;
    const o: Outgoing = { subject, payload: body, qos, pid: 0, dup: false, released: false, sentAt: 0, stored };
    if (this.conn !== null && this.inflight.size < this.ctx.maxInflight && this.waiting.length === 0) this.sendInflight(o);
    else this.waiting.push(o);
  }

  deliverNoResponders(): void {}

  removeSub(sub: Subscription): void {
    this.ctx.router.removeSub(sub);
  }

  // ---- sending ----------------------------------------------------------------------------------------------

  private sendWaiting(): void {
    while (this.conn !== null && this.waiting.length > 0 && this.inflight.size < this.ctx.maxInflight) this.sendInflight(this.waiting.shift()!);
  }

  private sendInflight(o: Outgoing): void {
    o.pid = this.takePid();
    o.sentAt = Date.now();
    this.inflight.set(o.pid, o);
    this.conn!.send(this.encode(o));
    if (this.redeliverTimer === null) this.armRedelivery();
  }

  private encode(o: Outgoing): Uint8Array {
    return publish({ topic: topicBytes(o.subject), payload: o.payload, qos: o.qos, retain: false, dup: o.dup, pid: o.pid });
  }

  /** The next packet identifier not in flight. */
  private takePid(): number {
    for (;;) {
      const pid = this.nextPid;
      this.nextPid = pid === MAX_PID ? 1 : pid + 1;
      if (!this.inflight.has(pid)) return pid;
    }
  }

  /** ack_wait: a PUBLISH or PUBREL unanswered that long is sent again, the PUBLISH with DUP. */
  private armRedelivery(): void {
    this.disarmRedelivery();
    if (this.conn === null || this.inflight.size === 0) return;
    let oldest = Infinity;
    for (const o of this.inflight.values()) oldest = Math.min(oldest, o.sentAt);
    const wait = Math.max(0, oldest + this.ctx.ackWaitMs - Date.now());
    this.redeliverTimer = setTimeout(() => {
      this.redeliverTimer = null;
      this.redeliver();
      this.armRedelivery();
    }, wait);
  }

  private disarmRedelivery(): void {
    if (this.redeliverTimer !== null) clearTimeout(this.redeliverTimer);
    this.redeliverTimer = null;
  }

  private redeliver(): void {
    const conn = this.conn;
    if (conn === null) return;
    const due = Date.now() - this.ctx.ackWaitMs;
    for (const o of this.inflight.values()) {
      if (o.sentAt > due) continue;
      o.sentAt = Date.now();
      if (o.released) {
        conn.send(pubrel(o.pid));
        continue;
      }
      o.dup = true;
      conn.send(this.encode(o));
    }
    this.ctx.flush();
  }
}
