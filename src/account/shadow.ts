/**
 * Shadow subscriptions (nats-server's sub.shadow, addShadowSubscriptions): a client's subscription in an
 * importing account has a copy in the exporter's sublist for each stream import it takes from, so the
 * exporter's fan-out delivers to the client directly, under the importer's subject, in one routing pass.
 */
import type { Connection } from "../connection/connection.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Endpoint } from "../routing/endpoint.ts";
import { InternalEndpoint } from "../routing/internal.ts";
import { Subscription } from "../routing/subscription.ts";
import { subjectHasWildcard, subjectIsSubsetMatch, subjectsCollide } from "../subject/subject.ts";
import type { Renaming } from "./renaming.ts";

/** An endpoint the router writes to without a view of the payload: a client. */
export type DirectEndpoint = Endpoint & Required<Pick<Endpoint, "deliverAt">>;

/** Delivers what its shadow subscription matches in the exporter to one subscription in the importer. */
export class ShadowEndpoint implements Endpoint {
  readonly opts = { echo: true, noResponders: false };
  /** The client's own admission is asked with the subject it will see, once renamed. */
  readonly checksDelivery = false;
  readonly sub: Subscription;

  constructor(
    private readonly target: DirectEndpoint,
    private readonly original: Subscription,
    private readonly renaming: Renaming,
    subject: string,
  ) {
    // A queue subscription's shadow joins the exporter's group of the same name, as nats-server copies the
    // whole subscription: the exporter's and the importers' members of a group share each message.
    this.sub = new Subscription(this, subject, original.queue, original.sid);
  }

  get cid(): number {
    return this.target.cid;
  }

  get closed(): boolean {
    return this.target.closed;
  }

  get link(): Connection | null {
    return this.target.link;
  }

  admitDelivery(): boolean {
    return true;
  }

  deliverAt(sub: Subscription, pa: PubArg, buf: Uint8Array, start: number, subject: string, routeSubject: string): void {
    const orig = this.original;
    if (orig.max > 0 && orig.delivered >= orig.max) return;
    // A JetStream delivery (routed on its inbox) keeps the stored message's subject, as pa.deliver does.
    const npa = subject === routeSubject ? this.renaming.readdress(pa, subject) : pa;
    const visible = npa === pa ? subject : this.renaming.apply(subject);
    const t = this.target;
    if (t.checksDelivery && !t.admitDelivery(visible, npa)) return;
    orig.delivered++;
    t.deliverAt(orig, npa, buf, start, visible, visible);
    // The router ends the shadow when the client's auto-unsubscribe limit is reached (removeSub below).
    if (orig.max > 0) {
      sub.max = orig.max;
      sub.delivered = orig.delivered;
    }
  }

  deliver(sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string, routeSubject: string): void {
    this.deliverAt(sub, pa, payload, 0, subject, routeSubject);
  }

  deliverNoResponders(): void {
    // The requester's own reply subscription is in its account, never a shadow.
  }

  removeSub(): void {
    this.target.removeSub(this.original);
  }
}

/** The client a subscription in the importer belongs to when a shadow can serve it (a client's), else null. */
export function shadowable(sub: Subscription): DirectEndpoint | null {
  const c = sub.client;
  if (c.remote === true || c.deliverAt === undefined || c instanceof ShadowEndpoint || c instanceof InternalEndpoint) return null;
  return c as DirectEndpoint;
}

/**
 * The exporter's subject for a shadow of a subscription on `subject` in the importer, through a stream
 * import of `from` seen as `to` (nats-server's four cases: exact, subset, superset, and an overlap narrowed
 * to the import's tokens). undefined: the subscription takes nothing from the import; null: it overlaps in
 * a way a single shadow cannot serve.
 */
export function shadowSubject(subject: string, from: string, to: string, renaming: Renaming): string | null | undefined {
  if (subject === to) return from;
  if (subjectIsSubsetMatch(subject, to)) return renaming.reverse(subject);
  if (!subjectHasWildcard(subject)) return undefined;
  if (subjectIsSubsetMatch(to, subject)) return from;
  if (!subjectsCollide(subject, to)) return undefined;
  const narrowed = narrow(subject, to);
  return subjectIsSubsetMatch(narrowed, to) ? renaming.reverse(narrowed) : null;
}

/** `subject`'s wildcards replaced by `to`'s tokens where `to` is more specific (`t.1.*` within `t.*.x`: `t.1.x`). */
function narrow(subject: string, to: string): string {
  const tokens = subject.split(".");
  const im = to.split(".");
  for (let i = 0; i < tokens.length && i < im.length; i++) {
    if (tokens[i] === "*" && im[i] !== ">") tokens[i] = im[i]!;
  }
  const last = tokens.length - 1;
  if (tokens[last] === ">" && im.length >= tokens.length) {
    tokens[last] = im[last]!;
    tokens.push(...im.slice(tokens.length));
  }
  return tokens.join(".");
}
