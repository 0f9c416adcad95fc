/**
 * What the server does around its client listener: the ports file, the ring of closed connections and the
 * counters /varz needs, and a promise that settles when the server has shut down (the CLI exits on it after
 * lame duck mode).
 */
import type { Client } from "../client/client.ts";
import { ClosedRing, DEFAULT_MAX_CLOSED_CLIENTS } from "../monitor/closed.ts";
import { snapshot } from "../monitor/conn_info.ts";
import type { MonitorLifecycle, Totals } from "../monitor/host.ts";
import { LEAFNODES, MONITOR, ROUTES } from "./builtin_services.ts";
import { deletePortsFile, writePortsFile } from "./lifecycle_ports.ts";
import type { Server } from "./server.ts";

export class Lifecycle implements MonitorLifecycle {
  readonly startedAt = Date.now();
  configLoadTime = Date.now();
  /** The bound client port, kept after lame duck mode closes the listener (for /varz). */
  clientPort = 0;
  /** The client listener is accepting: false before start, in lame duck mode and after shutdown. */
  listening = false;
  /** Lame duck mode has begun (lame_duck.ts). */
  lameDuck = false;
  readonly closed: ClosedRing;
  /** Request counts per monitoring path (/varz http_req_stats). */
  readonly httpReqStats = new Map<string, number>();
  private portsDir: string | null = null;
  /** Traffic of connections that have closed, so server totals never go backwards. */
  private readonly gone: Totals = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };
  /** The same per account, so an account's totals never go backwards either. */
  private readonly goneByAccount = new Map<string, Totals>();
  private resolveDone!: () => void;
  /** Settles once shutdown has finished. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(private readonly srv: Server) {
    this.closed = new ClosedRing(srv.options.max_closed_clients ?? DEFAULT_MAX_CLOSED_CLIENTS);
  }

  get httpHost(): string {
    return this.srv.services.get(MONITOR)?.host ?? this.srv.options.http_host ?? this.srv.options.host;
  }
  get httpPort(): number {
    return this.srv.services.get(MONITOR)?.httpPort ?? 0;
  }
  get httpsPort(): number {
    return this.srv.services.get(MONITOR)?.httpsPort ?? 0;
  }

  /** Called once the client listener is bound and the services that report it have started. */
  start(clientPort: number): void {
    this.clientPort = clientPort;
    this.listening = true;
    this.movePortsFile(this.srv.options.ports_file_dir);
  }

  /** Writes the ports file into `dir` (none: undefined), removing the one written before, if any. */
  movePortsFile(dir: string | undefined): void {
    if (this.portsDir !== null) deletePortsFile(this.portsDir);
    this.portsDir = null;
    if (dir === undefined) return;
    const host = this.srv.options.host;
    const h = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    const monitor = this.srv.services.get(MONITOR);
    const file = writePortsFile(dir, {
      nats: [`nats://${h}:${this.clientPort}`],
      ...(monitor !== undefined && { monitoring: monitor.urls }),
    });
    this.portsDir = dir;
    this.srv.log.debugf(`Ports file ${file} written`);
  }

  clientClosed(c: Client): void {
    const name = c.account.name;
    let acc = this.goneByAccount.get(name);
    if (acc === undefined) this.goneByAccount.set(name, (acc = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 }));
    for (const t of [this.gone, acc]) {
      t.inMsgs += c.link.inMsgs;
      t.outMsgs += c.link.outMsgs;
      t.inBytes += c.link.inBytes;
      t.outBytes += c.link.outBytes;
    }
    this.closed.add(snapshot(c, Date.now()));
  }

  accountTotalsGone(account: string): Totals | undefined {
    return this.goneByAccount.get(account);
  }

  totals(): Totals {
    const t = { ...this.gone };
    for (const c of this.srv.clients.values()) {
      t.inMsgs += c.link.inMsgs;
      t.outMsgs += c.link.outMsgs;
      t.inBytes += c.link.inBytes;
      t.outBytes += c.link.outBytes;
    }
    // Leaf and route traffic counts in the server's totals, as in nats-server.
    for (const links of [this.srv.services.get(LEAFNODES)?.totals(), this.srv.services.get(ROUTES)?.totals()]) {
      if (links === undefined) continue;
      t.inMsgs += links.inMsgs;
      t.outMsgs += links.outMsgs;
      t.inBytes += links.inBytes;
      t.outBytes += links.outBytes;
    }
    return t;
  }

  /** After the client listener closed and the services stopped: remove the ports file, settle `done`. */
  async stop(): Promise<void> {
    this.listening = false;
    this.movePortsFile(undefined);
    this.resolveDone();
  }
}
