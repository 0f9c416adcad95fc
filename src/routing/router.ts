/**
 * Fan-out of a published message: every plain subscription whose subject matches gets a copy, and each queue
 * group gets exactly one, picked at random like nats-server does.
 */
import { Sublist, SublistError } from "../subject/sublist.ts";
import type { Client } from "../client/client.ts";
import type { Subscription } from "../client/subscription.ts";
import type { PubArg } from "../protocol/parser.ts";

const decoder = new TextDecoder();

export class Router {
  readonly sublist: Sublist<Subscription>;

  constructor(enableCache: boolean) {
    this.sublist = new Sublist<Subscription>(enableCache);
  }

  addSub(sub: Subscription): boolean {
    try {
      this.sublist.insert(sub);
      return true;
    } catch (err) {
      if (err instanceof SublistError) return false;
      throw err;
    }
  }

  removeSub(sub: Subscription): void {
    this.sublist.remove(sub);
  }

  route(from: Client, subject: string, pa: PubArg, buf: Uint8Array, start: number): void {
    // A publisher usually repeats one subject; its last result stays valid until the sublist changes.
    const sl = this.sublist;
    let r = from.lastMatch;
    if (from.lastMatchSubject !== subject || from.lastMatchGen !== sl.genId || r === null) {
      r = sl.match(subject);
      from.lastMatch = r;
      from.lastMatchSubject = subject;
      from.lastMatchGen = sl.genId;
    }
    const noEcho = !from.opts.echo;
    const stallAt = from.host.stallThreshold;
    // One view of payload+CRLF per message, shared by every delivery: creating a view costs more than
    // copying 128 bytes out of it.
    let payload: Uint8Array | null = null;
    let delivered = false;
    let finished: Subscription[] | null = null;

    const psubs = r.psubs;
    for (let i = 0; i < psubs.length; i++) {
      const sub = psubs[i]!;
      const c = sub.client;
      if (c.closed || (noEcho && c === from)) continue;
      if (sub.max > 0 && sub.delivered >= sub.max) continue;
      if (c.checksDelivery && !c.admitDelivery(subject, pa)) continue;
      sub.delivered++;
      if (sub.max > 0 && sub.delivered >= sub.max) (finished ??= []).push(sub);
      c.deliver(sub, pa, (payload ??= buf.subarray(start, start + pa.size + 2)));
      delivered = true;
      if (c.out.pending > stallAt && c !== from) from.stallOn(c);
    }

    const qsubs = r.qsubs;
    for (let g = 0; g < qsubs.length; g++) {
      const group = qsubs[g]!;
      const n = group.length;
      const first = (Math.random() * n) | 0;
      for (let k = 0; k < n; k++) {
        const sub = group[(first + k) % n]!;
        const c = sub.client;
        if (c.closed || (noEcho && c === from)) continue;
        if (sub.max > 0 && sub.delivered >= sub.max) continue;
        if (c.checksDelivery && !c.admitDelivery(subject, pa)) continue;
        sub.delivered++;
        if (sub.max > 0 && sub.delivered >= sub.max) (finished ??= []).push(sub);
        c.deliver(sub, pa, (payload ??= buf.subarray(start, start + pa.size + 2)));
        delivered = true;
        if (c.out.pending > stallAt && c !== from) from.stallOn(c);
        break;
      }
    }

    // Removal waits until the loops are done: the result being iterated belongs to the sublist.
    if (finished !== null) for (const sub of finished) sub.client.removeSub(sub);

    if (!delivered && pa.replyEnd > pa.replyStart && from.opts.noResponders) {
      const reply = decoder.decode(pa.buf.subarray(pa.replyStart, pa.replyEnd));
      this.noResponders(from, reply, subject);
    }
  }

  /** nats-server answers only on the publisher's own subscription that matches the reply subject. */
  private noResponders(from: Client, reply: string, subject: string): void {
    const r = this.sublist.match(reply);
    for (const sub of r.psubs) {
      if (sub.client === from) {
        from.deliverNoResponders(sub, reply, subject);
        return;
      }
    }
  }
}
