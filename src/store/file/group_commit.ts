/**
 * Group commit. Everything a store changes in one tick is written by one `write()` in a microtask; the
 * promises handed out in that tick resolve after that write (a process crash cannot lose them) or, with
 * sync "always", after an fsync that started after it (one fsync covers every write waiting for it, and only
 * one runs at a time). Otherwise a timer fsyncs every `intervalMs` when something was written.
 */
import { fsync } from "node:fs";

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface GroupCommitHooks {
  readonly always: boolean;
  readonly intervalMs: number;
  /** Writes everything pending; throws on failure. Returns whether anything was written. */
  readonly write: () => boolean;
  /** The descriptor an fsync must cover (the segment being written). */
  readonly fd: () => number;
  /** Called once a batch is durable: the store's housekeeping (unlinking emptied segments …). */
  readonly durable: () => void;
  /** Turns an I/O error into the error every later operation fails with. */
  readonly failed: (err: unknown) => Error;
}

export class GroupCommit {
  readonly #h: GroupCommitHooks;
  #batch: Deferred | null = null;
  #waiting: Deferred[] = [];
  #fsyncing = false;
  #dirty = false;
  #idle: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #error: Error | null = null;
  #closed = false;

  constructor(h: GroupCommitHooks) {
    this.#h = h;
    if (!h.always) {
      this.#timer = setInterval(() => this.#syncNow(), h.intervalMs);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  get error(): Error | null {
    return this.#error;
  }

  /** Resolves when what was changed so far is written (and, with "always", synced). */
  commit(): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#batch === null) {
      this.#batch = deferred();
      queueMicrotask(() => this.#run());
    }
    return this.#batch.promise;
  }

  /** Like commit() but schedules nothing when nothing is pending. */
  settled(): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#batch !== null) return this.#batch.promise;
    if (this.#waiting.length > 0) return this.#waiting[this.#waiting.length - 1].promise;
    return Promise.resolve();
  }

  /** Stops the timer and waits for an fsync in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#fsyncing) await new Promise<void>((r) => this.#idle.push(r));
  }

  #run(): void {
    const batch = this.#batch!;
    this.#batch = null;
    if (this.#error !== null) return batch.reject(this.#error);
    try {
      if (this.#h.write()) this.#dirty = true;
    } catch (err) {
      this.#error ??= this.#h.failed(err);
      return batch.reject(this.#error);
    }
    if (this.#h.always) {
      this.#waiting.push(batch);
      this.#fsyncNext();
    } else {
      batch.resolve();
      if (!this.#closed) this.#h.durable();
    }
  }

  #fsyncNext(): void {
    if (this.#fsyncing || this.#waiting.length === 0) return;
    const waiters = this.#waiting;
    this.#waiting = [];
    this.#sync((err) => {
      for (const w of waiters) err === null ? w.resolve() : w.reject(this.#error);
      if (err === null && !this.#closed) this.#h.durable();
    });
  }

  #syncNow(): void {
    if (this.#dirty && !this.#fsyncing && !this.#closed) this.#sync(() => {});
  }

  #sync(done: (err: Error | null) => void): void {
    this.#fsyncing = true;
    this.#dirty = false;
    fsync(this.#h.fd(), (err) => {
      this.#fsyncing = false;
      if (err !== null) this.#error ??= this.#h.failed(err);
      done(err);
      for (const r of this.#idle.splice(0)) r();
      this.#fsyncNext();
    });
  }
}
