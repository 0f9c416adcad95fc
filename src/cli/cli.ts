/**
 * The command line: nats-server's flags and config file, then a server started through the embedding API.
 * Returns the process exit code, or undefined once a server is running (it exits on SIGINT/SIGTERM).
 */
import process from "node:process";
import { loadOptions } from "../config/load.ts";
import { ConfigError } from "../config/errors.ts";
import { FlagError } from "../config/flags.ts";
import { TLS_USAGE, USAGE } from "./usage.ts";
import { sendSignal, trapSignals } from "./signal.ts";
import { startWithOptions } from "../../mod.ts";
import { versionLine } from "../version.ts";
import { detectRuntime } from "../runtime/mod.ts";
import type { LogSink } from "../log/logger.ts";
import { fileSink } from "../log/file_sink.ts";
import { nodeFs } from "../runtime/lazy_fs.ts";
import { startIdleTrim, useMemoryTarget } from "../runtime/memory.ts";

const EXE = "natsedge";

/** console.error rather than node:fs or process.stderr: both cost megabytes of idle memory on Bun, and
 * console.error writes synchronously on Bun and Deno, so no line is lost on process.exit. */
function stderr(s: string): void {
  console.error(s.endsWith("\n") ? s.slice(0, -1) : s);
}

function logSink(file: string | undefined, sizeLimit: number | undefined): LogSink {
  return file === undefined ? stderr : fileSink(file, sizeLimit);
}

export async function runCli(argv: string[]): Promise<number | undefined> {
  if (argv[0] === "mkpasswd") return (await import("./mkpasswd.ts")).mkpasswd(argv.slice(1));
  if (argv[0] === "store") return (await import("./store_verify.ts")).storeCommand(argv.slice(1));
  if (argv[0] === "config") return (await import("./config_cmd.ts")).configCommand(argv.slice(1));
  let loaded;
  try {
    loaded = loadOptions(argv, process.env, (p) => nodeFs().readFileSync(p, "utf8"));
  } catch (err) {
    if (err instanceof FlagError) {
      stderr(err.message);
      stderr(USAGE);
      return 2;
    }
    if (err instanceof ConfigError) {
      stderr(`${EXE}: ${err.message}`);
      return 1;
    }
    throw err;
  }

  switch (loaded.action) {
    case "help":
      stderr(USAGE);
      return 0;
    case "help_tls":
      stderr(TLS_USAGE);
      return 0;
    case "version":
      nodeFs().writeSync(1, versionLine(await detectRuntime()) + "\n");
      return 0;
    case "signal":
      try {
        sendSignal(loaded.signal!);
        return 0;
      } catch (err) {
        stderr(`${EXE}: ${err instanceof Error ? err.message : String(err)}`);
        return 1;
      }
    case "test":
      for (const w of loaded.warnings) stderr(`${EXE}: warning: ${w}`);
      stderr(`${EXE}: configuration file ${loaded.configFile} is valid`);
      return 0;
    case "run":
      break;
  }

  const opts = loaded.options;
  // Before anything is listening: this may re-execute the process with the engine told its heap budget.
  const memory = await useMemoryTarget(opts.memory_limit);
  if (memory.note !== undefined) loaded.warnings.push(`memory_limit: ${memory.note}`);
  const signals = trapSignals();
  let handle;
  try {
    handle = await startWithOptions(opts, logSink(opts.log_file, opts.log_size_limit), loaded.warnings);
  } catch (err) {
    stderr(`${EXE}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (opts.pid_file) nodeFs().writeFileSync(opts.pid_file, String(process.pid));
  startIdleTrim();
  const server = handle.server;
  signals.attach({
    server,
    loadOptions: () => loadOptions(argv, process.env, (p) => nodeFs().readFileSync(p, "utf8")).options,
  });
  // However the server ends (SIGINT, SIGTERM, the end of lame duck mode), the process ends with it.
  void server.lifecycle.done.then(() => {
    if (server.options.pid_file) nodeFs().rmSync(server.options.pid_file, { force: true });
    process.exit(0);
  });
  return undefined;
}
