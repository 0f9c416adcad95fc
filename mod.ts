/**
 * natsedge's embedding API: run a NATS server inside a Bun or Deno program, from an options object or a
 * config string, and talk to it over TCP or, with no socket at all, in process.
 *
 * @example
 * ```ts
 * import { startServer } from "natsedge";
 * const srv = await startServer({ port: -1 });
 * const nc = await srv.connectInProcess();      // the official nats.js client, no socket
 * nc.publish("hello", "world");
 * await nc.close();
 * await srv.close();
 * ```
 *
 * See docs/embedding.md.
 */
import process from "node:process";
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { defaultOptions, type ServerOptions } from "./src/config/options.ts";
import { parseConf } from "./src/config/parser.ts";
import { optionsFromConf } from "./src/config/from_conf.ts";
import { Logger, type LogSink } from "./src/log/logger.ts";
import { detectRuntime } from "./src/runtime/mod.ts";
import { InProcessTransport, pipe, type InProcessSocket } from "./src/runtime/inprocess.ts";
import { Server } from "./src/server/server.ts";
import { nodeFs } from "./src/runtime/lazy_fs.ts";

export type { ServerOptions } from "./src/config/options.ts";
export type { LogSink } from "./src/log/logger.ts";
export type { InProcessSocket } from "./src/runtime/inprocess.ts";
export { InProcessTransport } from "./src/runtime/inprocess.ts";
export { ConfigError } from "./src/config/errors.ts";
export { ReloadError } from "./src/server/reload_error.ts";
export { Server } from "./src/server/server.ts";
export { NATSEDGE_VERSION } from "./src/version.ts";

export interface StartOptions extends Partial<ServerOptions> {
  /** Where log lines go; default stderr. Pass `() => {}` to silence the server. */
  logSink?: LogSink;
  /**
   * A config in nats-server's syntax (what `natsedge -c` reads). Keys given directly in these options win
   * over the config's, as command-line flags do.
   */
  config?: string;
  /** Variables for `$NAME` references in `config` (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** Names the config in error messages and resolves its `include`s (default "<config>", the cwd). */
  configFile?: string;
}

/** A point-in-time view of the server's counters (the subset of /varz an embedder usually wants). */
export interface ServerStats {
  /** Clients connected now, TCP and in-process. */
  connections: number;
  /** Clients accepted since start. */
  totalConnections: number;
  subscriptions: number;
  slowConsumers: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

export interface ServerHandle {
  readonly server: Server;
  /** The bound client port (useful with port -1, which picks a free one). */
  readonly port: number;
  readonly host: string;
  /** Resolves once the server accepts connections (already resolved when startServer returns). */
  readonly ready: Promise<void>;
  /** Config warnings (`file:line:col: ...`) from a `config` string. */
  readonly warnings: readonly string[];
  stats(): ServerStats;
  /**
   * Applies new options to the running server, as a config reload (SIGHUP) does. `options` is laid over the
   * options the server was started with (a `config` given here replaces the original one). Rejects with
   * ReloadError, applying nothing, when an option cannot change at run time (e.g. host or port).
   */
  reload(options?: StartOptions): Promise<void>;
  /**
   * Lame duck mode: stops accepting, closes clients gradually over lame_duck_duration, then shuts down.
   * Resolves when the server has shut down.
   */
  lameDuck(): Promise<void>;
  /** A raw in-process connection speaking the NATS protocol: no socket, same server. */
  connect(): InProcessSocket;
  /**
   * The official nats.js client over an in-process connection. Needs `@nats-io/nats-core` (installed with
   * @nats-io/transport-node or transport-deno). Reconnect is off by default: when this server closes, so
   * does the connection.
   */
  connectInProcess(opts?: ConnectionOptions): Promise<NatsConnection>;
  close(): Promise<void>;
}

/**
 * console.error: synchronous on Bun and Deno (no line lost on exit), and without the megabytes of idle memory
 * that process.stderr or node:fs cost on Bun.
 */
const stderrSink: LogSink = (line) => {
  console.error(line);
};

/** Resolves StartOptions (config string, then direct keys) to full ServerOptions. */
export function resolveOptions(options: StartOptions = {}): { options: ServerOptions; warnings: string[] } {
  const { logSink: _sink, config, env, configFile, ...rest } = options;
  let base = defaultOptions();
  const warnings: string[] = [];
  if (config !== undefined) {
    const file = configFile ?? "<config>";
    const conf = parseConf(config, {
      file,
      env: env ?? process.env,
      readFile: (p) => nodeFs().readFileSync(p, "utf8"),
      warn: (w) => warnings.push(w),
    });
    const mapped = optionsFromConf(conf, base);
    warnings.push(...mapped.warnings);
    base = configFile !== undefined ? { ...mapped.options, config_file: configFile } : mapped.options;
  }
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return { options: { ...base, ...defined }, warnings };
}

/**
 * Starts a server and resolves once it accepts connections.
 * @throws ConfigError for a config string that does not parse; Error when the server cannot start.
 */
export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  const { options: opts, warnings } = resolveOptions(options);
  return startWithOptions(opts, options.logSink ?? stderrSink, warnings, options);
}

/**
 * Starts a server from fully resolved options (the CLI's path). `started`, the options as the embedder gave
 * them, is what reload() lays new options over.
 */
export async function startWithOptions(
  opts: ServerOptions,
  sink: LogSink,
  warnings: string[] = [],
  started: StartOptions = {},
): Promise<ServerHandle> {
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

  const connect = (): InProcessSocket => {
    const p = pipe();
    p.attach(server.acceptConn(p.server));
    return p.client;
  };

  return {
    server,
    port: server.port,
    host: opts.host,
    ready,
    warnings,
    stats(): ServerStats {
      const t = server.lifecycle.totals();
      return {
        connections: server.clients.size,
        totalConnections: server.totalConnections,
        subscriptions: server.router.sublist.count(),
        slowConsumers: server.slowConsumers,
        ...t,
      };
    },
    async reload(next: StartOptions = {}): Promise<void> {
      const { options: resolved, warnings: w } = resolveOptions({ ...started, ...next });
      for (const x of w) log.warn(x);
      await (await import("./src/server/reload.ts")).reloadOptions(server, resolved);
    },
    lameDuck: async () => (await import("./src/server/lame_duck.ts")).enterLameDuck(server),
    connect,
    async connectInProcess(copts: ConnectionOptions = {}): Promise<NatsConnection> {
      const core = await import("@nats-io/nats-core/internal");
      // nats.js keeps one transport factory per process and uses it when a connection dials; the
      // initial dial happens inside connect(), and reconnect is off, so this factory is the one used.
      core.setTransportFactory({ factory: () => new InProcessTransport(connect) });
      return core.NatsConnectionImpl.connect({ reconnect: false, ...copts, servers: "127.0.0.1:4222" });
    },
    close: () => server.shutdown(),
  };
}
