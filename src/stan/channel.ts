/**
 * One STAN channel: its message log on a StreamStore, its subscriptions and queue groups, and delivery with
 * max in flight, ack wait and redelivery. Every subscription and queue group is kept as the store's consumer
 * metadata (nats-streaming-server's subs.dat), sealed with the channel: after a restart durables resume, and
 * a client that outlived the restart keeps all its subscriptions.
 */
import type { Logger } from "../log/logger.ts";
import type { StoreAck, StoredMsg, StreamStore } from "../store/store.ts";
import { WireWriter } from "./wire.ts";
import { startLastSent } from "./start_position.ts";
import { type Pending, QueueGroup, Sub, type SubOwner, type SubRecord } from "./sub.ts";
import { wallClockMs } from "../log/clock.ts";

export interface ChannelHost {
  readonly log: Logger;
  /** Publishes a protobuf to a client's subject; `data` is copied before it returns (Channel reuses its buffer). */
  send(subject: string, data: Uint8Array): void;
  nextSubId(): number;
  /** Tells the host about ids found on disk so new ones never collide with them. */
  sawSubId(id: number): void;
  /** A fresh ack inbox for a subscription. */
  ackInbox(sub: number): string;
  /** An active durable was replaced by its twin (replace_durable): its client no longer has it. */
  replaced(sub: Sub): void;
  /** A message went out to a subscription (redeliveries too), for /streaming/serverz's out_msgs and out_bytes. */
  delivered(bytes: number): void;
}

/** Acks are written at most this often per channel (ms): after kill -9 the acks of the last interval come back as redeliveries. */
const PERSIST_DELAY_MS = 100;
/** A member leaving a queue group hands its unacked messages to the others, redelivered this soon (nats-streaming-server's). */
const REDISTRIBUTE_DELAY_MS = 100;
/** A channel logs a message it cannot read at most this often (ms); the lines between are counted, not lost. */
const LOOKUP_ERROR_EVERY_MS = 5_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface SubscribeArgs {
  readonly owner: SubOwner;
  readonly clientID: string;
  readonly inbox: string;
  readonly qGroup: string;
  readonly durable: string;
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly startPosition: number;
  readonly startSequence: bigint;
  readonly startTimeDeltaNs: bigint;
  /** replace_durable: an active twin is closed instead of refusing this one. */
  readonly replaceDurable: boolean;
}

export class Channel {
  /** Active subscriptions and queue members, by ack inbox. */
  readonly byAckInbox = new Map<string, Sub>();
  /** Durable subscriptions, active or offline, by client ID and durable name. */
  readonly durables = new Map<string, Sub>();
  readonly groups = new Map<string, QueueGroup>();
  /** The newest sequence that is durable: nothing after it is delivered. */
  #durableSeq: number;
  #lastTs: number;
  readonly #dirty = new Set<Sub | QueueGroup>();
  /** Records of plain subscriptions and queue members, waiting for `recover` to find their clients. */
  #recovered: SubRecord[] = [];
  #persistTimer: ReturnType<typeof setTimeout> | null = null;
  #lookupErrorAt = 0;
  #lookupErrorsHeld = 0;
  #deliveryQueued = false;
  /** MsgProtos, one per delivery, encoded into one reused buffer (`ChannelHost.send` copies them out at once). */
  readonly #wire = new WireWriter();

  constructor(readonly name: string, readonly store: StreamStore, private readonly host: ChannelHost) {
    this.#durableSeq = store.lastSeq();
    this.#lastTs = store.state().last_ts;
    for (const name of store.consumerNames()) this.#restore(name);
  }

  /** No subscription at all, offline durables and durable queue groups included (max_inactivity's test). */
  idle(): boolean {
    return this.subCount() === 0 && this.groups.size === 0;
  }

  /** Subscriptions counted against max_subs: active ones and offline durables (nats-streaming-server's). */
  subCount(): number {
    let offline = 0;
    for (const d of this.durables.values()) if (d.owner === null) offline++;
    return this.byAckInbox.size + offline;
  }

  // ---------------------------------------------------------------- monitoring

