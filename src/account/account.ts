/**
 * One account (nats-server's Account): its own router, so its subjects are its own; its subject mappings;
 * the streams and services it exports; and the reply mappings of requests other accounts send it through
 * service imports. Clients are bound to an account when they authenticate and publish and subscribe in it.
 */
import type { PubArg } from "../protocol/parser.ts";
import type { Publisher } from "../routing/endpoint.ts";
import type { Router } from "../routing/router.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { SubjectMappings } from "./mapping.ts";
import { readdressed, replyOf } from "./rewrite.ts";
import { ExportTable } from "./exports.ts";
import { ResponseMap } from "./responses.ts";
import type { ServiceExport } from "./exports.ts";
import type { LatencySink, LatencyStart } from "./latency.ts";

export class Account {
  /** Subject mappings applied to what clients publish; null when there are none (the common case). */
  mappings: SubjectMappings | null = null;
  /** Routes in progress on this account's router (bridges defer while it is busy). */
  busy = 0;
  readonly exports = new ExportTable();
  /**
   * The client publishing in this account's route in progress, for service latency's requestor and
   * responder; null while another account's message is routed in (a bridge's routeFrom), which names no one.
   */
  publishing: Publisher | null = null;
  /** Where this account's service latency measures go (the system account's services set it); null: dropped. */
  latencySink: LatencySink | null = null;
  private responses: ResponseMap | null = null;

  constructor(
    readonly name: string,
    readonly router: Router,
    /** Writes what routes outside a read cycle queued on client connections. */
    readonly flush: () => void,
  ) {}

  /** A client's publish: mapped, then routed in this account. */
  route(from: Publisher, subject: string, pa: PubArg, buf: Uint8Array, start: number): void {
    const m = this.mappings;
    if (m !== null) {
      const to = m.map(subject);
      if (to !== null) {
        pa = readdressed(pa, to, replyOf(pa));
        subject = to;
      }
    }
    const outer = this.publishing;
    this.publishing = from;
    this.busy++;
    this.router.route(from, subject, pa, buf, start);
    this.busy--;
    this.publishing = outer;
  }

  /** A message another account sends in (imports, responses): routed as it is, no mapping. */
  routeFrom(from: Publisher, subject: string, pa: PubArg, buf: Uint8Array, start: number): void {
    this.busy++;
    this.router.route(from, subject, pa, buf, start);
    this.busy--;
  }

  addSub(sub: Subscription): boolean {
    return this.router.addSub(sub);
  }

  removeSub(sub: Subscription): void {
    this.router.removeSub(sub);
  }

  /**
   * The reply subject a request from `requester` (replying to `reply`) carries in this account, through the
   * service export `exp`: responses to it are routed back to `reply` in `requester`.
   */
  trackResponse(requester: Account, reply: string, exp: ServiceExport, timed: LatencyStart | null = null): string {
    this.responses ??= new ResponseMap(this);
    return this.responses.track(requester, reply, exp, timed);
  }

  /** Reply mappings waiting for a response, for tests and monitoring. */
  get pendingResponses(): number {
    return this.responses?.size ?? 0;
  }

  close(): void {
    this.responses?.close();
  }
}
