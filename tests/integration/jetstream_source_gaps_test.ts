/**
 * Gaps and deleted messages in the origin, as nats-server 2.9.10's mirrors and sources skip them
 * (stream.go processInboundMirrorMsg and skipMsgs, setupMirrorConsumer's skip to the consumer's first
 * delivery, setSourceConsumer's restart after the last sourced sequence): a mirror keeps the origin's
 * sequences, the ones the origin no longer has standing as deleted; a source takes each remaining message
 * once. A hub (domain hub) holds the origin and an edge leaf (domain edge) mirrors and sources it through
 * `$JS.hub.API`; the edge is stopped while the hub deletes and purges, then resumes from its own store. Every
 * pairing of natsedge and nats-server 2.9.10 runs, so natsedge is held to what the reference does on
 * either side. The single-server test at the end also runs against nats-server with
 * NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server.
 */
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer } from "../_helpers/server.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";

const own = useCleanup();

type Kind = "natsedge" | "nats-server";

async function serve(kind: Kind, conf: string): Promise<{ port: number; close(): Promise<void> }> {
  return kind === "nats-server" ? await startNatsServer(conf) : await runServer({ config: conf });
}

const connectTo = (port: number): Promise<NatsConnection> => connect({ servers: `127.0.0.1:${port}`, reconnect: false });

async function state(jsm: JetStreamManager, name: string): Promise<{ messages: number; first_seq: number; last_seq: number; num_deleted: number }> {
  const s = (await jsm.streams.info(name)).state;
  return { messages: s.messages, first_seq: s.first_seq, last_seq: s.last_seq, num_deleted: s.num_deleted ?? 0 };
}

/** Each stored message of `name` as `[seq, data, origin seq from Nats-Stream-Source or undefined]`. */
async function contents(jsm: JetStreamManager, name: string): Promise<[number, string, number | undefined][]> {
  const info = await jsm.streams.info(name);
  const out: [number, string, number | undefined][] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(name, { seq }).catch(() => null);
    if (m === null) continue;
    const src = m.header.get("Nats-Stream-Source");
    out.push([m.seq, m.string(), src ? Number(src.split(" ")[1]) : undefined]);
  }
  return out;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const pairs: [Kind, Kind][] = [["natsedge", "natsedge"], ["nats-server", "natsedge"], ["natsedge", "nats-server"], ["nats-server", "nats-server"]];

for (const [hubKind, edgeKind] of pairs) {
  describe(`a ${hubKind} hub's stream mirrored and sourced by a ${edgeKind} edge`, () => {
    test("skips what the origin deleted and purged while the edge was down, keeping the mirror's sequences aligned", async () => {
      const leafPort = await freePort();
      const hubDir = scratchDir("natsedge-gaphub-");
      const edgeDir = scratchDir("natsedge-gapedge-");
      own({ close: () => (rmSync(hubDir, { recursive: true, force: true }), rmSync(edgeDir, { recursive: true, force: true })) });
      const hub = own(await serve(hubKind, `server_name: hub\njetstream { store_dir: "${hubDir}", domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`));
      const edgeConf = `server_name: edge\njetstream { store_dir: "${edgeDir}", domain: edge }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`;
      let edge = await serve(edgeKind, edgeConf);
      const hnc = own(await connectTo(hub.port));
      const hjsm = await jetstreamManager(hnc);
      await hjsm.streams.add({ name: "ORIGIN", subjects: ["o.>"] });
      const publish = async (from: number, to: number) => {
        for (const i of range(from, to)) await jetstream(hnc).publish("o.x", String(i));
      };
      await publish(1, 10);
      let enc = await connectTo(edge.port);
      let ejsm = await jetstreamManager(enc);
      const external = { api: "$JS.hub.API", deliver: "" };
      await until(async () => await ejsm.streams.add({ name: "MIRROR", mirror: { name: "ORIGIN", external } }).then(() => true, () => false), "the edge's mirror (once the link is up)");
      await ejsm.streams.add({ name: "SRC", sources: [{ name: "ORIGIN", external }] });
      await until(async () => (await state(ejsm, "MIRROR")).messages === 10 && (await state(ejsm, "SRC")).messages === 10, "the edge holding the first 10", 15_000);
      await enc.close();
      await edge.close();

      // While the edge is down: 11-20 published, 12 and 15 deleted, everything before 14 purged.
      await publish(11, 20);
      await hjsm.streams.deleteMessage("ORIGIN", 12);
      await hjsm.streams.deleteMessage("ORIGIN", 15);
      await hjsm.streams.purge("ORIGIN", { seq: 14 });
      expect(await state(hjsm, "ORIGIN")).toEqual({ messages: 6, first_seq: 14, last_seq: 20, num_deleted: 1 });

      edge = await serve(edgeKind, edgeConf);
      enc = await connectTo(edge.port);
      ejsm = await jetstreamManager(enc);
      await publish(21, 21);
      await until(async () => (await state(ejsm, "MIRROR")).last_seq === 21 && (await state(ejsm, "SRC")).messages === 17, "the edge caught up", 20_000);

      // The mirror keeps 1-10, stands 11-13 and 15 as deleted, and holds the rest under the origin's sequences.
      expect(await state(ejsm, "MIRROR")).toEqual({ messages: 17, first_seq: 1, last_seq: 21, num_deleted: 4 });
      const kept = [...range(1, 10), 14, ...range(16, 21)];
      expect(await contents(ejsm, "MIRROR")).toEqual(kept.map((n) => [n, String(n), undefined]));
      // The source takes each remaining message once, in order, each marked with its origin sequence.
      expect(await contents(ejsm, "SRC")).toEqual(kept.map((n, i) => [i + 1, String(n), n]));
      await enc.close();
      await edge.close();
    }, 90_000);
  });
}

