/**
 * Where a new subscription starts (nats-streaming-server's setSubStartSequence), as the lastSent it begins
 * from: the next message delivered is the first stored after it. Only messages up to `last`, the newest
 * durable one, count.
 */
import type { StreamStore } from "../store/store.ts";
import { StartPosition } from "./proto.ts";
import { wallClockMs } from "../log/clock.ts";

export function startLastSent(store: StreamStore, last: number, position: number, sequence: bigint, timeDeltaNs: bigint): number {
  if (store.msgCount() === 0) return last;
  const first = store.firstSeq();
  switch (position) {
    case StartPosition.LastReceived:
      return last - 1;
    case StartPosition.TimeDeltaStart:
      return firstAtOrAfter(store, last, wallClockMs() - Number(timeDeltaNs) / 1e6) - 1;
    case StartPosition.SequenceStart: {
      const seq = Number(sequence);
      // Below the first available starts at the first; past the last is new only.
      if (seq > last) return last;
      return Math.max(seq, first) - 1;
    }
    case StartPosition.First:
      return first - 1;
    default:
      return last;
  }
}

/** The first sequence whose timestamp (ms) is at or after `ts`, or last + 1 when none is: a binary search. */
function firstAtOrAfter(store: StreamStore, last: number, ts: number): number {
  let lo = store.firstSeq();
  let hi = last + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const m = store.loadNext(">", mid);
    if (m === null || m.seq > last || m.ts >= ts) hi = mid;
    else lo = m.seq + 1;
  }
  return lo;
}
