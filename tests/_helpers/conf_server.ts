/**
 * Servers started from a command line (a config file with `-c`, flags as a seed document writes them), through
 * the same path as the `natsedge` executable: loadOptions (config parser, then flags) and startWithOptions.
 * In reference mode (NATSEDGE_REFERENCE_SERVER) the same arguments go to nats-server.
 */
import { readFileSync } from "node:fs";
import { loadOptions } from "../../src/config/load.ts";
import { startWithOptions } from "../../mod.ts";
import { REFERENCE_SERVER, runReferenceServerWithArgs } from "./reference_server.ts";
import type { TestServer } from "./server.ts";
import { spawn, text as readAll } from "./spawn.ts";

/**
 * Starts a server with `args` (e.g. `["-c", file]` or `["--tls", "--tlscert", ...]`) plus `-p -1` so that it
 * listens on a free port, flags winning over the config file's `listen`/`port` as in nats-server.
 */
export async function runServerFromArgs(args: string[]): Promise<TestServer> {
  const argv = [...args, "-p", "-1"];
  if (REFERENCE_SERVER !== "") {
    const ref = await runReferenceServerWithArgs(argv);
    return Object.assign(ref, { url: `127.0.0.1:${ref.port}`, ready: Promise.resolve() }) as unknown as TestServer;
  }
  const loaded = loadOptions(argv, process.env, (p) => readFileSync(p, "utf8"));
  if (loaded.action !== "run") throw new Error(`arguments ${JSON.stringify(args)} do not start a server (${loaded.action})`);
  const logs: string[] = [];
  const h = await startWithOptions(loaded.options, (l) => logs.push(l), loaded.warnings);
  return Object.assign(h, { url: `127.0.0.1:${h.port}`, logs });
}

/**
 * Why a server with `args` does not start: the error message natsedge throws (config or flags, then
 * startup), or in reference mode what nats-server prints when it exits. null if it starts.
 */
export async function startupError(args: string[]): Promise<string | null> {
  const argv = [...args, "-p", "-1"];
  if (REFERENCE_SERVER !== "") {
    const proc = spawn([REFERENCE_SERVER, ...argv], { stdout: "pipe", stderr: "pipe" });
    // nats-server either exits with the error or logs that it is ready; read stderr until one of them.
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of proc.stderr) {
      text += decoder.decode(chunk);
      if (text.includes("Server is ready")) {
        proc.kill();
        await proc.exited;
        return null;
      }
    }
    await proc.exited;
    return (text + (await readAll(proc.stdout))).trim();
  }
  try {
    const loaded = loadOptions(argv, process.env, (p) => readFileSync(p, "utf8"));
    const h = await startWithOptions(loaded.options, () => {}, loaded.warnings);
    await h.close();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