test("a mirror created after its origin purged its head and deleted inside starts at the origin's first sequence", async () => {
  const dir = scratchDir("natsedge-gaplocal-");
  own({ close: () => rmSync(dir, { recursive: true, force: true }) });
  const srv = own(await runServer({ jetstream: { enabled: true, store_dir: dir } }));
  const nc = own(await client(srv));
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "HOLEY", subjects: ["h.>"] });
  for (const i of range(1, 10)) await jetstream(nc).publish("h.x", String(i));
  await jsm.streams.deleteMessage("HOLEY", 3);
  await jsm.streams.deleteMessage("HOLEY", 7);
  await jsm.streams.purge("HOLEY", { seq: 5 });
  await jsm.streams.add({ name: "HOLEYM", mirror: { name: "HOLEY" } });
  await until(async () => (await state(jsm, "HOLEYM")).messages === 5, "the mirror caught up", 15_000);
  expect(await state(jsm, "HOLEYM")).toEqual({ messages: 5, first_seq: 5, last_seq: 10, num_deleted: 1 });
  expect((await contents(jsm, "HOLEYM")).map(([seq]) => seq)).toEqual([5, 6, 8, 9, 10]);
  // Deleted in the origin after it was mirrored: the mirror keeps it (deletes are not mirrored).
  await jsm.streams.deleteMessage("HOLEY", 9);
  await jetstream(nc).publish("h.x", "11");
  await until(async () => (await state(jsm, "HOLEYM")).last_seq === 11, "the mirror following", 15_000);
  expect((await contents(jsm, "HOLEYM")).map(([seq]) => seq)).toEqual([5, 6, 8, 9, 10, 11]);
});

test("a consumer asked to start before the stream's first message or past its end starts within it, and its create answer says where", async () => {
  const dir = scratchDir("natsedge-gapstart-");
  own({ close: () => rmSync(dir, { recursive: true, force: true }) });
  const srv = own(await runServer({ jetstream: { enabled: true, store_dir: dir } }));
  const nc = own(await client(srv));
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "STARTS", subjects: ["st.>"] });
  for (const i of range(1, 20)) await jetstream(nc).publish("st.x", String(i));
  await jsm.streams.deleteMessage("STARTS", 15);
  await jsm.streams.purge("STARTS", { seq: 14 });
  const delivered: Record<number, number> = {};
  for (const start of [3, 14, 16, 40]) {
    const reply = await nc.request("$JS.API.CONSUMER.CREATE.STARTS", JSON.stringify({
      stream_name: "STARTS",
      config: { deliver_subject: `inbox.st.${start}`, deliver_policy: "by_start_sequence", opt_start_seq: start, ack_policy: "none", direct: true },
    }));
    const info = reply.json<{ delivered: { stream_seq: number }; num_pending: number }>();
    delivered[start] = info.delivered.stream_seq;
  }
  // Before the first (14) starts at it; past the end (20) at the next message stored.
  expect(delivered).toEqual({ 3: 13, 14: 13, 16: 15, 40: 20 });
});
