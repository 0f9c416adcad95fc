/** `--signal <cmd>[=<pid|pidfile>]`: nats-server's signal commands, sent to a running server. */
import process from "node:process";
import fs from "node:fs";
import type { SignalRequest } from "./flags.ts";

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
