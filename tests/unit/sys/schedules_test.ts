// The system account's schedules on a clock the test moves: STATSZ pushes 250 ms after start, each interval
// twice the last up to 30 s (nats-server 2.9.10's heartbeatStatsz), and an account's CONNS events on connect
// and close with a 30 s heartbeat while it has connections (sendAccConnsUpdate and its timer).
import { expect, test } from "bun:test";
import { AccountConns, EVENTS_HB_INTERVAL_MS } from "../../../src/sys/account_conns.ts";
import { Envelope } from "../../../src/sys/envelope.ts";
import type { SysHost } from "../../../src/sys/host.ts";
import { StatszPush } from "../../../src/sys/statsz_push.ts";
import type { Timers } from "../../../src/sys/timers.ts";

/** Timers that fire only when the test advances the clock, in the order they are due. */
class Clock implements Timers {
  now = 0;
  private next = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  set(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get pending(): number {
    return this.due.size;
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.due) if (e[1].at <= end && (first === undefined || e[1].at < first[1].at)) first = e;
      if (first === undefined) break;
      this.due.delete(first[0]);
      this.now = first[1].at;
      first[1].fn();
    }
    this.now = end;
  }
}

test("STATSZ is pushed at 250 ms, then at intervals doubling to 30 s and staying there", () => {
  const clock = new Clock();
  const at: number[] = [];
  const push = new StatszPush(() => void at.push(clock.now), clock);
  clock.advance(200_000);
  const gaps = at.map((t, i) => t - (at[i - 1] ?? 0));
  expect(gaps.slice(0, 10)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  push.stop();
  expect(clock.pending).toBe(0);
});

/** A server with `clients`, as far as the CONNS events read it. */
function host(clients: Map<number, unknown>): SysHost {
  return {
    name: "srv",
    id: "NSRV",
    options: { host: "127.0.0.1" },
    clients,
    jetstream: () => null,
    leafz: () => [],
    clusterVarz: () => ({}),
    lifecycle: { accountTotalsGone: () => undefined },
  } as unknown as SysHost;
}

const client = (account: string) => ({ account: { name: account }, link: { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 } });

test("an account's CONNS events go out on connect and close, and every 30 s while it has connections", () => {
  const clock = new Clock();
  const clients = new Map<number, unknown>();
  const srv = host(clients);
  const sent: { subject: string; conns: number; at: number }[] = [];
  const conns = new AccountConns(srv, new Envelope(srv), (subject, body) => {
    sent.push({ subject, conns: (body as { conns: number }).conns, at: clock.now });
  }, () => true, clock);

  clients.set(1, client("A"));
  conns.connected("A");
  expect(sent.map((s) => [s.subject, s.conns])).toEqual([["$SYS.SERVER.ACCOUNT.A.CONNS", 1], ["$SYS.ACCOUNT.A.SERVER.CONNS", 1]]);

  sent.length = 0;
  clock.advance(EVENTS_HB_INTERVAL_MS - 1);
  expect(sent).toEqual([]);
  clock.advance(1);
  expect(sent.map((s) => s.conns)).toEqual([1, 1]);

  // A connect in between restarts the heartbeat from then.
  sent.length = 0;
  clock.advance(10_000);
  clients.set(2, client("A"));
  conns.connected("A");
  clock.advance(EVENTS_HB_INTERVAL_MS);
  expect(sent.map((s) => [s.at, s.conns])).toEqual([[40_000, 2], [40_000, 2], [70_000, 2], [70_000, 2]]);

  // The last connection gone: one event with no connections, and no heartbeat after it.
  sent.length = 0;
  clients.clear();
  conns.closed("A");
  conns.closed("A");
  expect(sent.map((s) => s.conns)).toEqual([0, 0, 0, 0]);
  sent.length = 0;
  clock.advance(10 * EVENTS_HB_INTERVAL_MS);
  expect(sent).toEqual([]);
  expect(clock.pending).toBe(0);
});

test("a CONNS request is answered only for an account with connections here", () => {
  const clock = new Clock();
  const clients = new Map<number, unknown>([[1, client("A")]]);
  const srv = host(clients);
  const sent: string[] = [];
  const conns = new AccountConns(srv, new Envelope(srv), (subject) => void sent.push(subject), () => false, clock);
  conns.connected("A");
  conns.request("A", "_INBOX.a");
  conns.request("B", "_INBOX.b");
  expect(sent).toEqual(["_INBOX.a"]);
  conns.stop();
  expect(clock.pending).toBe(0);
});

test("connections there before the services started are counted without an event, and get the heartbeat", () => {
  const clock = new Clock();
  const clients = new Map<number, unknown>([[1, client("A")]]);
  const srv = host(clients);
  const sent: string[] = [];
  const conns = new AccountConns(srv, new Envelope(srv), (subject) => void sent.push(subject), () => true, clock);
  conns.adopt("A");
  expect(sent).toEqual([]);
  conns.request("A", "_INBOX.a");
  expect(sent).toEqual(["_INBOX.a"]);
  clock.advance(EVENTS_HB_INTERVAL_MS);
  expect(sent.slice(1)).toEqual(["$SYS.SERVER.ACCOUNT.A.CONNS", "$SYS.ACCOUNT.A.SERVER.CONNS"]);
  conns.stop();
});
