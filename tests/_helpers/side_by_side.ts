/**
 * natsedge and nats-server 2.9.10, each with JetStream on its own temp store, and a client on each: for tests
 * that send both the same requests and compare. Registers beforeAll/afterAll; fields are set once it ran.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { runServer, type TestServer } from "./server.ts";
import { startNatsServer, type NatsServerProcess } from "./nats_server.ts";

export interface SideBySide {
  edge: TestServer;
  ref: NatsServerProcess;
  /** Clients of natsedge and of nats-server. */
  ne: NatsConnection;
  nr: NatsConnection;
}

export function sideBySide(prefix: string): SideBySide {
  const fx = {} as SideBySide;
  const dirs: string[] = [];
  beforeAll(async () => {
    const d1 = mkdtempSync(join(tmpdir(), `natsedge-${prefix}-`));
    const d2 = mkdtempSync(join(tmpdir(), `natsedge-${prefix}-ref-`));
    dirs.push(d1, d2);
    fx.edge = await runServer({ jetstream: { enabled: true, store_dir: d1 } });
    fx.ref = await startNatsServer(`jetstream { store_dir: "${d2}" }`);
    fx.ne = await connect({ servers: fx.edge.url, reconnect: false });
    fx.nr = await connect({ servers: `127.0.0.1:${fx.ref.port}`, reconnect: false });
  });
  afterAll(async () => {
    await fx.ne?.close();
    await fx.nr?.close();
    await fx.edge?.close();
    await fx.ref?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return fx;
}
