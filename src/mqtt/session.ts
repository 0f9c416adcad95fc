/**
 * An MQTT session (nats-server's mqttSession): the client ID's subscriptions on the router and its QoS 1
 * messages in flight. It outlives a connection when the client asked for a persistent session (clean
 * session 0): its subscriptions keep collecting QoS 1 messages while it is offline, and whatever is not
 * acknowledged is sent again, with DUP, to the next connection with that client ID.
 */
import type { ClientPermissions } from "../auth/permissions.ts";
import type { Connection } from "../connection/connection.ts";
import type { Publisher } from "../routing/endpoint.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Router } from "../routing/router.ts";
import { Subscription } from "../routing/subscription.ts";
import type { PubArg } from "../protocol/parser.ts";
import { publish, type PublishOut } from "./packet.ts";
import { parentLevelSubject, subjectToTopic } from "./topic.ts";

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

const encoder = new TextEncoder();
/** `Nmqtt-Pub:1`, how a QoS 1 publish is marked in its NATS header (as nats-server marks it). */
const QOS1_MARK = encoder.encode("Nmqtt-Pub:1");
const HEADERS = [encoder.encode("NATS/1.0\r\nNmqtt-Pub:0\r\n\r\n"), encoder.encode("NATS/1.0\r\nNmqtt-Pub:1\r\n\r\n")] as const;
const NO_QUEUES: number[] = [];
/** The largest packet identifier ([MQTT-2.3.1-1]: 1..65535). */
const MAX_PID = 0xffff;

function markedQos1(buf: Uint8Array, from: number, to: number): boolean {
  outer: for (let i = from; i + QOS1_MARK.length <= to; i++) {
    for (let j = 0; j < QOS1_MARK.length; j++) if (buf[i + j] !== QOS1_MARK[j]) continue outer;
    return true;
  }
  return false;
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
  /** QoS 1 messages sent and not yet acknowledged, by packet identifier, in the order they were sent. */
  private readonly inflight = new Map<number, PublishOut>();
  /** QoS 1 messages waiting for a free slot (max_ack_pending) or for the client to come back. */
  private readonly waiting: PublishOut[] = [];
  private nextPid = 1;
  private nextSid = 1;

  constructor(
    readonly clientId: string,
    public clean: boolean,
    private readonly router: Router,
    private readonly maxInflight: number,
  ) {}

  get cid(): number {
    return this.conn?.link.cid ?? 0;
  }

  get link(): Connection | null {
    return this.conn?.link ?? null;
  }

  get pendingCount(): number {
    return this.inflight.size + this.waiting.length;
  }

  /** Subscribes `subject` (a converted filter) at `qos`, replacing an earlier subscription of the same filter. */
  subscribe(subject: string, qos: number): boolean {
    this.unsubscribe(subject);
    const subjects = [subject];
    const parent = parentLevelSubject(subject);
    if (parent !== null) subjects.push(parent);
    const added: MqttSub[] = [];
    for (const s of subjects) {
      const sub = new MqttSub(this, s, String(this.nextSid++), qos);
      if (!this.router.addSub(sub)) {
        for (const a of added) this.router.removeSub(a);
        return false;
      }
      added.push(sub);
    }
    this.subs.set(subject, added);
    return true;
  }

  unsubscribe(subject: string): void {
    const subs = this.subs.get(subject);
    if (subs === undefined) return;
    this.subs.delete(subject);
    for (const s of subs) this.router.removeSub(s);
  }

  /** An MQTT PUBLISH on the router: NATS clients see it with the `Nmqtt-Pub` header nats-server adds. */
  publish(subject: string, qos: number, payload: Uint8Array): void {
    const hdr = HEADERS[qos > 0 ? 1 : 0];
    const subj = encoder.encode(subject);
    const size = hdr.length + payload.length;
    const buf = new Uint8Array(subj.length + size + 2);
    buf.set(subj, 0);
    const start = subj.length;
    buf.set(hdr, start);
    buf.set(payload, start + hdr.length);
    buf[start + size] = 13;
    buf[start + size + 1] = 10;
    const pa: PubArg = { buf, subjStart: 0, subjEnd: start, replyStart: start, replyEnd: start, hdr: hdr.length, size, accStart: 0, accEnd: 0, queues: NO_QUEUES };
    this.router.route(this, subject, pa, buf, start);
  }

  /** PUBACK: the message is delivered; a waiting one may take its slot. */
  acked(pid: number): void {
    if (!this.inflight.delete(pid)) return;
    this.sendWaiting();
  }

  /** A connection takes the session over: what is in flight goes again, marked as a duplicate. */
  attach(conn: SessionLink): void {
    this.conn = conn;
    for (const p of this.inflight.values()) {
      p.dup = true;
      conn.send(publish(p));
    }
    this.sendWaiting();
  }

  detach(): void {
    this.conn = null;
  }

  /** Drops the subscriptions and everything pending: the session is over. */
  end(): void {
    this.closed = true;
    for (const subs of this.subs.values()) for (const s of subs) this.router.removeSub(s);
    this.subs.clear();
    this.inflight.clear();
    this.waiting.length = 0;
  }

  /** A message to this client outside the router: a retained message right after SUBACK. */
  sendDirect(p: PublishOut): void {
    if (p.qos > 0) p.pid = this.takePid();
    this.conn?.send(publish(p));
  }

  // ---- Endpoint ---------------------------------------------------------------------------------------

  admitDelivery(subject: string): boolean {
    return this.perms === null || !this.perms.deniesDelivery(subject);
  }

  deliver(sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string): void {
    const hlen = pa.hdr > 0 ? pa.hdr : 0;
    const qos = (sub as MqttSub).qos > 0 && hlen > 0 && markedQos1(payload, 0, hlen) ? 1 : 0;
    if (qos === 0) {
      if (this.conn === null) return;
      this.conn.send(publish({ topic: subjectToTopic(subject), payload: payload.subarray(hlen, pa.size), qos, retain: false, dup: false, pid: 0 }));
      return;
    }
    const p: PublishOut = { topic: subjectToTopic(subject), payload: payload.slice(hlen, pa.size), qos, retain: false, dup: false, pid: 0 };
    if (this.conn !== null && this.inflight.size < this.maxInflight && this.waiting.length === 0) this.sendInflight(p);
    else this.waiting.push(p);
  }

  deliverNoResponders(): void {}

  removeSub(sub: Subscription): void {
    this.router.removeSub(sub);
  }

  private sendWaiting(): void {
    while (this.conn !== null && this.waiting.length > 0 && this.inflight.size < this.maxInflight) this.sendInflight(this.waiting.shift()!);
  }

  private sendInflight(p: PublishOut): void {
    p.pid = this.takePid();
    this.inflight.set(p.pid, p);
    this.conn!.send(publish(p));
  }

  /** The next packet identifier not in flight. */
  private takePid(): number {
    for (;;) {
      const pid = this.nextPid;
      this.nextPid = pid === MAX_PID ? 1 : pid + 1;
      if (!this.inflight.has(pid)) return pid;
    }
  }
}
