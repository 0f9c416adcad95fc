import type { Endpoint } from "./endpoint.ts";

const encoder = new TextEncoder();

/** A client's subscription, as stored in the sublist. */
export class Subscription {
  /** The sid as bytes, pre-encoded because every delivered MSG carries it. */
  readonly sidBytes: Uint8Array;
  /** Auto-unsubscribe limit (UNSUB <sid> <max>); 0 means none. */
  max = 0;
  delivered = 0;
  /** A remote queue subscription stands for this many members of its group (the LS+ weight). */
  weight = 1;

  constructor(
    readonly client: Endpoint,
    readonly subject: string,
    readonly queue: string | null,
    readonly sid: string,
  ) {
    this.sidBytes = encoder.encode(sid);
  }
}
