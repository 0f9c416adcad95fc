/**
 * node:fs, loaded on first use. On Bun, importing it costs ~4.6 MiB of resident memory, which a broker started
 * on defaults (no config file, no log file, no JetStream) never needs: only the paths that touch files call
 * this. Both Bun and Deno provide process.getBuiltinModule.
 */
import process from "node:process";

type NodeFs = typeof import("node:fs");

let fs: NodeFs | undefined;

export function nodeFs(): NodeFs {
  return (fs ??= process.getBuiltinModule("node:fs") as NodeFs);
}
