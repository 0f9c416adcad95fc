/**
 * The ports file (ports_file_dir): `<dir>/<exe>_<pid>.ports` holding the bound URLs as JSON, written once all
 * listeners are up and deleted on shutdown, as nats-server's logPorts/deletePortsFile do. Test harnesses
 * (nats.js's launcher) start a server on random ports and poll for this file.
 */
import process from "node:process";
import { nodeFs } from "../runtime/lazy_fs.ts";

export interface Ports {
  nats: string[];
  monitoring?: string[];
}

/**
 * nats-server names the file after basename(argv[0]). Under a runtime that runs natsedge from source, argv[0]
 * is the runtime ("bun", "deno"), so the file is named after natsedge instead; a compiled binary (or a
 * symlink to it, such as `nats-server`) keeps its own name.
 */
export function exeName(): string {
  const argv0 = process.argv0 || process.argv[0] || "natsedge";
  const base = argv0.slice(argv0.lastIndexOf("/") + 1).replace(/\.exe$/i, "");
  return base === "bun" || base === "deno" || base === "node" ? "natsedge" : base;
}

export function portsFilePath(dir: string): string {
  return `${dir.endsWith("/") ? dir : dir + "/"}${exeName()}_${process.pid}.ports`;
}

export function writePortsFile(dir: string, ports: Ports): string {
  const file = portsFilePath(dir);
  nodeFs().writeFileSync(file, JSON.stringify(ports), { mode: 0o666 });
  return file;
}

export function deletePortsFile(dir: string): void {
  nodeFs().rmSync(portsFilePath(dir), { force: true });
}
