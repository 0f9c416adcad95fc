/**
 * Push consumer plumbing: the status messages nats-server sends to a deliver subject (flow control requests
 * and idle heartbeats, consumer.go `sendFlowControl`/`sendIdleHeartbeat`) and the flow control window.
 */
import { statusHeader } from "./headers.ts";

/** nats-server's JsFlowControlMaxPending: the largest window a consumer grows to. */
export const FC_MAX_PENDING_BYTES = 32 * 1024 * 1024;

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
