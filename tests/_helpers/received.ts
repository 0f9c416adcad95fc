/**
 * The text a raw test connection has received, and the tests waiting on it: every wait is on something
 * arriving on the wire (or the connection closing), never on time, except for the failure timeout.
 */
export class Received {
  text = "";
  closed = false;
  private waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  private closeWaiters: (() => void)[] = [];

  constructor(private readonly defaultMs: number) {}

  append(s: string): void {
    this.text += s;
    this.waiters = this.waiters.filter((w) => {
      if (w.test(this.text)) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const ws = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of ws) w();
  }

  /** Calls `cb` once the connection is closed (at once if it already is). */
  onceClosed(cb: () => void): void {
    if (this.closed) cb();
    else this.closeWaiters.push(cb);
  }

  /** Resolves when `pred` holds for the received text (checked on every read). Rejects after `ms`. */
  waitUntil(pred: (received: string) => boolean, what: string, ms = this.defaultMs): Promise<string> {
    if (pred(this.text)) return Promise.resolve(this.text);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text.slice(-2000))}`)), ms);
      this.waiters.push({
        test: pred,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.text);
        },
      });
    });
  }

  /** Resolves when the received text contains `needle` (string or regex). Rejects after `ms`. */
  waitFor(needle: string | RegExp, ms = this.defaultMs): Promise<string> {
    const test = (s: string) => (typeof needle === "string" ? s.includes(needle) : needle.test(s));
    return this.waitUntil(test, String(needle), ms);
  }

  waitClosed(ms = this.defaultMs): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection not closed; got ${JSON.stringify(this.text.slice(-2000))}`)), ms);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** What every raw test connection offers on top of its socket: the received text and the waits on it. */
export abstract class ReceivingConn {
  protected readonly rx: Received;

  protected constructor(defaultMs: number) {
    this.rx = new Received(defaultMs);
  }

  protected onData(s: string): void {
    this.rx.append(s);
  }

  protected onClose(): void {
    this.rx.markClosed();
  }

  get closed(): boolean {
    return this.rx.closed;
  }

  /** Everything received so far. */
  get received(): string {
    return this.rx.text;
  }

  /** Resolves when the received text contains `needle` (string or regex). Rejects after `ms`. */
  waitFor(needle: string | RegExp, ms?: number): Promise<string> {
    return this.rx.waitFor(needle, ms);
  }

  /** Resolves when `pred` holds for the received text (checked on every read). Rejects after `ms`. */
  waitUntil(pred: (received: string) => boolean, what: string, ms?: number): Promise<string> {
    return this.rx.waitUntil(pred, what, ms);
  }

  waitClosed(ms?: number): Promise<void> {
    return this.rx.waitClosed(ms);
  }

  clear(): void {
    this.rx.text = "";
  }
}
