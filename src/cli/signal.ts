/**
 * Signals: `--signal <cmd>[=<pid|pidfile>]` sends nats-server's signal commands to a running server, and
 * trapSignals makes a running server act on them.
 */
import process from "node:process";
import fs from "node:fs";
import type { SignalRequest } from "../config/flags.ts";
import type { ServerOptions } from "../config/options.ts";
import type { Server } from "../server/server.ts";

/** nats-server's mapping of --signal commands to Unix signals (server/signal.go). */
const SIGNAL_OF = {
  stop: "SIGKILL",
  quit: "SIGINT",
  term: "SIGTERM",
  reopen: "SIGUSR1",
  reload: "SIGHUP",
  ldm: "SIGUSR2",
} as const;

/** Resolves the target: a PID, or a file holding one (what -P/pid_file wrote). */
function resolvePid(target: string): number {
  if (/^\d+$/.test(target)) return Number(target);
  const text = fs.readFileSync(target, "utf8").trim();
  if (!/^\d+$/.test(text)) throw new Error(`pid file ${JSON.stringify(target)} does not hold a PID`);
  return Number(text);
}

export function sendSignal(req: SignalRequest): void {
  if (req.pid === undefined) throw new Error("--signal needs a target: --signal <cmd>=<pid or pid file>");
  const sig = SIGNAL_OF[req.command as keyof typeof SIGNAL_OF];
  if (sig === undefined) throw new Error(`unknown signal ${JSON.stringify(req.command)}`);
  process.kill(resolvePid(req.pid), sig);
}

/** What the signal handlers act on: the running server, and how to reload its configuration. */
export interface SignalTarget {
  server: Server;
  /** Loads the configuration again (config file, then the command-line flags on top). */
  loadOptions(): ServerOptions;
}

/**
 * nats-server's handleSignals (server/signal.go): SIGINT stops; SIGTERM stops unless lame duck mode is already
 * draining; SIGHUP reloads the config file; SIGUSR1 reopens the log file; SIGUSR2 enters lame duck mode.
 * Installed before the server starts (a signal must not kill a process that is still starting, as a
 * runtime's default action would); `attach` hands over the started server. Until then SIGINT and SIGTERM
 * exit and the other signals are ignored.
 */
export function trapSignals(): { attach(t: SignalTarget): void } {
  let target: SignalTarget | null = null;
  const on = (sig: NodeJS.Signals, act: (t: SignalTarget) => void, early: () => void = () => {}) => {
    process.on(sig, () => (target === null ? early() : act(target)));
  };
  const exit = () => process.exit(0);
  on("SIGINT", (t) => void t.server.shutdown(), exit);
  on("SIGTERM", (t) => {
    if (!t.server.lifecycle.lameDuck) void t.server.shutdown();
  }, exit);
  on("SIGHUP", (t) => void reload(t));
  on("SIGUSR1", (t) => t.server.log.reopen());
  // Reload and lame duck code is loaded when the signal comes: most servers never get one.
  on("SIGUSR2", (t) => void import("../server/lame_duck.ts").then((m) => m.enterLameDuck(t.server)));
  return {
    attach(t) {
      target = t;
    },
  };
}

async function reload(t: SignalTarget): Promise<void> {
  const srv = t.server;
  try {
    if (!srv.options.config_file) throw new Error("can only reload config when a file is provided using -c or --config");
    await (await import("../server/reload.ts")).reloadOptions(srv, t.loadOptions());
  } catch (err) {
    srv.log.error(`Failed to reload server configuration: ${err instanceof Error ? err.message : String(err)}`);
  }
}
