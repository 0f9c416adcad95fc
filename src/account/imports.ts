/**
 * Stream and service imports at work (nats-server's addStreamImport/addServiceImport as 2.9 applies them).
 *
 * A stream import subscribes in the exporting account to the imported subject and delivers what matches in
 * the importing account, under the import's `to` or `prefix` subject. A service import subscribes in the
 * importing account to its local subject (`to`, default the exported subject) and routes requests in the
 * exporting account under the exported subject, with a reply subject the exporter's ResponseMap maps back.
 */
import type { PubArg } from "../protocol/parser.ts";
import { Subscription } from "../routing/subscription.ts";
import { subjectHasWildcard } from "../subject/subject.ts";
import { compile, type Transform } from "../subject/transform.ts";
import type { Account } from "./account.ts";
import { Bridge } from "./bridge.ts";
import type { ServiceExport } from "./exports.ts";
import { replyOf, withSubject } from "./rewrite.ts";
import { type LatencyConfig, type LatencyStart, shouldSample } from "./latency.ts";

/**
 * How a subject is renamed on the way: kept, replaced by a literal, or transformed (nats-server's
 * transformTokenize turns a destination's `*` into `$1`, `$2`... so `to: "b.*"` reuses the source's tokens).
 */
export class Renaming {
  private readonly tr: Transform | null;
  private readonly literal: string | null;
  /** `to` is `from` with tokens in front (a stream import's `prefix`): the same as the transform, by concatenation. */
  private readonly prefix: string | null;

  constructor(from: string, to: string) {
    this.tr = null;
    this.literal = null;
    this.prefix = null;
    if (from === to) return;
    if (subjectHasWildcard(from) || subjectHasWildcard(to)) {
      this.tr = compile(from, tokenize(to), { strict: true });
      const head = to.slice(0, to.length - from.length - 1);
      if (to.endsWith(`.${from}`) && !subjectHasWildcard(head)) this.prefix = `${head}.`;
    } else this.literal = to;
  }

  apply(subject: string): string {
    if (this.literal !== null) return this.literal;
    if (this.prefix !== null) return this.prefix + subject;
    return this.tr === null ? subject : (this.tr.apply(subject) ?? subject);
  }
}

const encoder = new TextEncoder();

function tokenize(subject: string): string {
  let n = 0;
  return subject
    .split(".")
    .map((t) => (t === "*" ? `$${++n}` : t))
    .join(".");
}

export class StreamImport extends Bridge {
  readonly type = "stream";
  readonly sub: Subscription;
  private readonly renaming: Renaming;

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
    if (!exporter.addSub(this.sub)) throw new Error(`invalid stream import subject ${JSON.stringify(subject)}`);
  }

  deliver(_sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string, routeSubject: string): void {
    // A JetStream delivery (a mirror's or source's consumer in the exporter) is matched and renamed on its
    // inbox and keeps the stored message's subject, as nats-server swaps pa.deliver in processMsgResults.
    const last = this.last;
    let to: string;
    if (routeSubject === last.from) to = last.to;
    else {
      to = this.renaming.apply(routeSubject);
      this.last = { from: routeSubject, to, bytes: null };
    }
    // Routed at once, the importer's route finds who listens; only a copy for later is worth sparing.
    if (routeSubject === subject && this.importer.busy === 0) {
      // Not renamed: pa already carries the subject and reply the importer's receivers see.
      if (to === subject) {
        this.routeIn(this.importer, to, pa, payload, true, to);
        return;
      }
      if (pa.replyEnd === pa.replyStart) {
        const l = this.last;
        this.routeIn(this.importer, to, withSubject(pa, (l.bytes ??= encoder.encode(to))), payload, true, to);
        return;
      }
    }
    if (!this.interested(this.importer, to)) return;
    this.forward(this.importer, to, replyOf(pa), pa, payload, true, routeSubject === subject ? to : subject);
  }

  /** The last subject renamed and its new name (with its bytes once needed): a publisher repeats its subject. */
  private last: { from: string; to: string; bytes: Uint8Array | null } = { from: "", to: "", bytes: null };

  protected get home(): Account {
    return this.exporter;
  }

  close(): void {
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
