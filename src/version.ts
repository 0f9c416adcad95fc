/** natsedge's own release, the protocol version it advertises, and what this build runs as. */
import process from "node:process";

/** natsedge's own release. */
export const NATSEDGE_VERSION = "0.1.0";

/**
 * The nats-server version natsedge advertises in INFO. Clients switch protocol features on it (nats.go picks
 * the JetStream consumer-create API at 2.9.0, nats.js enables features by version), so it names the nats-server
 * release whose client-visible behaviour natsedge implements: 2.9.10, the reference server on these machines.
 */
export const ADVERTISED_VERSION = "2.9.10";

/** Client protocol level: 1 means the server may send async INFO. */
export const PROTO = 1;

/**
 * The target compile.sh asked for (e.g. "bun-linux-arm64"). `bun build --compile --define` replaces this
 * identifier with a string literal; in sources run directly it is never defined.
 */
declare const NATSEDGE_BUILD_TARGET: string | undefined;

/** The OS and CPU this process runs on, as `<os>-<arch>` (linux-x64, linux-arm64, darwin-arm64...). */
export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}

/**
 * How this natsedge was built: the compile target for a single executable ("bun-linux-arm64"), "executable"
 * for one built without compile.sh's define, or "sources" when a runtime runs src/main.ts.
 */
export function buildKind(): string {
  if (typeof NATSEDGE_BUILD_TARGET === "string") return NATSEDGE_BUILD_TARGET;
  // A compiled executable's modules live in the runtime's embedded file system: Bun's /$bunfs/,
  // Deno's deno-compile-<name>/ root.
  const url = import.meta.url;
  if (url.includes("/$bunfs/") || url.includes("/~BUN/") || url.includes("deno-compile-")) return "executable";
  return "sources";
}

/** The `natsedge -v` line: release, advertised protocol, host target, runtime and how it was built. */
export function versionLine(runtime: { name: string; version: string }): string {
  return `natsedge: v${NATSEDGE_VERSION} (nats-server protocol ${ADVERTISED_VERSION}) ${hostTarget()} ${runtime.name} ${runtime.version} ${buildKind()}`;
}
