/**
 * The crash loop's consumer: a durable pull consumer with explicit acks, read with nats.js `consume()`
 * (which re-pulls after reconnects by itself). Every delivery goes to the ledger, then is acked. If the
 * iterator ends while the loop runs, that is counted and a new one is started.
 */
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import type { Ledger } from "./ledger.ts";
import type { Link } from "./link.ts";
import { decodePayload } from "./payload.ts";

export const STREAM = "CRASH";
export const SUBJECT = "crash.data";
const DURABLE = "C";
export const ACK_WAIT_MS = Number(process.env.ACK_WAIT_MS ?? 3000);

export async function createStream(link: Link): Promise<void> {
  const jsm = await jetstreamManager(link.nc);
  await jsm.streams.add({ name: STREAM, subjects: ["crash.>"] });
  await jsm.consumers.add(STREAM, { durable_name: DURABLE, ack_policy: AckPolicy.Explicit, ack_wait: nanos(ACK_WAIT_MS) });
}

export class Consumer {
  /** Times the consume iterator ended on its own. */
  restarts = 0;
  #running = true;
  #stop: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(readonly link: Link, readonly ledger: Ledger) {
    this.done = this.#run();
  }

  async #run(): Promise<void> {
    const js = jetstream(this.link.nc);
    while (this.#running) {
      try {
        const c = await js.consumers.get(STREAM, DURABLE);
        const msgs = await c.consume({ max_messages: 512 });
        this.#stop = () => void msgs.stop();
        for await (const m of msgs) {
          this.ledger.delivered(decodePayload(m.data), m.seq, m.redelivered);
          m.ack();
        }
      } catch {
        // Counted below; the next attempt comes after a pause.
      }
      if (!this.#running) return;
      this.restarts++;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stop?.();
    await this.done;
  }
}
