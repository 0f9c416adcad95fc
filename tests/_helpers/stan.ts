/**
 * The real NATS Streaming client (npm node-nats-streaming 0.3.2, on node-nats 1.x) behind promises, and a
 * collector that resolves once a subscription has seen what a test waits for.
 */
import stan from "node-nats-streaming";

export type Stan = stan.Stan;
export type StanMsg = stan.Message;
export type StanSub = stan.Subscription;

export function stanConnect(port: number, clientID: string, cluster = "test-cluster", opts: stan.StanOptions = {}): Promise<Stan> {
  return new Promise((resolve, reject) => {
    const sc = stan.connect(cluster, clientID, { url: `nats://127.0.0.1:${port}`, reconnect: false, ...opts } as stan.StanOptions);
    sc.once("connect", () => resolve(sc));
    sc.once("error", (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
  });
}

export function stanPublish(sc: Stan, channel: string, data: string | Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    sc.publish(channel, data as string, (err, guid) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(guid)));
  });
}

export function stanClose(sc: Stan): Promise<void> {
  return new Promise((resolve) => {
    sc.once("close", () => resolve());
    sc.close();
  });
}

/** A subscription that records every message and resolves `until(n)` once n have arrived. */
export class Collected {
  readonly msgs: StanMsg[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly sub: StanSub, onMsg?: (m: StanMsg) => void) {
    sub.on("message", (m: StanMsg) => {
      this.msgs.push(m);
      onMsg?.(m);
      this.#waiters = this.#waiters.filter((w) => {
        if (this.msgs.length < w.n) return true;
        w.resolve();
        return false;
      });
    });
  }

  static async subscribe(sc: Stan, channel: string, opts: stan.SubscriptionOptions, queue?: string, onMsg?: (m: StanMsg) => void): Promise<Collected> {
    const sub = queue === undefined ? sc.subscribe(channel, opts) : sc.subscribe(channel, queue, opts);
    const c = new Collected(sub, onMsg);
    await new Promise<void>((resolve, reject) => {
      sub.once("ready", () => resolve());
      sub.once("error", (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
    });
    return c;
  }

  until(n: number, ms = 10_000): Promise<void> {
    if (this.msgs.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.msgs.length} of ${n} messages: ${this.texts().join(",")}`)), ms);
      this.#waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  texts(): string[] {
    return this.msgs.map((m) => String(m.getData()));
  }

  seqs(): number[] {
    return this.msgs.map((m) => m.getSequence());
  }
}
