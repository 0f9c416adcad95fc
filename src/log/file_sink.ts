/**
 * The `-l` / log_file sink: appends lines to a file, reopens it on SIGUSR1 (after logrotate moved it), and
 * rotates it itself once it passes log_size_limit, with nats-server's backup naming
 * `<file>.YYYY.MM.DD.HH.MM.SS.nnnnnnnnn` and its "Rotated log, backup saved as" line in the new file.
 */
import { nodeFs } from "../runtime/lazy_fs.ts";
import type { LogSink } from "./logger.ts";
import { wallClockMs } from "./clock.ts";

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** nats-server's backup name: local time down to the nanosecond (here, the sub-millisecond clock). */
export function backupName(file: string, nowMs: number): string {
  const d = new Date(Math.floor(nowMs));
  const ns = Math.floor((nowMs % 1000) * 1e6);
  return `${file}.${d.getFullYear()}.${pad(d.getMonth() + 1, 2)}.${pad(d.getDate(), 2)}.${pad(d.getHours(), 2)}.${pad(d.getMinutes(), 2)}.${pad(d.getSeconds(), 2)}.${pad(ns, 9)}`;
}

/** Lines are "[pid] date time [LVL] msg": the rotation notice reuses the prefix of the line that triggered it. */
const LEVEL = /^(.*?)\[(?:INF|DBG|WRN|ERR|FTL|TRC)\] /;

export function fileSink(file: string, sizeLimit = 0): LogSink {
  const fs = nodeFs();
  let fd = fs.openSync(file, "a");
  let size = fs.fstatSync(fd).size;
  const encoder = new TextEncoder();

  const write = (text: string): void => {
    const bytes = encoder.encode(text);
    fs.writeSync(fd, bytes);
    size += bytes.length;
  };

  const rotate = (trigger: string): void => {
    fs.closeSync(fd);
    const bak = backupName(file, wallClockMs());
    fs.renameSync(file, bak);
    fd = fs.openSync(file, "a");
    size = 0;
    const prefix = LEVEL.exec(trigger)?.[1] ?? "";
    write(`${prefix}[INF] Rotated log, backup saved as ${JSON.stringify(bak)}\n`);
  };

  const sink: LogSink = (line) => {
    write(line + "\n");
    if (sizeLimit > 0 && size > sizeLimit) rotate(line);
  };
  sink.reopen = () => {
    fs.closeSync(fd);
    fd = fs.openSync(file, "a");
    size = fs.fstatSync(fd).size;
  };
  return sink;
}
