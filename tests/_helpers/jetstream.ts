/** A JetStream server on a fresh temp store and one client, shared by the tests of one file. */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { client, runServer, type TestServer } from "./server.ts";

export interface JetStreamFixture {
  srv: TestServer;
  nc: NatsConnection;
  dir: string;
}

/** Registers beforeAll/afterAll hooks; the fields are set once beforeAll has run. */
export function jetStreamFixture(prefix: string): JetStreamFixture {
  const fx = {} as JetStreamFixture;
  beforeAll(async () => {
    fx.dir = mkdtempSync(join(tmpdir(), `natsedge-${prefix}-`));
    fx.srv = await runServer({ jetstream: { enabled: true, store_dir: fx.dir } });
    fx.nc = await client(fx.srv);
  });
  afterAll(async () => {
    await fx.nc.close();
    await fx.srv.close();
    rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}

/** JetStream configs give durations in nanoseconds. */
export const nanos = (ms: number): number => ms * 1_000_000;
