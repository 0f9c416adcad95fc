/**
 * Reply mappings of service imports (nats-server's response service imports, `_R_.` subjects): a request
 * that reaches the exporting account carries a reply subject of the exporter's own, and a response to it is
 * routed back to the requester's reply subject in the requester's account. A singleton export's mapping goes
 * with its first response; a stream or chunked one stays until no response came for the export's
 * response_threshold. Every mapping is dropped once its threshold passes without a response, as nats-server's
 * checkForReverseEntries does.
 */
import type { PubArg } from "../protocol/parser.ts";
import { Subscription } from "../routing/subscription.ts";
import { Bridge } from "./bridge.ts";
import type { Account } from "./account.ts";
import type { ServiceExport } from "./exports.ts";
import type { LatencyStart } from "./latency.ts";
import { replyOf } from "./rewrite.ts";
import { nuid } from "../protocol/nuid.ts";

/** nats-server's replyPrefix. */
const REPLY_PREFIX = "_R_.";
/** How often waiting mappings are checked for their threshold, at most; thresholds shorter than this are checked as often as they are long. */
const MAX_SWEEP_MS = 1000;

interface Pending {
  requester: Account;
  reply: string;
  singleton: boolean;
  thresholdMs: number;
  expires: number;
  /** A request whose latency is measured, until its first response. */
  timed: LatencyStart | null;
}

export class ResponseMap extends Bridge {
  /** `_R_.<random>.`: this account's reply subjects; one wildcard subscription takes every response. */
  private readonly prefix = `${REPLY_PREFIX}${nuid().slice(0, 6)}.`;
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private readonly sub: Subscription;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private sweepMs = MAX_SWEEP_MS;

  constructor(private readonly owner: Account) {
    super();
    this.sub = new Subscription(this, `${this.prefix}>`, null, "0");
    owner.addSub(this.sub);
  }

  get size(): number {
    return this.pending.size;
  }

  track(requester: Account, reply: string, exp: ServiceExport, timed: LatencyStart | null): string {
    // Unguessable and unique: random, then a sequence.
    const subject = `${this.prefix}${nuid().slice(0, 8)}${(this.seq++).toString(36)}`;
    this.pending.set(subject, { requester, reply, singleton: exp.responseType === "singleton", thresholdMs: exp.thresholdMs, expires: Date.now() + exp.thresholdMs, timed });
    this.armSweeper(exp.thresholdMs);
    return subject;
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string): void {
    const p = this.pending.get(subject);
    if (p === undefined) return;
    if (p.singleton) this.pending.delete(subject);
    else p.expires = Date.now() + p.thresholdMs;
    if (p.timed !== null) this.measured(p, p.timed);
    this.forward(p.requester, p.reply, replyOf(pa), pa, payload);
  }

  /** The first response to a timed request: its measure to the account's sink. */
  private measured(p: Pending, t: LatencyStart): void {
    p.timed = null;
    const now = performance.now();
    this.owner.latencySink?.({
      subject: t.config.subject,
      exporter: this.owner.name,
      requestorAccount: p.requester.name,
      requestor: t.requestor,
      responder: this.owner.publishing,
      share: t.share,
      header: t.header,
      startMs: t.startMs,
      serviceNs: Math.round((now - t.startPerf) * 1e6),
      respondedAt: now,
    });
  }

  protected get home(): Account {
    return this.owner;
  }

  private armSweeper(thresholdMs: number): void {
    const every = Math.max(10, Math.min(MAX_SWEEP_MS, thresholdMs));
    if (this.sweeper !== null && every >= this.sweepMs) return;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweepMs = every;
    this.sweeper = setInterval(() => this.sweep(), every);
    (this.sweeper as { unref?: () => void }).unref?.();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [subject, p] of this.pending) if (p.expires <= now) this.pending.delete(subject);
    if (this.pending.size === 0) this.stopSweeper();
  }

  private stopSweeper(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    this.sweepMs = MAX_SWEEP_MS;
  }

  close(): void {
    this.stopSweeper();
    this.pending.clear();
    this.owner.removeSub(this.sub);
  }
}
