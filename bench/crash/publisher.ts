/**
 * The crash loop's publisher: IN_FLIGHT JetStream publishes outstanding at all times, each a unique id. A
 * disconnect abandons the wait for the publishes sent before it (their acks died with the server; one that
 * still arrives is counted) so the window refills at once instead of waiting out the publish timeout, as
 * a client that watches its connection would; new publishes wait for the reconnect.
 */
import { jetstream } from "@nats-io/jetstream";
import type { Ledger } from "./ledger.ts";
import type { Link } from "./link.ts";
import { encodePayload } from "./payload.ts";

export const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 256);
const PAYLOAD = Number(process.env.PAYLOAD ?? 128);
const PUB_TIMEOUT_MS = Number(process.env.PUB_TIMEOUT_MS ?? 2000);
/** A failed publish (no responders while the stream recovers) waits this long before the next. */
const ERROR_PAUSE_MS = Number(process.env.ERROR_PAUSE_MS ?? 20);

export interface PubStats {
  failed: number;
  noResponders: number;
  timeouts: number;
  /** Acks that arrived after their wait was abandoned at a disconnect. */
  lateAcks: number;
}

export class Publisher {
  readonly stats: PubStats = { failed: 0, noResponders: 0, timeouts: 0, lateAcks: 0 };
  #next = 1;
  #running = true;
  readonly #workers: Promise<void>[] = [];

  constructor(readonly link: Link, readonly subject: string, readonly ledger: Ledger) {
    for (let i = 0; i < IN_FLIGHT; i++) this.#workers.push(this.#work());
  }

  async #work(): Promise<void> {
    const js = jetstream(this.link.nc, { timeout: PUB_TIMEOUT_MS });
    while (this.#running) {
      await this.link.connected();
      const id = this.#next++;
      let abandoned = false;
      const pub = js.publish(this.subject, encodePayload(id, PAYLOAD)).then(
        (ack) => {
          this.ledger.acked(id, ack.seq);
          if (abandoned) this.stats.lateAcks++;
        },
        (err: Error) => {
          this.stats.failed++;
          if (/no responders/i.test(err.message)) this.stats.noResponders++;
          else if (/timeout/i.test(err.message)) this.stats.timeouts++;
          throw err;
        },
      );
      const cut = this.link.disconnected().then(() => (abandoned = true));
      try {
        await Promise.race([pub, cut]);
      } catch {
        await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
      }
      pub.catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }
}
