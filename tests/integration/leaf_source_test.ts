/**
 * Store and forward, the edge's way: devices publish into a stream on natsedge (leaf, domain `edge`), which
 * acks on its own whether or not the uplink is up, and a nats-server 2.9.10 hub stream sources from it
 * through `$JS.edge.API`. With the hub down for most of the run and natsedge killed (-9) in the middle, the
 * hub still ends with every message exactly once, in the edge's order.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { CliChild } from "../_helpers/cli_child.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";

const own = useCleanup();

function tempDir(prefix: string): { path: string; close(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, close: () => rmSync(path, { recursive: true, force: true }) };
}

const connectTo = (port: number): Promise<NatsConnection> => connect({ servers: `127.0.0.1:${port}`, reconnect: false });

async function publish(nc: NatsConnection, from: number, to: number): Promise<void> {
  const js = jetstream(nc);
  const acks = [];
  for (let i = from; i <= to; i++) acks.push(js.publish("tele.x", String(i)));
  await Promise.all(acks);
}

test("a hub stream sourcing from natsedge ends with every message once, in order, across hub downtime and a kill -9 of the edge", async () => {
  const hubDir = own(tempDir("natsedge-hubsource-"));
  const edgeDir = own(tempDir("natsedge-edgesource-"));
  const leafPort = await freePort();
  const hubConf = `server_name: hub\njetstream { store_dir: "${hubDir.path}", domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`;
  const edgeConf = join(edgeDir.path, "edge.conf");
  writeFileSync(edgeConf, `listen: "127.0.0.1:-1"\nserver_name: edge\njetstream { store_dir: "${join(edgeDir.path, "js")}", domain: edge }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }\n`);

  let hub = await startNatsServer(hubConf);
  let edge = own(await CliChild.start(["-c", edgeConf]));
  let enc = await connectTo(edge.port);
  await (await jetstreamManager(enc)).streams.add({ name: "TELE", subjects: ["tele.>"] });
  let hnc = await connectTo(hub.port);
  let hjsm = await jetstreamManager(hnc);
  await hjsm.streams.add({ name: "ALL", subjects: [], sources: [{ name: "TELE", external: { api: "$JS.edge.API", deliver: "" } }] });
  const hubCount = async () => (await hjsm.streams.info("ALL")).state.messages;

  await publish(enc, 1, 1000);
  await until(async () => (await hubCount()) === 1000, "the hub sourced the first 1000", 30_000);
  await hnc.close();
  await hub.close();

  await publish(enc, 1001, 3000);
  await enc.close();
  edge.proc.kill("SIGKILL");
  await edge.exited;
  edge = own(await CliChild.start(["-c", edgeConf]));
  enc = await connectTo(edge.port);
  await publish(enc, 3001, 5000);

  hub = await startNatsServer(hubConf);
  hnc = await connectTo(hub.port);
  hjsm = await jetstreamManager(hnc);
  await until(async () => (await hubCount()) >= 5000, "the hub caught up", 60_000);
  const c = await jetstream(hnc).consumers.get("ALL");
  const got: string[] = [];
  const msgs = await c.consume();
  for await (const m of msgs) {
    got.push(m.string());
    if (got.length === 5000) break;
  }
  expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => String(i + 1)));
  expect((await hjsm.streams.info("ALL")).state.messages).toBe(5000);
  await hnc.close();
  await enc.close();
  await hub.close();
}, 120_000);
