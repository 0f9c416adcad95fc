/**
 * JetStream across a leaf link with domains: a hub client manages and consumes natsedge's streams through
 * `$JS.edge1.API`, which natsedge advertises and answers; pulled messages cross with the `@<subject>` reply
 * rewrite, and acks find their way back. The hub is nats-server 2.9.10 with its own domain, which an edge
 * client reaches the same way.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();

function tempDir(prefix: string): { path: string; close(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, close: () => rmSync(path, { recursive: true, force: true }) };
}

describe("JetStream domains across natsedge leaf -> nats-server hub", () => {
  test("the hub manages and consumes an edge stream through $JS.edge1.API; the edge reaches the hub's domain", async () => {
    const hubDir = own(tempDir("natsedge-hubjs-"));
    const edgeDir = own(tempDir("natsedge-edgejs-"));
    const leafPort = await freePort();
    const http = await freePort();
    const hub = own(
      await startNatsServer(
        `server_name: hub\nhttp: "127.0.0.1:${http}"\njetstream { store_dir: "${hubDir.path}", domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`,
      ),
    );
    const edge = own(
      await runServer({
        config: `server_name: edge1\njetstream { store_dir: "${edgeDir.path}", domain: edge1 }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`,
      }),
    );
    await until(async () => edgeLeafz(edge).length === 1 && hasInterest(await httpLeafz(http), "$JS.edge1.API.>"), "the edge's domain advertised");
    // The JetStream API of each side stays its own.
    expect((await httpLeafz(http))[0]!.subscriptions_list!.some((s) => s.startsWith("$JS.API"))).toBe(false);

    const hnc = own(await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false }));
    const enc = own(await client(edge));
    const remoteJsm = await jetstreamManager(hnc, { domain: "edge1", timeout: 3000 });
    expect((await remoteJsm.getAccountInfo()).domain).toBe("edge1");
    await remoteJsm.streams.add({ name: "T1", subjects: ["tele.>"] });

    const localJs = jetstream(enc);
    for (let i = 0; i < 3; i++) await localJs.publish("tele.temp", String(20 + i));
    expect((await remoteJsm.streams.info("T1")).state.messages).toBe(3);

    await remoteJsm.consumers.add("T1", { durable_name: "hubside", ack_policy: AckPolicy.Explicit });
    const remoteJs = jetstream(hnc, { domain: "edge1", timeout: 3000 });
    const consumer = await remoteJs.consumers.get("T1", "hubside");
    const seen: string[] = [];
    const batch = await consumer.fetch({ max_messages: 3, expires: 3000 });
    for await (const m of batch) {
      // The hub client sees the stored subject, though the message came to its inbox.
      seen.push(`${m.subject}=${m.string()}`);
      await m.ackAck();
    }
    expect(seen).toEqual(["tele.temp=20", "tele.temp=21", "tele.temp=22"]);
    await until(async () => (await remoteJsm.consumers.info("T1", "hubside")).num_ack_pending === 0, "the acks back at the edge");

    // The other way: nats-server sends its deliveries with the rewrite, and natsedge undoes it.
    const hubFromEdge = await jetstreamManager(enc, { domain: "hub", timeout: 3000 });
    expect((await hubFromEdge.getAccountInfo()).domain).toBe("hub");
    await hubFromEdge.streams.add({ name: "H1", subjects: ["cmd.>"] });
    const hubJs = jetstream(hnc);
    await hubJs.publish("cmd.reboot", "now");
    await hubFromEdge.consumers.add("H1", { durable_name: "edgeside", ack_policy: AckPolicy.Explicit });
    const fromHub = await jetstream(enc, { domain: "hub", timeout: 3000 }).consumers.get("H1", "edgeside");
    const got: string[] = [];
    for await (const m of await fromHub.fetch({ max_messages: 1, expires: 3000 })) {
      got.push(`${m.subject}=${m.string()}`);
      await m.ackAck();
    }
    expect(got).toEqual(["cmd.reboot=now"]);
  });
});
