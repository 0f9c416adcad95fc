/**
 * The servers a compat test runs its client programs against: natsedge, and nats-server 2.9.10 beside it
 * where it is installed, each started on the same config text.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runServerFromArgs } from "./conf_server.ts";
import { startNatsServer } from "./nats_server.ts";

export type Target = "natsedge" | "nats-server";

export const TARGETS: Target[] = existsSync("/usr/sbin/nats-server") || process.env.NATS_SERVER ? ["natsedge", "nats-server"] : ["natsedge"];

/** Starts `target` on `conf` (natsedge reads it from `dir`/server.conf), runs fn with its URL, then stops it. */
export async function withConfServer(target: Target, conf: string, dir: string, fn: (url: string) => Promise<void>): Promise<void> {
  let srv: { port: number; close(): Promise<void> };
  if (target === "natsedge") {
    const file = join(dir, "server.conf");
    writeFileSync(file, conf);
    srv = await runServerFromArgs(["-c", file, "-a", "127.0.0.1"]);
  } else {
    srv = await startNatsServer(conf);
  }
  try {
    await fn(`nats://127.0.0.1:${srv.port}`);
  } finally {
    await srv.close();
  }
}
