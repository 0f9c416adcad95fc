/**
 * natsedge's embedding API: start a NATS server inside a Bun or Deno program.
 *
 * @example
 * ```ts
 * import { startServer } from "natsedge";
 * const srv = await startServer({ port: -1 });
 * console.log(srv.port);
 * await srv.close();
 * ```
 */
import process from "node:process";
import { writeSync } from "node:fs";
import { defaultOptions, type ServerOptions } from "./src/config/options.ts";
import { Logger, type LogSink } from "./src/log/logger.ts";
import { detectRuntime } from "./src/runtime/mod.ts";
import { Server } from "./src/server/server.ts";

export type { ServerOptions } from "./src/config/options.ts";
export { Server } from "./src/server/server.ts";

export interface StartOptions extends Partial<ServerOptions> {
  /** Where log lines go; default stderr. Pass `() => {}` to silence the server. */
  logSink?: LogSink;
}

export interface ServerHandle {
  readonly server: Server;
  /** The bound client port (useful with port -1, which picks a free one). */
  readonly port: number;
  readonly host: string;
  /** Resolves once the server accepts connections (already resolved when startServer returns). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Synchronous writes to fd 2: no stream machinery (it costs ~4 MiB of idle memory) and no lost lines on exit. */
const stderrSink: LogSink = (line) => {
  writeSync(2, line + "\n");
};

export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  const { logSink, ...rest } = options;
  const opts: ServerOptions = { ...defaultOptions(), ...rest };
  return startWithOptions(opts, logSink ?? stderrSink);
}

/** Starts a server from fully resolved options (the CLI's path). */
export async function startWithOptions(opts: ServerOptions, sink: LogSink, warnings: string[] = []): Promise<ServerHandle> {
  const log = new Logger({
    pid: process.pid,
    debug: opts.debug,
    trace: opts.trace,
    logtime: opts.logtime,
    logtimeUTC: opts.logtime_utc,
    sink,
  });
  for (const w of warnings) log.warn(w);
  const server = new Server(opts, await detectRuntime(), log);
  const ready = server.start();
  await ready;
  return {
    server,
    port: server.port,
    host: opts.host,
    ready,
    close: () => server.shutdown(),
  };
}
