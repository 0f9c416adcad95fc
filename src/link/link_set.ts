/**
 * What every set of server-to-server links (leaf nodes, routes) does alike as the ConnectionHost of its
 * connections: it lends them the server's options, logger and flush queue, keeps the traffic of links that
 * have closed so /varz totals never go backwards, and closes links whose peer stopped reading for
 * write_deadline, as the server does for clients.
 */
import type { ServerOptions } from "../config/options.ts";
import { CloseReason } from "../connection/close_reason.ts";
import type { Connection, ConnectionHost } from "../connection/connection.ts";
import type { Logger } from "../log/logger.ts";
import type { Router } from "../routing/router.ts";
import type { Runtime } from "../runtime/types.ts";

/** How often stalled links are checked against write_deadline. */
const DEADLINE_SWEEP_MS = 1000;

/** What a link set needs from the server. */
export interface LinkSetHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly runtime: Runtime;
  readonly router: Router;
  readonly stallThreshold: number;
  slowConsumers: number;
  queueFlush(c: Connection): void;
  flushPending(): void;
}

export interface LinkTotals {
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

export abstract class LinkSet<H extends LinkSetHost> implements ConnectionHost {
  private readonly gone: LinkTotals = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };
  private sweepTimer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly srv: H) {}

  /** The connections of the links open now, handshakes included. */
  protected abstract connections(): Iterable<Connection>;

  abstract connectionClosed(c: Connection): void;

  get options(): ServerOptions {
    return this.srv.options;
  }

  get log(): Logger {
    return this.srv.log;
  }

  get router(): Router {
    return this.srv.router;
  }

  get runtime(): Runtime {
    return this.srv.runtime;
  }

  get stallThreshold(): number {
    return this.srv.stallThreshold;
  }

  get slowConsumers(): number {
    return this.srv.slowConsumers;
  }

  set slowConsumers(n: number) {
    this.srv.slowConsumers = n;
  }

  queueFlush(c: Connection): void {
    this.srv.queueFlush(c);
  }

  flushPending(): void {
    this.srv.flushPending();
  }

  /** Message and byte counters of every link, open and closed (they count in /varz as in nats-server). */
  totals(): LinkTotals {
    const t = { ...this.gone };
    for (const link of this.connections()) {
      t.inMsgs += link.inMsgs;
      t.outMsgs += link.outMsgs;
      t.inBytes += link.inBytes;
      t.outBytes += link.outBytes;
    }
    return t;
  }

  /** A closed link's traffic stays in the totals. */
  protected countClosed(link: Connection): void {
    this.gone.inMsgs += link.inMsgs;
    this.gone.outMsgs += link.outMsgs;
    this.gone.inBytes += link.inBytes;
    this.gone.outBytes += link.outBytes;
  }

  protected startDeadlineSweep(): void {
    this.sweepTimer = setInterval(() => this.sweepStalled(), DEADLINE_SWEEP_MS);
  }

  protected stopDeadlineSweep(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** A link whose peer has not taken our writes for write_deadline is a slow consumer, as a client would be. */
  private sweepStalled(): void {
    const deadline = this.options.write_deadline;
    const now = Date.now();
    for (const link of this.connections()) {
      if (link.stalledSince !== 0 && now - link.stalledSince > deadline) link.slowConsumer(CloseReason.slowConsumerDeadline);
    }
  }
}
