/**
 * nats-server 2.9.10's account connection events (AccountNumConns, `io.nats.server.advisory.v1.account_connections`):
 * sent on `$SYS.ACCOUNT.<acc>.SERVER.CONNS` and the older `$SYS.SERVER.ACCOUNT.<acc>.CONNS` when an account's
 * client connects or leaves, again every 30 s while the account has connections (the heartbeat), and to the
 * reply subject of a `$SYS.REQ.ACCOUNT.<acc>.CONNS` request when the account has connections here. The
 * counts are kept here so that a connect or close costs no scan of the clients; the event is built only when
 * someone listens.
 */
import { accountStatz } from "../monitor/accstatz.ts";
import { rfc3339 } from "../monitor/format.ts";
import { nuid } from "../protocol/nuid.ts";
import type { Envelope } from "./envelope.ts";
import type { SysHost } from "./host.ts";
import { RUNTIME_TIMERS, type Timers } from "./timers.ts";

/** nats-server's eventsHBInterval. */
export const EVENTS_HB_INTERVAL_MS = 30_000;

type Publish = (subject: string, body: object) => void;

export class AccountConns {
  private readonly conns = new Map<string, number>();
  private readonly heartbeats = new Map<string, unknown>();

  constructor(
    private readonly srv: SysHost,
    private readonly env: Envelope,
    private readonly publish: Publish,
    private readonly hasInterest: (subject: string) => boolean,
    private readonly timers: Timers = RUNTIME_TIMERS,
  ) {}

  /** A connection that was there before these services started (a reload brought the system account): counted, no event. */
  adopt(account: string): void {
    this.conns.set(account, (this.conns.get(account) ?? 0) + 1);
    this.rearm(account);
  }

  connected(account: string): void {
    this.conns.set(account, (this.conns.get(account) ?? 0) + 1);
    this.update(account);
  }

  closed(account: string): void {
    const n = (this.conns.get(account) ?? 1) - 1;
    if (n > 0) this.conns.set(account, n);
    else this.conns.delete(account);
    this.update(account);
  }

  /** The answer to `$SYS.REQ.ACCOUNT.<acc>.CONNS`; nats-server stays silent for an account without connections. */
  request(account: string, reply: string): void {
    if (!this.conns.has(account)) return;
    this.publish(reply, this.event(account));
    this.rearm(account);
  }

  stop(): void {
    for (const t of this.heartbeats.values()) this.timers.clear(t);
    this.heartbeats.clear();
  }

  /** Sends the account's counts on both subjects, then restarts its heartbeat, or ends it with its last connection. */
  private update(account: string): void {
    const subjects = [`$SYS.SERVER.ACCOUNT.${account}.CONNS`, `$SYS.ACCOUNT.${account}.SERVER.CONNS`].filter(this.hasInterest);
    if (subjects.length > 0) {
      const ev = this.event(account);
      for (const s of subjects) this.publish(s, ev);
    }
    this.rearm(account);
  }

  private rearm(account: string): void {
    const t = this.heartbeats.get(account);
    if (t !== undefined) this.timers.clear(t);
    if (!this.conns.has(account)) {
      this.heartbeats.delete(account);
      return;
    }
    this.heartbeats.set(account, this.timers.set(() => this.update(account), EVENTS_HB_INTERVAL_MS));
  }

  private event(account: string): object {
    const { acc, ...stats } = accountStatz(this.srv, account);
    return {
      type: "io.nats.server.advisory.v1.account_connections",
      id: nuid(),
      timestamp: rfc3339(Date.now()),
      server: this.env.server(),
      acc,
      ...stats,
    };
  }
}
