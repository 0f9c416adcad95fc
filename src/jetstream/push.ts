/**
 * Push consumer plumbing: the status messages nats-server sends to a deliver subject (flow control requests
 * and idle heartbeats, consumer.go `sendFlowControl`/`sendIdleHeartbeat`) and the flow control window.
 */
import { statusHeader } from "./headers.ts";

/** Bytes delivered between flow control requests; a second window is not started until the first is answered. */
export const FC_WINDOW_BYTES = 256 * 1024;

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
 * Flow control: after a window of bytes a `100 FlowControl Request` goes out with a reply subject; the
 * consumer stalls once another window is delivered before the client answered it.
 */
export class FlowControl {
  #bytes = 0;
  #serial = 0;
  /** The reply subject of the unanswered request, if any. */
  outstanding: string | null = null;

  constructor(readonly replyPrefix: string) {}

  get stalled(): boolean {
    return this.outstanding !== null && this.#bytes >= FC_WINDOW_BYTES;
  }

  /** Counts a delivery; returns the reply subject of a flow control request to send now, or null. */
  delivered(size: number): string | null {
    this.#bytes += size;
    if (this.outstanding !== null || this.#bytes < FC_WINDOW_BYTES) return null;
    this.#bytes = 0;
    this.outstanding = `${this.replyPrefix}.${++this.#serial}`;
    return this.outstanding;
  }

  /** The client answered `subject`; true when that lifts the outstanding request. */
  answered(subject: string): boolean {
    if (subject !== this.outstanding) return false;
    this.outstanding = null;
    return true;
  }
}
