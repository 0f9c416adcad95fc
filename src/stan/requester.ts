/**
 * Requests the STAN server makes of its clients (heartbeats, the duplicate client ID probe): an empty
 * message to the client's heartbeat inbox with a reply subject under one wildcard subscription, answered
 * or timed out.
 */
import type { InternalEndpoint } from "../routing/internal.ts";
import type { Subscription } from "../routing/subscription.ts";

const EMPTY = new Uint8Array(0);

export class Requester {
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #waiting = new Map<string, (answered: boolean) => void>();
  #next = 1;

  constructor(private readonly internal: InternalEndpoint, nuid: string) {
    this.#prefix = `_STAN.hbr.${nuid}.`;
    this.#sub = internal.subscribe(`${this.#prefix}*`, null, (m) => {
      const done = this.#waiting.get(m.subject.slice(this.#prefix.length));
      done?.(true);
    });
  }

  /** Resolves true when the client answers within `timeoutMs`. */
  ask(subject: string, timeoutMs: number): Promise<boolean> {
    const token = String(this.#next++);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (answered: boolean) => {
        clearTimeout(timer);
        this.#waiting.delete(token);
        resolve(answered);
      };
      this.#waiting.set(token, finish);
      this.internal.publish(subject, this.#prefix + token, null, EMPTY);
    });
  }

  close(): void {
    for (const done of [...this.#waiting.values()]) done(false);
    this.internal.removeSub(this.#sub);
  }
}
