/**
 * Stream and service imports at work (nats-server's addStreamImport/addServiceImport as 2.9 applies them).
 *
 * A stream import delivers what matches the imported subject in the exporting account to the importing
 * account's subscribers, under the import's `to` or `prefix` subject. A service import subscribes in the
 * importing account to its local subject (`to`, default the exported subject) and routes requests in the
 * exporting account under the exported subject, with a reply subject the exporter's ResponseMap maps back.
 */
import type { PubArg } from "../protocol/parser.ts";
import { Router } from "../routing/router.ts";
import { Subscription } from "../routing/subscription.ts";
import { isValidSubject } from "../subject/subject.ts";
import type { Account } from "./account.ts";
import { Bridge } from "./bridge.ts";
import type { ServiceExport } from "./exports.ts";
import { Renaming } from "./renaming.ts";
import { readdressed, replyOf } from "./rewrite.ts";
import { ShadowEndpoint, shadowable, shadowSubject } from "./shadow.ts";
import { type LatencyConfig, type LatencyStart, shouldSample } from "./latency.ts";

/**
 * A client's subscription in the importer, plain or in a queue group, is served by a shadow subscription in
 * the exporter (shadow.ts; a queue member joins the exporter's group of that name, as in nats-server).
 * Everything else there that the import reaches (leaf and route links, the server's own endpoints) keeps the
 * bridge: while any of it is there, one subscription on the imported subject in the exporter routes the
 * renamed message again among those alone (`side`), so nobody gets a message twice.
 */
export class StreamImport extends Bridge {
  readonly type = "stream";
  readonly sub: Subscription;
  private readonly renaming: Renaming;
  /** Each subscription in the importer the import reaches: its shadow, or null when the bridge serves it. */
  private readonly served = new Map<Subscription, Subscription | null>();
  /** The importer's subscriptions the bridge serves, routed among themselves. */
  private readonly side: Router;
  /** Routes in progress in `side` (a delivery that comes back waits, its fan-out state is in use). */
  private sideBusy = 0;
  private readonly unwatch: () => void;

  constructor(
    readonly exporter: Account,
    readonly importer: Account,
    readonly subject: string,
    /** The subject messages arrive under in the importer. */
    readonly to: string,
  ) {
    super();
    this.renaming = new Renaming(subject, to);
    this.sub = new Subscription(this, subject, null, "0");
    if (!isValidSubject(subject)) throw new Error(`invalid stream import subject ${JSON.stringify(subject)}`);
    this.side = new Router(true, importer.router.stallThreshold);
    this.unwatch = importer.router.interest.subscribe((op, sub) => (op === "add" ? this.added(sub) : this.removed(sub)));
    for (const sub of importer.router.sublist.all()) this.added(sub);
  }

  private added(sub: Subscription): void {
    // Stream imports do not chain: another import's bridge or shadow in the importer takes nothing from this one.
    const c = sub.client;
    if (c instanceof Bridge || c instanceof ShadowEndpoint || this.served.has(sub)) return;
    const at = shadowSubject(sub.subject, this.subject, this.to, this.renaming);
    if (at === undefined) return;
    const client = shadowable(sub);
    if (at !== null && client !== null) {
      const shadow = new ShadowEndpoint(client, sub, this.renaming, at).sub;
      if (this.exporter.addSub(shadow)) {
        this.served.set(sub, shadow);
        return;
      }
    }
    this.served.set(sub, null);
    this.side.addSub(sub);
    if (this.side.sublist.count() === 1) this.exporter.addSub(this.sub);
  }

  private removed(sub: Subscription): void {
    const shadow = this.served.get(sub);
    if (shadow === undefined) return;
    this.served.delete(sub);
    if (shadow !== null) {
      this.exporter.removeSub(shadow);
      return;
    }
    this.side.removeSub(sub);
    if (this.side.sublist.count() === 0) this.exporter.removeSub(this.sub);
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string, routeSubject: string): void {
    // A JetStream delivery (a mirror's or source's consumer in the exporter) is matched and renamed on its
    // inbox and keeps the stored message's subject, as nats-server swaps pa.deliver in processMsgResults.
    const to = this.renaming.apply(routeSubject);
    const visible = routeSubject === subject ? to : subject;
    if (this.sideBusy === 0) {
      this.routeSide(to, routeSubject === subject ? this.renaming.readdress(pa, subject) : pa, payload, visible);
      return;
    }
    const npa = readdressed(pa, visible, replyOf(pa));
    const copy = payload.slice();
    queueMicrotask(() => {
      this.routeSide(to, npa, copy, visible);
      this.importer.flush();
    });
  }

  private routeSide(to: string, pa: PubArg, payload: Uint8Array, visible: string): void {
    this.sideBusy++;
    this.side.route(this, to, pa, payload, 0, visible);
    this.sideBusy--;
  }

  protected get home(): Account {
    return this.exporter;
  }

  close(): void {
    this.unwatch();
    for (const [sub, shadow] of this.served) {
      if (shadow !== null) this.exporter.removeSub(shadow);
      else this.side.removeSub(sub);
    }
    this.served.clear();
    this.exporter.removeSub(this.sub);
  }
}

export class ServiceImport extends Bridge {
  readonly type = "service";
  readonly sub: Subscription;
  private readonly renaming: Renaming;

  constructor(
    readonly importer: Account,
    readonly exporter: Account,
    /** The subject requests are sent to in the importer. */
    readonly to: string,
    /** The exported subject they arrive under in the exporter. */
    readonly subject: string,
    private readonly exp: ServiceExport,
    /** The import's `share`: a latency measure names the requestor. */
    readonly share = false,
  ) {
    super();
    this.renaming = new Renaming(to, subject);
    this.sub = new Subscription(this, to, null, "0");
    if (!importer.addSub(this.sub)) throw new Error(`invalid service import subject ${JSON.stringify(to)}`);
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string): void {
    const to = this.renaming.apply(subject);
    if (!this.interested(this.exporter, to)) return;
    const reply = replyOf(pa);
    const timed = reply === null ? null : this.timed(pa, payload);
    const mapped = reply === null ? null : this.exporter.trackResponse(this.importer, reply, this.exp, timed);
    this.forward(this.exporter, to, mapped, pa, payload);
  }

  /** The export's latency tracking, which /accountz lists with the import. */
  get latency(): LatencyConfig | null {
    return this.exp.latency;
  }

  /** A request to time for the export's latency tracking (singleton exports only: the config refuses others). */
  private timed(pa: PubArg, payload: Uint8Array): LatencyStart | null {
    const lat = this.exp.latency;
    if (lat === null) return null;
    const sample = shouldSample(lat, pa.hdr > 0 ? payload.subarray(0, pa.hdr) : null);
    if (sample === null) return null;
    return { config: lat, requestor: this.importer.publishing, share: this.share, header: sample.header, startMs: Date.now(), startPerf: performance.now() };
  }

  protected get home(): Account {
    return this.importer;
  }

  close(): void {
    this.importer.removeSub(this.sub);
  }
}
