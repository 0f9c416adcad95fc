/**
 * Push consumer plumbing: the status messages nats-server sends to a deliver subject (flow control requests
 * and idle heartbeats, consumer.go `sendFlowControl`/`sendIdleHeartbeat`) and the flow control window.
 */
import { statusHeader } from "./headers.ts";

/** nats-server's JsFlowControlMaxPending: the largest window a consumer grows to. */
export const FC_MAX_PENDING_BYTES = 32 * 1024 * 1024;

/**
 * What one push delivery turn sends at most before it yields to the event loop. nats-server delivers from
 * the consumer's own goroutine while the connection's writer drains; on one thread a turn that ran until the
 * flow control window was full (10k-24k messages, 80-380 ms) held back every other connection, timer and
 * reply meanwhile. 64 KiB, 256 KiB and 1 MiB turns measured alike in bench/source_catchup.ts.
 */
export const TURN_BYTES = 256 * 1024;

/**
 * At most one delivery turn scheduled: every wake-up (a stored message, an ack, a flow control reply, interest
 * appearing, a timer) asks for one, and those that come while one is pending are served by it. The flag is
 * cleared before the turn runs, so a wake-up during a turn schedules the next one and none is lost.
 */
export class TurnScheduler {
  #pending: ReturnType<typeof setImmediate> | null = null;

  constructor(private readonly turn: () => void) {}

  ensure(): void {
    if (this.#pending === null) this.#pending = setImmediate(this.#run);
  }

  cancel(): void {
    if (this.#pending !== null) clearImmediate(this.#pending);
    this.#pending = null;
  }

  readonly #run = (): void => {
    this.#pending = null;
    this.turn();
  };
}

export const PushStatus = {
  flowControl: () => statusHeader(100, "FlowControl Request"),
  heartbeat: (dseq: number, sseq: number, stalled: string | null) =>
    statusHeader(100, "Idle Heartbeat", [
      ["Nats-Last-Consumer", dseq],
      ["Nats-Last-Stream", sseq],
      ...(stalled === null ? [] : [["Nats-Consumer-Stalled", stalled] as [string, string]]),
    ]),
};

/**
 * Flow control as nats-server 2.9.10 runs it (consumer.go needFlowControl/processFlowControl): deliveries
 * count their bytes as pending; once half the window is pending a `100 FlowControl Request` goes out with a
 * reply subject, and delivery stops while more than the window is pending. Each answer takes the bytes
 * pending at the request off and doubles the window, from 1/16 of the maximum up to it.
 */
export class FlowControl {
  #window = FC_MAX_PENDING_BYTES / 16;
  #pending = 0;
  /** Pending bytes the outstanding request covers: released when it is answered. */
  #covered = 0;
  #serial = 0;
  /** The reply subject of the unanswered request, if any. */
  outstanding: string | null = null;

  constructor(readonly replyPrefix: string) {}

  get stalled(): boolean {
    return this.#pending > this.#window;
  }

  /** Counts a delivery of `size` bytes; returns the reply subject of a flow control request to send now, or null. */
  delivered(size: number): string | null {
    this.#pending += size;
    if (this.outstanding === null) {
      if (this.#pending <= this.#window / 2) return null;
      this.#covered = this.#pending;
      this.outstanding = `${this.replyPrefix}.${++this.#serial}`;
      return this.outstanding;
    }
    if (this.#pending - this.#covered >= this.#window) this.#covered += size;
    return null;
  }

  /** The client answered `subject`; true when that was the outstanding request. */
  answered(subject: string): boolean {
    if (subject !== this.outstanding) return false;
    this.#window = Math.min(this.#window * 2, FC_MAX_PENDING_BYTES);
    this.#pending = Math.max(0, this.#pending - this.#covered);
    this.#covered = 0;
    this.outstanding = null;
    return true;
  }
}
