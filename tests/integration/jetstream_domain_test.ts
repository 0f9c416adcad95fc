import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { client, runServer, type TestServer } from "../_helpers/server.ts";

let dir: string;
let srv: TestServer;
let nc: NatsConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "natsedge-domain-"));
  srv = await runServer({ jetstream: { enabled: true, store_dir: dir, domain: "edge" } });
  nc = await client(srv);
});

afterAll(async () => {
  await nc.close();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test("with a JetStream domain, PubAcks name it and the $JS.<domain>.API prefix works", async () => {
  const jsm = await jetstreamManager(nc, { domain: "edge" });
  await jsm.streams.add({ name: "D", subjects: ["d.>"] });
  const js = jetstream(nc, { domain: "edge" });
  const ack = await js.publish("d.1", "x", { msgID: "m1" });
  expect(ack).toMatchObject({ stream: "D", seq: 1, domain: "edge", duplicate: false });
  const dup = await js.publish("d.1", "x", { msgID: "m1" });
  expect(dup).toMatchObject({ stream: "D", seq: 1, domain: "edge", duplicate: true });
  const raw = await nc.request("d.2", "y");
  expect(raw.json()).toEqual({ stream: "D", seq: 2, domain: "edge" });
});
