/**
 * The publisher that carries a message from one account's router into another's (nats-server's internal
 * ACCOUNT clients behind stream imports, service imports and their responses). It delivers synchronously,
 * inside the exporter's fan-out, unless the target router is itself mid-route (an import chain that comes
 * back to an account): its fan-out state is in use then, so the message is copied and routed on a microtask.
 *
 * What a stream import delivers reaches only the importer's own subscribers, never another bridge there: as
 * with nats-server's shadow subscriptions, stream imports do not chain (service imports and responses do).
 */
import type { Connection } from "../connection/connection.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Publisher } from "../routing/endpoint.ts";
import { MatchCache } from "../routing/match_cache.ts";
import type { Subscription } from "../routing/subscription.ts";
import { readdressed } from "./rewrite.ts";
import type { Account } from "./account.ts";

export abstract class Bridge implements Publisher {
  readonly cid = 0;
  readonly closed = false;
  readonly opts = { echo: true, noResponders: false };
  /** Asked per message, to refuse what a stream import is delivering in its account. */
  readonly checksDelivery = true;
  readonly link = null;
  readonly matchCache = new MatchCache();

  /** The account whose router this bridge's subscription is in. */
  protected abstract readonly home: Account;

  abstract deliver(sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string, routeSubject: string): void;

  /** The client publishing in the home account's route in progress: it is the one to stall. */
  get producerLink(): Connection | null {
    return this.home.publishing?.link ?? null;
  }

  admitDelivery(): boolean {
    return this.home.streamImporting === 0;
  }

  deliverNoResponders(): void {
    // A bridge never asks for no-responders statuses: the requester on the other side does.
  }

  removeSub(): void {
    // A bridge's subscription lives as long as its import; an auto-unsubscribe limit is never set on it.
  }

  /** Whether anything in `target` listens on `subject`: no copy, no reply mapping, for a message nobody takes. */
  protected interested(target: Account, subject: string): boolean {
    const r = this.matchCache.match(target.router.sublist, subject);
    return r.psubs.length > 0 || r.qsubs.length > 0;
  }

  /**
   * Routes the message (`payload` is payload + CRLF) in `target` on `subject` with `reply`, receivers seeing
   * `visible` (a JetStream delivery keeps the stored message's subject); `stream` marks a stream import's
   * delivery, which the target's bridges refuse.
   */
  protected forward(target: Account, subject: string, reply: string | null, pa: PubArg, payload: Uint8Array, stream = false, visible = subject): void {
    const npa = readdressed(pa, visible, reply);
    if (target.busy === 0) {
      this.routeIn(target, subject, npa, payload, stream, visible);
      return;
    }
    const copy = payload.slice();
    queueMicrotask(() => {
      this.routeIn(target, subject, npa, copy, stream, visible);
      target.flush();
    });
  }

  protected routeIn(target: Account, subject: string, pa: PubArg, payload: Uint8Array, stream: boolean, visible: string): void {
    if (stream) target.streamImporting++;
    target.routeFrom(this, subject, pa, payload, 0, visible);
    if (stream) target.streamImporting--;
  }
}
