/**
 * The publisher that carries a message from one account's router into another's (nats-server's internal
 * ACCOUNT clients behind stream imports, service imports and their responses). It delivers synchronously,
 * inside the exporter's fan-out, unless the target router is itself mid-route (an import chain that comes
 * back to an account): its fan-out state is in use then, so the message is copied and routed on a microtask.
 *
 * What a stream import delivers reaches only the importer's own subscribers, never another bridge there (the
 * import leaves bridges out of those it serves, imports.ts): as with nats-server's shadow subscriptions,
 * stream imports do not chain (service imports and responses do).
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
  readonly checksDelivery = false;
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
    return true;
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

  /** Routes the message (`payload` is payload + CRLF) in `target` on `subject` with `reply`. */
  protected forward(target: Account, subject: string, reply: string | null, pa: PubArg, payload: Uint8Array): void {
    const npa = readdressed(pa, subject, reply);
    if (target.busy === 0) {
      target.routeFrom(this, subject, npa, payload, 0);
      return;
    }
    const copy = payload.slice();
    queueMicrotask(() => {
      target.routeFrom(this, subject, npa, copy, 0);
      target.flush();
    });
  }
}
