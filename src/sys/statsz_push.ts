/**
 * `$SYS.SERVER.<id>.STATSZ` pushes on nats-server 2.9.10's schedule: the first 250 ms after start, then each
 * interval twice the last until 30 s, and 30 s from then on. Built only when someone listens.
 */
const FIRST_MS = 250;
const MAX_MS = 30_000;

export class StatszPush {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private interval = FIRST_MS;

  constructor(private readonly send: () => void) {
    this.arm();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.interval = Math.min(this.interval * 2, MAX_MS);
      this.arm();
      this.send();
    }, this.interval);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
