/**
 * Fan-out of a published message: every plain subscription whose subject matches gets a copy, and each queue
 * group gets exactly one, picked at random like nats-server does. A link to another server (RemoteEndpoint)
 * gets one copy naming the queue groups it was picked for, and is picked for a group only when no local
 * member can take the message.
 */
import { Sublist, SublistError, type SublistResult } from "../subject/sublist.ts";
import { matchLiteral } from "../subject/subject.ts";
import type { Endpoint, Publisher, RemoteEndpoint } from "./endpoint.ts";
import { InterestStream } from "./interest.ts";
import type { Subscription } from "./subscription.ts";
import type { PubArg } from "../protocol/parser.ts";

const decoder = new TextDecoder();

export class Router {
  readonly sublist: Sublist<Subscription>;
  /** Subscriptions that reached their auto-unsubscribe limit during the current route() call. */
  private readonly finished: Subscription[] = [];
  /**
   * Remote endpoints collected during the current route() call (the first `remoteCount`), and that call's
   * mark. A count rather than resetting the array's length: a length store costs as much as a message's
   * encoding.
   */
  private readonly remotes: (RemoteEndpoint | null)[] = [];
  private remoteCount = 0;
  private mark = 0;
  /**
   * viewOf's view, with the buffer and offset it was made for (a delivery that routes again gets its own);
   * dropped when the message is done so no read buffer stays referenced.
   */
  private view: Uint8Array | null = null;
  private viewBuf: Uint8Array | null = null;
  private viewStart = 0;

  /** Outbound bytes pending on a receiver above which its producers are paused. */
  readonly stallThreshold: number;

  constructor(enableCache: boolean, stallThreshold: number) {
    this.sublist = new Sublist<Subscription>(enableCache);
    this.stallThreshold = stallThreshold;
  }

  /** Every subscription added or removed, for whoever forwards or waits on interest. */
  readonly interest = new InterestStream();

  /**
   * Calls `notify` once, on a later microtask, after a subscription that matches the literal `subject` is
   * added; returns a function that cancels the watch.
   */
  watchInterest(subject: string, notify: () => void): () => void {
    const cancel = this.interest.subscribe((op, sub) => {
      if (op !== "add" || !matchLiteral(subject, sub.subject)) return;
      cancel();
      // Not from inside the subscriber's SUB processing: the watcher may deliver at once.
      queueMicrotask(notify);
    });
    return cancel;
  }

  addSub(sub: Subscription): boolean {
    try {
      this.sublist.insert(sub);
    } catch (err) {
      if (err instanceof SublistError) return false;
      throw err;
    }
    if (this.interest.watched) this.interest.emit("add", sub);
    return true;
  }

  removeSub(sub: Subscription): void {
    if (this.sublist.remove(sub) && this.interest.watched) this.interest.emit("remove", sub);
  }

  /**
   * Routes on `subject`; receivers see `deliverSubject` (pa's own subject, which differs only for JetStream).
   * `queues`, for a message from another server, names the only queue groups that get it (nats-server's
   * LMSG/RMSG queue list: without one, queue subscribers get nothing).
   */
  route(
    from: Publisher,
    subject: string,
    pa: PubArg,
    buf: Uint8Array,
    start: number,
    deliverSubject = subject,
    queues: readonly string[] | null = null,
  ): void {
    const r = from.matchCache.match(this.sublist, subject);
    const psubs = r.psubs;
    const qsubs = r.qsubs;
    let delivered = false;
    if (psubs.length > 0 || qsubs.length > 0) delivered = this.fanOut(r, from, subject, pa, buf, start, deliverSubject, queues);
    if (!delivered && pa.replyEnd > pa.replyStart && from.opts.noResponders) {
      const reply = decoder.decode(pa.buf.subarray(pa.replyStart, pa.replyEnd));
      this.noResponders(from, reply, subject);
    }
  }

  /**
   * The payload+CRLF at buf[start, start + pa.size + 2) goes to links and clients as that range (they copy
   * it out without a view), to other endpoints as one view shared by all of them: creating a view costs
   * more than copying 128 bytes out of it. Returns whether anyone received the message.
   */
  private fanOut(
    r: SublistResult<Subscription>,
    from: Endpoint,
    subject: string,
    pa: PubArg,
    buf: Uint8Array,
    start: number,
    deliverSubject: string,
    queues: readonly string[] | null,
  ): boolean {
    let delivered = false;
    const mark = ++this.mark;
    const psubs = r.psubs;
    for (let i = 0; i < psubs.length; i++) {
      const sub = psubs[i]!;
      if (sub.client.remote === true) {
        if (this.collect(sub, from, subject, pa, mark, null)) delivered = true;
      } else if (this.deliverTo(sub, from, subject, pa, buf, start, deliverSubject)) {
        delivered = true;
      }
    }

    const qsubs = r.qsubs;
    for (let g = 0; g < qsubs.length; g++) {
      const group = qsubs[g]!;
      if (queues !== null && !queues.includes(group[0]!.queue!)) continue;
      if (this.pickMember(group, from, subject, pa, buf, start, deliverSubject, mark)) delivered = true;
    }

    const count = this.remoteCount;
    if (count > 0) {
      const remotes = this.remotes;
      this.remoteCount = 0;
      for (let i = 0; i < count; i++) {
        const c = remotes[i]!;
        // Not kept past this call: a closed link must not stay referenced.
        remotes[i] = null;
        // A link gets the subject routed on: the far side routes on it again. "" when that is pa's own
        // (deliverSubject is pa's), so the link need not compare it with pa's bytes per message.
        c.deliverRemote(pa, buf, start, subject === deliverSubject ? "" : subject, c.routeQueues);
        this.checkStall(c, from);
      }
    }

    this.view = null;
    this.viewBuf = null;
    // Removal waits until the loops are done: the result being iterated belongs to the sublist.
    if (this.finished.length > 0) {
      for (const sub of this.finished) sub.client.removeSub(sub);
      this.finished.length = 0;
    }
    return delivered;
  }

