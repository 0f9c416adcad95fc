/**
 * Store and forward across a leaf link with domains: natsedge at the edge (domain `edge`) mirrors a stream
 * of a nats-server 2.9.10 hub (domain `hub`) through `$JS.hub.API`. What the hub stores while the edge is
 * down reaches the edge's mirror when it comes back, with the hub's sequences, each message once.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";

const own = useCleanup();

function tempDir(prefix: string): { path: string; close(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, close: () => rmSync(path, { recursive: true, force: true }) };
}

test("a natsedge mirror of a hub stream across a leaf link receives what the hub stored while the edge was down", async () => {
  const hubDir = own(tempDir("natsedge-hubmirror-"));
  const edgeDir = own(tempDir("natsedge-edgemirror-"));
  const leafPort = await freePort();
  const hubConf = `server_name: hub\njetstream { store_dir: "${hubDir.path}", domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`;
  let hub = await startNatsServer(hubConf);
  own({ close: () => hub.close() });
  const edgeConf = `server_name: edge\njetstream { store_dir: "${edgeDir.path}", domain: edge }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`;
  let hnc = await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false });
  await (await jetstreamManager(hnc)).streams.add({ name: "CMD", subjects: ["cmd.>"] });
  let hubJs = jetstream(hnc);
  for (let i = 1; i <= 5; i++) await hubJs.publish("cmd.x", String(i));

  let edge: TestServer = await runServer({ config: edgeConf });
  let enc = await client(edge);
  let jsm = await jetstreamManager(enc);
  await jsm.streams.add({ name: "CMD", mirror: { name: "CMD", external: { api: "$JS.hub.API", deliver: "" } } });
  const messages = async () => (await jsm.streams.info("CMD")).state.messages;
  await until(async () => (await messages()) === 5, "the mirror caught up with the hub", 15_000);
  await hubJs.publish("cmd.x", "6");
  await until(async () => (await messages()) === 6, "the mirror following the hub", 15_000);
  await enc.close();
  await edge.close();

  // Stored at the hub alone, acked by it while the edge is down.
  for (let i = 7; i <= 12; i++) await hubJs.publish("cmd.x", String(i));
  edge = await runServer({ config: edgeConf });
  enc = await client(edge);
  jsm = await jetstreamManager(enc);
  await until(async () => (await messages()) === 12, "the mirror caught up after the restart", 20_000);
  const got: [number, string][] = [];
  for (let seq = 1; seq <= 12; seq++) {
    const m = await jsm.streams.getMessage("CMD", { seq });
    got.push([m!.seq, m!.string()]);
  }
  expect(got).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, String(i + 1)]));
  const info = await jsm.streams.info("CMD");
  expect(info.mirror).toMatchObject({ name: "CMD", external: { api: "$JS.hub.API", deliver: "" }, lag: 0 });

  // Now the hub goes away under a running link, which has to notice and keep asking until it is back.
  await hnc.close();
  await hub.close();
  hub = await startNatsServer(hubConf);
  hnc = await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false });
  hubJs = jetstream(hnc);
  for (let i = 13; i <= 15; i++) await hubJs.publish("cmd.x", String(i));
  await until(async () => (await messages()) === 15, "the mirror caught up after the hub's restart", 30_000);
  expect((await jsm.streams.getMessage("CMD", { seq: 15 }))!.string()).toBe("15");
  await hnc.close();
  await hub.close();
  await enc.close();
  await edge.close();
}, 90_000);
