/**
 * Log lines in nats-server's format: `[pid] 2006/01/02 15:04:05.000000 [INF] message`.
 * The sink is injected so the core never names a runtime's stdio; `debug`/`trace` are plain fields because the
 * hot path checks them per message.
 */
import { wallClockMs } from "./clock.ts";

export type LogSink = ((line: string) => void) & {
  /** Present on file sinks: reopen the file (SIGUSR1). */
  reopen?: () => void;
};

export interface LoggerOptions {
  pid: number;
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  logtimeUTC: boolean;
  sink: LogSink;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** How many warnings and errors `recent` keeps. */
const RECENT_PROBLEMS = 20;

export class Logger {
  debug: boolean;
  trace: boolean;
  /** Fields, not options: a config reload changes them. */
  logtime: boolean;
  logtimeUTC: boolean;
  private readonly prefix: string;
  /** The last warnings and errors with their time, oldest first: the dashboard shows them without the log file. */
  readonly recent: string[] = [];

  constructor(private readonly o: LoggerOptions) {
    this.debug = o.debug;
    this.trace = o.trace;
    this.logtime = o.logtime;
    this.logtimeUTC = o.logtimeUTC;
    this.prefix = `[${o.pid}] `;
  }

  private stamp(): string {
    if (!this.logtime) return "";
    const nowMs = wallClockMs();
    const d = new Date(Math.floor(nowMs));
    const micros = Math.floor((nowMs % 1000) * 1000);
    const utc = this.logtimeUTC;
    const y = utc ? d.getUTCFullYear() : d.getFullYear();
    const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
    const da = utc ? d.getUTCDate() : d.getDate();
    const h = utc ? d.getUTCHours() : d.getHours();
    const mi = utc ? d.getUTCMinutes() : d.getMinutes();
    const s = utc ? d.getUTCSeconds() : d.getSeconds();
    return `${y}/${pad(mo, 2)}/${pad(da, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(micros, 6)} `;
  }

  private write(level: string, msg: string): void {
    this.o.sink(`${this.prefix}${this.stamp()}[${level}] ${msg}`);
  }

  private problem(level: string, msg: string): void {
    // Stamped even without logtime: a dashboard line needs its time.
    const line = `${new Date().toISOString()} [${level}] ${msg}`;
    this.recent.push(line);
    if (this.recent.length > RECENT_PROBLEMS) this.recent.shift();
    this.write(level, msg);
  }

  notice(msg: string): void {
    this.write("INF", msg);
  }
  warn(msg: string): void {
    this.problem("WRN", msg);
  }
  error(msg: string): void {
    this.problem("ERR", msg);
  }
  fatal(msg: string): void {
    this.problem("FTL", msg);
  }
  debugf(msg: string): void {
    if (this.debug) this.write("DBG", msg);
  }
  tracef(msg: string): void {
    if (this.trace) this.write("TRC", msg);
  }

  /** SIGUSR1: reopens the log file after logrotate moved it (nats-server's ReOpenLogFile). */
  reopen(): void {
    const reopen = this.o.sink.reopen;
    if (reopen === undefined) {
      this.notice("File log re-open ignored, not a file logger");
      return;
    }
    reopen();
    this.notice("File log re-opened");
  }
}
