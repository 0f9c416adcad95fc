/**
 * Store writes an acknowledgement waits for. A PUBLISH is routed synchronously; the persistent sessions it
 * reaches store it asynchronously. The publisher gets its PUBACK (PUBREC for QoS 2) only once every one of
 * those writes is done, so that what was acknowledged survives kill -9.
 */
export class Writes {
  private open: Promise<unknown>[] | null = null;

  constructor(private readonly onError: (e: Error) => void) {}

  /** A write made while `during` runs; outside one it is only watched for failure. */
  add(p: Promise<unknown>): void {
    if (this.open !== null) this.open.push(p);
    else p.catch((e) => this.onError(e as Error));
  }

  /** Runs `fn`; the writes it made, as one promise, or null when it made none. */
  during(fn: () => void): Promise<void> | null {
    const outer = this.open;
    const mine: Promise<unknown>[] = [];
    this.open = mine;
    try {
      fn();
    } finally {
      this.open = outer;
    }
    if (mine.length === 0) return null;
    outer?.push(...mine);
    return Promise.all(mine).then(() => undefined);
  }
}
