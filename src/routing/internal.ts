/**
 * The server's own publisher and subscriber (nats-server's internal clients): services such as the
 * JetStream API subscribe to subjects and publish replies through the same router as clients do.
 *
 * Deliveries are copied and handed to handlers in a microtask, never during the router's fan-out, so a
 * handler that publishes cannot re-enter the router while it iterates a match result.
 */
import type { PubArg } from "../protocol/parser.ts";
import { Subscription } from "./subscription.ts";
import type { Publisher } from "./endpoint.ts";
import type { Router } from "./router.ts";
import { MatchCache } from "./match_cache.ts";

export interface InternalMsg {
  subject: string;
  /** null when the publisher gave no reply subject. */
  reply: string | null;
  /** The NATS header block (`NATS/1.0\r\n...\r\n\r\n`), or null for a message without headers. */
  hdr: Uint8Array | null;
  data: Uint8Array;
}

export type InternalHandler = (msg: InternalMsg) => void;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Internal publishes never carry a route's queue groups; shared, never written. */
const NO_QUEUES: number[] = [];

export class InternalEndpoint implements Publisher {
  readonly cid = 0;
  readonly closed = false;
  readonly matchCache = new MatchCache();
  readonly opts = { echo: true, noResponders: false };
  readonly checksDelivery = false;
  /** No socket: nothing to pause, and the server's own publishes are bounded by the requests that cause them. */
  readonly link = null;
  private nextSid = 1;
  private readonly handlers = new Map<Subscription, InternalHandler>();
  /** Deliveries waiting for the next drain: handler i gets message i (two arrays, no pair per message). */
  private handlerQueue: InternalHandler[] = [];
  private msgQueue: InternalMsg[] = [];
  private scheduled = false;
  private flushScheduled = false;
  /**
   * One buffer for every publish: every receiver copies what it is given before route() returns, and a view
   * of a fresh small array is costly on JSC (it first gets an ArrayBuffer of its own). A publish made while
   * routing (a receiver's close handler, say) gets a buffer of its own instead.
   */
  private scratch = new Uint8Array(16 * 1024);
  private routing = false;

  constructor(
    private readonly router: Router,
    /** Writes what publishes queued on client connections; called once after a run of internal publishes. */
    private readonly flush: () => void,
    /** A handler that throws must not take the server down: its error is reported here instead. */
    private readonly onError: (subject: string, err: unknown) => void,
  ) {}

  subscribe(subject: string, queue: string | null, handler: InternalHandler): Subscription {
    const sub = new Subscription(this, subject, queue, String(this.nextSid++));
    if (!this.router.addSub(sub)) throw new Error(`internal subscription: invalid subject ${JSON.stringify(subject)}`);
    this.handlers.set(sub, handler);
    return sub;
  }

  removeSub(sub: Subscription): void {
    if (this.handlers.delete(sub)) this.router.removeSub(sub);
  }

  /** Publishes as the server; everyone subscribed to `subject` receives it, clients and internal handlers. */
  publish(subject: string, reply: string | null, hdr: Uint8Array | null, data: Uint8Array): void {
    this.publishTo(subject, subject, reply, hdr, data);
  }

  /**
   * Routes on `routeSubject` while receivers see `subject` in the MSG line (nats-server's pa.deliver):
   * JetStream delivers a stored message to a consumer's inbox under the message's own subject.
   */
  publishTo(routeSubject: string, subject: string, reply: string | Uint8Array | null, hdr: Uint8Array | null, data: Uint8Array): void {
    const hlen = hdr?.length ?? 0;
    const size = hlen + data.length;
    // Arguments and payload in one buffer, laid out like a parsed PUB: subject, reply, then payload + CRLF.
    // UTF-8 needs at most 3 bytes per UTF-16 unit; a reply given as bytes is copied as it is.
    const need = 3 * subject.length + (reply === null ? 0 : typeof reply === "string" ? 3 * reply.length : reply.length) + size + 2;
    const nested = this.routing;
    let buf = this.scratch;
    if (nested) buf = new Uint8Array(need);
    else if (need > buf.length) buf = this.scratch = new Uint8Array(Math.max(need, 2 * buf.length));
    const subjEnd = encoder.encodeInto(subject, buf).written;
    let replyEnd = subjEnd;
    if (typeof reply === "string") replyEnd += encoder.encodeInto(reply, buf.subarray(subjEnd)).written;
    else if (reply !== null) {
      buf.set(reply, subjEnd);
      replyEnd += reply.length;
    }
    const start = replyEnd;
    if (hdr !== null) buf.set(hdr, start);
    buf.set(data, start + hlen);
    buf[start + size] = 13;
    buf[start + size + 1] = 10;
    const pa: PubArg = { buf, subjStart: 0, subjEnd, replyStart: subjEnd, replyEnd, hdr: hlen > 0 ? hlen : -1, size, accStart: 0, accEnd: 0, queues: NO_QUEUES };
    this.routing = true;
    try {
      this.router.route(this, routeSubject, pa, buf, start, subject);
    } finally {
      this.routing = nested;
    }
    this.scheduleFlush();
  }

  /**
   * Writes what the server's own publishes queued, once for a whole run of them: the acks of one group
   * commit (or a batch of consumer deliveries) all happen in one microtask sweep, and a flush per message
   * would cost a write syscall each.
   */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  admitDelivery(): boolean {
    return true;
  }

  deliver(sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string): void {
    this.deliverAt(sub, pa, payload, 0, subject);
  }

  /** Copies the message out of `buf` at once (it is reused), so the router makes no view of the payload. */
  deliverAt(sub: Subscription, pa: PubArg, buf: Uint8Array, start: number, subject: string): void {
    const handler = this.handlers.get(sub);
    if (handler === undefined) return;
    const b = pa.buf;
    const hlen = pa.hdr > 0 ? pa.hdr : 0;
    const msg: InternalMsg = {
      subject,
      reply: pa.replyEnd > pa.replyStart ? decoder.decode(b.subarray(pa.replyStart, pa.replyEnd)) : null,
      hdr: pa.hdr > 0 ? buf.slice(start, start + hlen) : null,
      data: buf.slice(start + hlen, start + pa.size),
    };
    this.handlerQueue.push(handler);
    this.msgQueue.push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const handlers = this.handlerQueue;
    const msgs = this.msgQueue;
    this.handlerQueue = [];
    this.msgQueue = [];
    for (let i = 0; i < msgs.length; i++) {
      const msg = msgs[i]!;
      try {
        handlers[i]!(msg);
      } catch (err) {
        this.onError(msg.subject, err);
      }
    }
  }

  deliverNoResponders(): void {
    // The server never asks for no-responders statuses on its own requests.
  }
}
