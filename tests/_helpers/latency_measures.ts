/**
 * Service latency measures as a subscription on their subject receives them, and a wait on the ones a few
 * requests cause: every wait is on a measure arriving, never on time.
 */
import type { Msg } from "@nats-io/transport-node";

type Json = Record<string, unknown>;

export class LatencyMeasures {
  readonly all: { subject: string; body: Json }[] = [];
  private waiting: (() => void) | null = null;

  /** The measure subscription's callback. */
  readonly take = (_e: unknown, m: Msg): void => {
    this.all.push({ subject: m.subject, body: m.json<Json>() });
    this.waiting?.();
  };

  /** The measures published for the requests `send` makes, given that its last request is measured. */
  async during(send: () => Promise<void>): Promise<{ subject: string; body: Json }[]> {
    const seen = this.all.length;
    await send();
    while (this.all.length === seen) await new Promise<void>((r) => (this.waiting = r));
    return this.all.slice(seen);
  }
}
