/**
 * Interest changes as a stream: every subscription the router adds or removes, in order. Leaf and route
 * connections forward them to their peer (LS+/LS-, RS+/RS-, nats-server's updateLeafNodes and
 * updateRouteSubscriptionMap); JetStream waits on them for a push consumer's deliver subject.
 */
import type { Subscription } from "./subscription.ts";

export type InterestOp = "add" | "remove";
export type InterestListener = (op: InterestOp, sub: Subscription) => void;

export class InterestStream {
  private readonly listeners = new Set<InterestListener>();

  get watched(): boolean {
    return this.listeners.size > 0;
  }

  /**
   * Listeners are called synchronously, after the sublist has changed, so a peer is told about changes in
   * the order they happened. Returns a function that removes the listener.
   */
  subscribe(listener: InterestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(op: InterestOp, sub: Subscription): void {
    for (const l of this.listeners) l(op, sub);
  }
}