  /**
   * One member of a queue group: a local one at random; only when none can take the message, a remote one,
   * each weighing as many members as it stands for.
   */
  private pickMember(
    group: readonly Subscription[],
    from: Endpoint,
    subject: string,
    pa: PubArg,
    buf: Uint8Array,
    start: number,
    deliverSubject: string,
    mark: number,
  ): boolean {
    const n = group.length;
    const first = (Math.random() * n) | 0;
    let remoteWeight = 0;
    for (let k = 0; k < n; k++) {
      const sub = group[(first + k) % n]!;
      if (sub.client.remote === true) {
        if (!sub.client.closed && sub.client !== from) remoteWeight += sub.weight;
      } else if (this.deliverTo(sub, from, subject, pa, buf, start, deliverSubject)) {
        return true;
      }
    }
    if (remoteWeight === 0) return false;
    let pick = Math.random() * remoteWeight;
    for (let k = 0; k < n; k++) {
      const sub = group[k]!;
      if (sub.client.remote !== true || sub.client.closed || sub.client === from) continue;
      pick -= sub.weight;
      if (pick < 0 && this.collect(sub, from, subject, pa, mark, sub.queue)) return true;
    }
    return false;
  }

  /** Notes a remote endpoint as a receiver of the message being routed, with the queue group it takes it for. */
  private collect(sub: Subscription, from: Endpoint, subject: string, pa: PubArg, mark: number, queue: string | null): boolean {
    const c = sub.client as RemoteEndpoint;
    // Never back over the link it came from, nor to another link from the same origin: links are no-echo.
    if (c.closed || c === from) return false;
    if (from.remote === true && c.origin !== "" && (from as RemoteEndpoint).origin === c.origin) return false;
    if (c.checksDelivery && !c.admitDelivery(subject, pa)) return false;
    if (c.routeMark !== mark) {
      c.routeMark = mark;
      if (c.routeQueues.length !== 0) c.routeQueues.length = 0;
      this.remotes[this.remoteCount++] = c;
    }
    if (queue !== null) c.routeQueues.push(queue);
    return true;
  }

  private checkStall(c: Endpoint, from: Publisher | Endpoint): void {
    const receiver = c.link;
    if (receiver !== null && receiver.out.pending > this.stallThreshold && c !== from) {
      (("producerLink" in from ? from.producerLink : null) ?? from.link)?.stallOn(receiver);
    }
  }

  /**
   * Delivers to one subscription unless its client is gone, is the publisher with echo off, has reached
   * its auto-unsubscribe limit, or refuses the subject; false when skipped.
   */
  private deliverTo(sub: Subscription, from: Endpoint, subject: string, pa: PubArg, buf: Uint8Array, start: number, deliverSubject: string): boolean {
    const c = sub.client;
    if (c.closed || (c === from && !from.opts.echo)) return false;
    if (sub.max > 0 && sub.delivered >= sub.max) return false;
    if (c.checksDelivery && !c.admitDelivery(subject, pa)) return false;
    sub.delivered++;
    if (c.deliverAt !== undefined) c.deliverAt(sub, pa, buf, start, deliverSubject, subject);
    else c.deliver(sub, pa, this.viewOf(pa, buf, start), deliverSubject, subject);
    // After the delivery: a shadow subscription learns its client's limit from it (src/account/shadow.ts).
    if (sub.max > 0 && sub.delivered >= sub.max) this.finished.push(sub);
    this.checkStall(c, from);
    return true;
  }

  /** The payload+CRLF as one view, made at the first delivery that needs it and shared by the others. */
  private viewOf(pa: PubArg, buf: Uint8Array, start: number): Uint8Array {
    const v = this.view;
    const n = pa.size + 2;
    if (v !== null && this.viewBuf === buf && this.viewStart === start && v.length === n) return v;
    // A buffer that is exactly the payload (an MQTT publish builds one) needs no view of itself.
    const made = start === 0 && buf.length === n ? buf : buf.subarray(start, start + n);
    this.view = made;
    this.viewBuf = buf;
    this.viewStart = start;
    return made;
  }

  /** nats-server answers only on the publisher's own subscription that matches the reply subject. */
  private noResponders(from: Endpoint, reply: string, subject: string): void {
    const r = this.sublist.match(reply);
    for (const sub of r.psubs) {
      if (sub.client === from) {
        from.deliverNoResponders(sub, reply, subject);
        return;
      }
    }
  }
}