  /** /streaming/channelsz's counts: stored messages and bytes, first and last sequence (0 and 0 when empty). */
  state(): { msgs: number; bytes: number; first_seq: number; last_seq: number } {
    const st = this.store.state();
    return { msgs: st.msgs, bytes: st.bytes, first_seq: st.msgs === 0 ? 0 : st.first_seq, last_seq: st.msgs === 0 ? 0 : st.last_seq };
  }

  /**
   * Every subscription as /streaming/channelsz?subs=1 lists it: the active ones and queue members, offline
   * durables, and durable queue groups without a member (nats-streaming-server's getMonitorChannelSubs).
   */
  subscriptions(): SubView[] {
    const out = [...this.byAckInbox.values()].map(subView);
    for (const d of this.durables.values()) if (d.owner === null) out.push(subView(d));
    for (const g of this.groups.values()) {
      if (g.members.length > 0 || g.durable === "") continue;
      out.push({
        client_id: "",
        inbox: "",
        ack_inbox: "",
        durable_name: g.durable,
        queue_name: g.key,
        is_durable: true,
        is_offline: true,
        max_inflight: 0,
        ack_wait: 0,
        last_sent: g.lastSent,
        pending_count: g.shadowPending.size,
        is_stalled: false,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- publish

  /**
   * Stores a message with the PubMsg's reply (nats-streaming-server keeps it and hands it to subscribers in
   * MsgProto.reply); resolves once it is durable. Subscriptions are pumped once per group commit, not once
   * per message: the first append of a commit to land schedules the one delivery pass.
   */
  publish(data: Uint8Array, reply: string): Promise<void> {
    // Timestamps never go backwards within a channel, whatever the clock does.
    const ts = Math.max(wallClockMs(), this.#lastTs);
    this.#lastTs = ts;
    // STAN messages have no headers: the store's header slot, sealed like the payload, carries the reply.
    return this.store.append(this.name, reply === "" ? null : encoder.encode(reply), data, ts).then(this.#landed);
  }

  readonly #landed = (ack: StoreAck): void => {
    if (ack.seq > this.#durableSeq) this.#durableSeq = ack.seq;
    if (this.#deliveryQueued) return;
    this.#deliveryQueued = true;
    queueMicrotask(this.#deliverQueued);
  };

  readonly #deliverQueued = (): void => {
    this.#deliveryQueued = false;
    this.deliverAll();
  };

  // ---------------------------------------------------------------- subscriptions

  /** Adds or resumes a subscription; returns an error text (nats-streaming-server's) or the subscription. */
  async subscribe(a: SubscribeArgs): Promise<Sub | string> {
    if (a.qGroup !== "") return this.#joinGroup(a);
    let sub: Sub;
    if (a.durable !== "") {
      const key = durableKey(a.clientID, a.durable);
      const existing = this.durables.get(key);
      if (existing !== undefined && existing.owner !== null) {
        if (!a.replaceDurable) return "stan: duplicate durable registration";
        this.#detach(existing);
        this.host.replaced(existing);
        existing.owner = null;
      }
      if (existing !== undefined) {
        // A resumed durable keeps its position; the request's start position is ignored, as in nats-streaming-server.
        sub = existing;
        sub.owner = a.owner;
        sub.inbox = a.inbox;
        sub.maxInFlight = a.maxInFlight;
        sub.ackWaitMs = a.ackWaitMs;
        sub.ackInbox = this.host.ackInbox(sub.id);
        const now = Date.now();
        for (const p of sub.pending.values()) p.deadline = now;
      } else {
        sub = this.#newSub(a, null);
        sub.lastSent = this.#startAt(a);
        this.durables.set(key, sub);
      }
    } else {
      sub = this.#newSub(a, null);
      sub.lastSent = this.#startAt(a);
    }
    await this.#write(sub);
    this.byAckInbox.set(sub.ackInbox, sub);
    return sub;
  }

  async #joinGroup(a: SubscribeArgs): Promise<Sub | string> {
    if (a.durable.includes(":")) return "stan: durable name of a durable queue subscriber can't contain the character ':'";
    const key = a.durable === "" ? a.qGroup : `${a.durable}:${a.qGroup}`;
    let group = this.groups.get(key);
    const fresh = group === undefined;
    if (group === undefined) {
      group = new QueueGroup(this.host.nextSubId(), a.qGroup, a.durable);
      this.groups.set(key, group);
    }
    const sub = this.#newSub(a, group);
    // A member joining an existing group takes the group's position, not its own start position.
    if (fresh) group.lastSent = this.#startAt(a);
    const now = Date.now();
    for (const [seq, p] of group.shadowPending) sub.pending.set(seq, { deadline: now, count: p.count });
    group.shadowPending.clear();
    group.members.push(sub);
    await this.#write(group);
    await this.#write(sub);
    this.byAckInbox.set(sub.ackInbox, sub);
    return sub;
  }

  #newSub(a: SubscribeArgs, group: QueueGroup | null): Sub {
    const id = this.host.nextSubId();
    return new Sub(id, a.clientID, a.owner, a.inbox, this.host.ackInbox(id), a.maxInFlight, a.ackWaitMs, a.durable, group);
  }

  #startAt(a: SubscribeArgs): number {
    return startLastSent(this.store, this.#durableSeq, a.startPosition, a.startSequence, a.startTimeDeltaNs);
  }

  /**
   * Gives recovered subscriptions back to the recovered clients they belong to, on the inboxes they had (the
   * client kept them across the restart), and drops those whose client is gone: durables go offline, a
   * queue member's unacknowledged messages go to its group. Returns the subscriptions now active.
   */
  async recover(clientOf: (id: string) => SubOwner | undefined): Promise<Sub[]> {
    const active: Sub[] = [];
    for (const sub of this.durables.values()) {
      if (sub.ackInbox === "") continue;
      const owner = clientOf(sub.clientID);
      if (owner === undefined) {
        sub.ackInbox = "";
        this.#markDirty(sub);
        continue;
      }
      sub.owner = owner;
      this.byAckInbox.set(sub.ackInbox, sub);
      active.push(sub);
    }
    const groups = new Map([...this.groups.values()].map((g) => [g.id, g]));
    for (const rec of this.#recovered) {
      const owner = clientOf(rec.clientID);
      const group = rec.group !== 0 ? groups.get(rec.group) : null;
      if (owner === undefined || group === undefined) {
        for (const seq of rec.pending) group?.shadowPending.set(seq, { deadline: 0, count: 0 });
        if (group) this.#markDirty(group);
        await this.store.deleteConsumerMeta(recordName(rec.id));
        continue;
      }
      const sub = new Sub(rec.id, rec.clientID, owner, rec.inbox, rec.ackInbox, rec.maxInFlight, rec.ackWaitMs, rec.durable, group);
      sub.lastSent = rec.lastSent;
      for (const seq of rec.pending) sub.pending.set(seq, { deadline: 0, count: 0 });
      if (group !== null) {
        for (const [seq, p] of group.shadowPending) sub.pending.set(seq, p);
        group.shadowPending.clear();
        group.members.push(sub);
      }
      this.byAckInbox.set(sub.ackInbox, sub);
      active.push(sub);
    }
    this.#recovered = [];
    for (const g of [...this.groups.values()]) {
      if (g.members.length > 0 || g.durable !== "") continue;
      this.groups.delete(g.key);
      this.#dirty.delete(g);
      await this.store.deleteConsumerMeta(recordName(g.id));
    }
    return active;
  }

  /** `sub.unsubscribe()`: the subscription is gone, durable or not. */
  async unsubscribe(sub: Sub): Promise<void> {
    this.#detach(sub);
    const group = sub.group;
    this.#dirty.delete(sub);
    await this.store.deleteConsumerMeta(recordName(sub.id));
    if (group !== null) {
      this.#leaveGroup(sub, group);
      if (group.members.length === 0) {
        this.groups.delete(group.key);
        this.#dirty.delete(group);
        await this.store.deleteConsumerMeta(recordName(group.id));
      }
      return;
    }
    if (sub.durable !== "") this.durables.delete(durableKey(sub.clientID, sub.durable));
  }

  /** `sub.close()` or the client's close: durables stay, offline, and resume where they were. */
  async close(sub: Sub): Promise<void> {
    const group = sub.group;
    if (group !== null && group.durable !== "" && group.members.length === 1) {
      this.#detach(sub);
      group.members.length = 0;
      for (const [seq, p] of sub.pending) group.shadowPending.set(seq, p);
      sub.pending.clear();
      this.#dirty.delete(sub);
      await this.store.deleteConsumerMeta(recordName(sub.id));
      await this.#write(group);
      return;
    }
    if (group === null && sub.durable !== "") {
      this.#detach(sub);
      sub.owner = null;
      sub.ackInbox = "";
      await this.#write(sub);
      return;
    }
    await this.unsubscribe(sub);
  }

  #detach(sub: Sub): void {
    this.byAckInbox.delete(sub.ackInbox);
    sub.clearTimer();
  }

  /** Hands a leaving member's unacknowledged messages to the others, flagged redelivered soon after. */
  #leaveGroup(sub: Sub, group: QueueGroup): void {
    const i = group.members.indexOf(sub);
    if (i >= 0) group.members.splice(i, 1);
    if (group.members.length === 0 || sub.pending.size === 0) return;
    const due = Date.now();
    let k = 0;
    for (const [seq, p] of sub.pending) {
      const to = group.members[k++ % group.members.length]!;
      to.pending.set(seq, { deadline: due, count: p.count });
    }
    sub.pending.clear();
    for (const m of group.members) {
      this.#arm(m, REDISTRIBUTE_DELAY_MS);
      this.#markDirty(m);
    }
  }

  // ---------------------------------------------------------------- delivery

  deliverAll(): void {
    for (const sub of this.byAckInbox.values()) if (sub.group === null) this.#pump(sub);
    for (const group of this.groups.values()) this.#pumpGroup(group);
  }

  /** Starts delivering to a subscription once its SubscriptionResponse is out: redeliveries first. */
  start(sub: Sub): void {
    if (sub.pending.size > 0) this.#redeliver(sub);
    if (sub.group === null) this.#pump(sub);
    else this.#pumpGroup(sub.group);
  }

  #next(after: number): StoredMsg | null {
    if (after >= this.#durableSeq) return null;
    const m = this.store.loadNext(">", after + 1);
    // A gap inside the log is a block that failed its check (limits only ever drop the oldest messages).
    if (after + 1 >= this.store.firstSeq() && (m === null || m.seq > after + 1)) this.#lookupFailed(after + 1);
    return m === null || m.seq > this.#durableSeq ? null : m;
  }

  /**
   * A message that is in the log but cannot be read (a damaged block, one sealed under another key): logged as
   * nats-streaming-server logs a failed lookup, at most once per LOOKUP_ERROR_EVERY_MS, and skipped. Nothing is
   * rewritten: the block stays on disk as it is.
   */
  #lookupFailed(seq: number): void {
    const lost = this.store.state().lost.find((r) => r.first <= seq && seq <= r.last);
    if (lost === undefined) return;
    const now = Date.now();
    if (now - this.#lookupErrorAt < LOOKUP_ERROR_EVERY_MS) {
      this.#lookupErrorsHeld++;
      return;
    }
    const held = this.#lookupErrorsHeld > 0 ? ` (and ${this.#lookupErrorsHeld} more lookup errors on this channel since the last report)` : "";
    this.#lookupErrorAt = now;
    this.#lookupErrorsHeld = 0;
    // The store's reason is "segment N at offset M: <cause>": the cause goes in the parentheses, as nats-streaming-server's.
    const at = /^(segment \d+ at offset \d+): (.*)$/s.exec(lost.reason);
    const why = at === null ? `(${lost.reason})` : `(${at[2]}) in ${at[1]}`;
    this.host.log.error(`STREAM: Error looking up message ${this.name}:${seq} ${why}${held}`);
  }

  #pump(sub: Sub): void {
    while (!sub.stalled) {
      const m = this.#next(sub.lastSent);
      if (m === null) {
        // Nothing stored up to the durable end: skip the gap (messages dropped by limits) in one go.
        if (sub.lastSent < this.#durableSeq) sub.lastSent = this.#durableSeq;
        break;
      }
      sub.lastSent = m.seq;
      this.#send(sub, m, false, 0);
      this.#markDirty(sub);
    }
  }

  #pumpGroup(group: QueueGroup): void {
    while (group.members.length > 0) {
      const m = this.#next(group.lastSent);
      if (m === null) {
        if (group.lastSent < this.#durableSeq) group.lastSent = this.#durableSeq;
        break;
      }
      const member = group.pick();
      if (member === null) break;
      group.lastSent = m.seq;
      this.#send(member, m, false, 0);
      this.#markDirty(group);
      this.#markDirty(member);
    }
  }

  #send(sub: Sub, m: StoredMsg, redelivered: boolean, count: number): void {
    const now = Date.now();
    sub.pending.set(m.seq, { deadline: now + sub.ackWaitMs, count });
    this.host.delivered(m.payload.length);
    const reply = m.hdr.length === 0 ? "" : decoder.decode(m.hdr);
    this.host.send(sub.inbox, this.#wire.msgProto(m.seq, this.name, reply, m.payload, Math.round(m.ts * 1e6), redelivered, count));
    this.#arm(sub, sub.ackWaitMs);
  }

  /** Makes sure the subscription's ack timer fires within `inMs`. */
  #arm(sub: Sub, inMs: number): void {
    const at = Date.now() + inMs;
    if (sub.timer !== null && sub.timerAt <= at) return;
    sub.clearTimer();
    sub.timerAt = at;
    sub.timer = setTimeout(() => {
      sub.timer = null;
      this.#redeliver(sub);
    }, Math.max(inMs, 0));
  }

  /** Resends every message whose ack wait has passed, past max in flight, and re-arms for the next. */
  #redeliver(sub: Sub): void {
    if (sub.owner === null) return;
    if (sub.group === null && sub.owner.hbFails > 0) {
      // Resending to a client that does not answer its heartbeats only piles up; try again an ack wait later.
      this.#arm(sub, sub.ackWaitMs);
      return;
    }
    const now = Date.now();
    let next = Infinity;
    const due: [number, Pending][] = [];
    for (const [seq, p] of sub.pending) {
      if (p.deadline <= now) due.push([seq, p]);
      else next = Math.min(next, p.deadline);
    }
    due.sort((a, b) => a[0] - b[0]);
    for (const [seq, p] of due) {
      const m = this.store.load(seq);
      if (m === null) {
        // Dropped by the channel's limits (or unreadable): nothing left to redeliver, so it counts as acknowledged.
        if (seq >= this.store.firstSeq()) this.#lookupFailed(seq);
        sub.pending.delete(seq);
        continue;
      }
      const to = this.#redeliveryTarget(sub);
      if (to !== sub) {
        // The member that let the ack wait pass is relieved of it; another gets the message.
        sub.pending.delete(seq);
        this.#send(to, m, true, p.count + 1);
        continue;
      }
      this.#send(sub, m, true, p.count + 1);
      next = Math.min(next, now + sub.ackWaitMs);
    }
    if (next !== Infinity) this.#arm(sub, next - now);
  }

