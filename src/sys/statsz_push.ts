/**
 * `$SYS.SERVER.<id>.STATSZ` pushes on nats-server 2.9.10's schedule: the first 250 ms after start, then each
 * interval twice the last until 30 s, and 30 s from then on. Built only when someone listens.
 */
import { RUNTIME_TIMERS, type Timers } from "./timers.ts";

const FIRST_MS = 250;
const MAX_MS = 30_000;

export class StatszPush {
  private timer: unknown = null;
  private interval = FIRST_MS;

  constructor(private readonly send: () => void, private readonly timers: Timers = RUNTIME_TIMERS) {
    this.arm();
  }

  stop(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = this.timers.set(() => {
      this.interval = Math.min(this.interval * 2, MAX_MS);
      this.arm();
      this.send();
    }, this.interval);
  }
}