  /** A queue member's overdue message goes to another member, the least busy (nats-streaming-server's). */
  #redeliveryTarget(sub: Sub): Sub {
    const group = sub.group;
    if (group === null || group.members.length < 2) return sub;
    let best: Sub | null = null;
    for (const m of group.members) if (m !== sub && (best === null || m.pending.size < best.pending.size)) best = m;
    return best ?? sub;
  }

  /** An Ack on the subscription's ack inbox; acks for sequences it is not waiting for are ignored. */
  ack(sub: Sub, seq: number): void {
    if (!sub.pending.delete(seq)) return;
    this.#markDirty(sub);
    if (sub.group !== null) this.#pumpGroup(sub.group);
    else this.#pump(sub);
  }

  // ---------------------------------------------------------------- persistence

  #markDirty(s: Sub | QueueGroup): void {
    this.#dirty.add(s);
    this.#persistTimer ??= setTimeout(() => void this.flushState(), PERSIST_DELAY_MS);
  }

  /** Writes the durable state changed since the last write. */
  async flushState(): Promise<void> {
    if (this.#persistTimer !== null) clearTimeout(this.#persistTimer);
    this.#persistTimer = null;
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const s of dirty) {
      try {
        await this.#write(s);
      } catch (err) {
        this.host.log.error(`STREAM: Unable to store subscription state on channel ${JSON.stringify(this.name)}: ${(err as Error).message}`);
      }
    }
  }

  #write(s: Sub | QueueGroup): Promise<void> {
    this.#dirty.delete(s);
    const rec: SubRecord = s instanceof Sub
      ? {
        kind: "sub",
        id: s.id,
        clientID: s.clientID,
        durable: s.durable,
        qGroup: s.group?.name ?? "",
        group: s.group?.id ?? 0,
        inbox: s.inbox,
        ackInbox: s.ackInbox,
        maxInFlight: s.maxInFlight,
        ackWaitMs: s.ackWaitMs,
        lastSent: s.lastSent,
        pending: [...s.pending.keys()],
      }
      : {
        kind: "group",
        id: s.id,
        clientID: "",
        durable: s.durable,
        qGroup: s.name,
        group: 0,
        inbox: "",
        ackInbox: "",
        maxInFlight: 0,
        ackWaitMs: 0,
        lastSent: s.lastSent,
        pending: [...s.shadowPending.keys()],
      };
    return this.store.writeConsumerMeta(recordName(s.id), encoder.encode(JSON.stringify(rec)));
  }

  #restore(name: string): void {
    const blob = this.store.readConsumerMeta(name);
    if (blob === null) return;
    let rec: SubRecord;
    try {
      rec = JSON.parse(decoder.decode(blob)) as SubRecord;
    } catch (err) {
      this.host.log.error(`STREAM: Unable to recover subscription ${name} on channel ${JSON.stringify(this.name)}: ${(err as Error).message}`);
      return;
    }
    this.host.sawSubId(rec.id);
    if (rec.kind === "group") {
      const group = new QueueGroup(rec.id, rec.qGroup, rec.durable);
      group.lastSent = rec.lastSent;
      // Messages that were waiting for an ack when the server stopped come first on resume, flagged redelivered.
      for (const seq of rec.pending) group.shadowPending.set(seq, { deadline: 0, count: 0 });
      this.groups.set(group.key, group);
      return;
    }
    if (rec.durable === "" || rec.group !== 0) {
      this.#recovered.push(rec);
      return;
    }
    const sub = new Sub(rec.id, rec.clientID, null, rec.inbox, rec.ackInbox, rec.maxInFlight, rec.ackWaitMs, rec.durable, null);
    sub.lastSent = rec.lastSent;
    for (const seq of rec.pending) sub.pending.set(seq, { deadline: 0, count: 0 });
    this.durables.set(durableKey(rec.clientID, rec.durable), sub);
  }

  /** Writes what is pending and closes the store. */
  async shutdown(): Promise<void> {
    for (const sub of this.byAckInbox.values()) {
      sub.clearTimer();
      this.#dirty.add(sub);
    }
    for (const sub of this.durables.values()) this.#dirty.add(sub);
    for (const g of this.groups.values()) this.#dirty.add(g);
    await this.flushState();
    await this.store.close();
  }
}

/** A subscription as the monitoring pages show it (nats-streaming-server's Subscriptionz; the monitor's StreamingSubz). */
export type SubView = ReturnType<typeof subView>;

export function subView(sub: Sub) {
  const group = sub.group;
  return {
    client_id: sub.clientID,
    inbox: sub.inbox,
    ack_inbox: sub.ackInbox,
    // omitempty, as in nats-streaming-server's JSON.
    ...(sub.durable !== "" && { durable_name: sub.durable }),
    ...(group !== null && { queue_name: group.key }),
    is_durable: sub.durable !== "" || (group?.durable ?? "") !== "",
    is_offline: sub.owner === null,
    max_inflight: sub.maxInFlight,
    ack_wait: Math.round(sub.ackWaitMs / 1000),
    last_sent: group?.lastSent ?? sub.lastSent,
    pending_count: sub.pending.size,
    is_stalled: sub.stalled,
  };
}

const durableKey = (clientID: string, durable: string): string => `${clientID}\n${durable}`;

/** Record names carry no client-given text: file names are not sealed. */
const recordName = (id: number): string => `sub-${id}`;
