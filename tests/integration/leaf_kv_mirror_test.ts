/**
 * A KV bucket on the edge that mirrors a hub bucket, created the way nats.js creates it (`mirror` with the
 * hub's domain: a stream mirroring KV_<hub bucket> through `$JS.hub.API`, with mirror_direct): values put
 * at the hub are read at the edge through the mirror, deletes show as deletes, and the edge bucket's
 * writes go to the hub's bucket, as nats.js routes them. An Object Store bucket mirrored the same way (its
 * stream, of the hub bucket's name, mirroring it: @nats-io/obj has no mirror option) is read at the edge by
 * @nats-io/obj, chunks and all. The same tests run with nats-server 2.9.10 as the edge, so natsedge is held
 * to what the reference does.
 */
import { describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { jetstreamManager } from "@nats-io/jetstream";
import { rmSync } from "node:fs";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";

const own = useCleanup();

async function edgeServer(kind: string, conf: string): Promise<number> {
  if (kind === "nats-server") return own(await startNatsServer(conf)).port;
  return own(await runServer({ config: conf })).port;
}

/** A nats-server hub (domain hub) and a leaf edge of `kind` (domain edge), with a client on each. */
async function hubAndEdge(kind: string): Promise<{ hnc: NatsConnection; enc: NatsConnection }> {
  const leafPort = await freePort();
  const hubDir = scratchDir("natsedge-kvhub-");
  const edgeDir = scratchDir("natsedge-kvedge-");
  own({ close: () => (rmSync(hubDir, { recursive: true, force: true }), rmSync(edgeDir, { recursive: true, force: true })) });
  const hub = own(await startNatsServer(`server_name: hub\njetstream { store_dir: "${hubDir}", domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`));
  const edgePort = await edgeServer(
    kind,
    `server_name: edge\njetstream { store_dir: "${edgeDir}", domain: edge }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`,
  );
  const hnc: NatsConnection = own(await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false }));
  const enc: NatsConnection = own(await connect({ servers: `127.0.0.1:${edgePort}`, reconnect: false }));
  return { hnc, enc };
}

for (const kind of ["natsedge", "nats-server"]) {
  describe(`KV and Object Store mirrors of hub buckets on a ${kind} edge`, () => {
    test("reads the hub's values and deletes; writes through the mirror reach the hub", async () => {
      const { hnc, enc } = await hubAndEdge(kind);
      const hubKv = await new Kvm(hnc).create("cfg", { history: 3 });
      await hubKv.put("mode", "auto");
      await hubKv.put("rate", "10");
      // The bucket create() returns reads through the mirror's subjects; nats.js's open() does not look at
      // the mirror configuration, so it is not used here.
      let edgeKv: KV | null = null;
      await until(async () => {
        edgeKv = await new Kvm(enc).create("cfgcopy", { mirror: { name: "cfg", domain: "hub" } }).catch(() => null);
        return edgeKv !== null;
      }, "the mirror bucket (once the link is up)");
      const kv = edgeKv! as KV;
      await until(async () => (await kv.get("rate"))?.string() === "10", "the hub's values at the edge", 15_000);
      expect((await kv.get("mode"))?.string()).toBe("auto");
      await hubKv.delete("mode");
      await until(async () => (await kv.get("mode"))?.operation === "DEL", "the delete at the edge", 15_000);
      // mirror_direct: the edge's mirror answers direct gets addressed to the hub bucket's own stream name.
      const direct = await enc.request("$JS.API.DIRECT.GET.KV_cfg.$KV.cfg.rate", "", { timeout: 5000 });
      expect(direct.string()).toBe("10");
      expect(direct.headers?.get("Nats-Stream")).toBe("KV_cfgcopy");
      // A write through the mirror bucket goes to the hub's bucket (nats.js's edit prefix), and comes back.
      await kv.put("rate", "20");
      expect((await hubKv.get("rate"))?.string()).toBe("20");
      await until(async () => (await kv.get("rate"))?.string() === "20", "the write back through the mirror", 15_000);
      expect(await hubKv.keys().then(async (it) => (await Array.fromAsync(it)).sort())).toEqual(["rate"]);
    }, 60_000);

    test("an Object Store bucket mirrored from the hub is read at the edge by @nats-io/obj", async () => {
      const { hnc, enc } = await hubAndEdge(kind);
      const hubOs = await new Objm(hnc).create("files");
      const big = new Uint8Array(300 * 1024).map((_, i) => i % 251);
      await hubOs.putBlob({ name: "firmware.bin" }, big);
      await hubOs.putBlob({ name: "notes.txt" }, new TextEncoder().encode("hello"));
      // The edge's stream takes the hub bucket's stream name, so @nats-io/obj at the edge opens it as the bucket.
      // It needs allow_rollup_hdrs, as the bucket does: each metadata update rolls up the ones before it.
      const jsm = await jetstreamManager(enc);
      const mirror = { name: "OBJ_files", mirror: { name: "OBJ_files", external: { api: "$JS.hub.API" } }, allow_direct: true, mirror_direct: true, allow_rollup_hdrs: true };
      await until(async () => await jsm.streams.add(mirror).then(() => true, () => false), "the edge's mirror of OBJ_files (once the link is up)");
      const edgeOs = await new Objm(enc).open("files");
      await until(async () => (await edgeOs.info("notes.txt")) !== null, "the hub's objects at the edge", 15_000);
      expect(new TextDecoder().decode((await edgeOs.getBlob("notes.txt"))!)).toBe("hello");
      expect(await edgeOs.getBlob("firmware.bin")).toEqual(big);
      expect((await edgeOs.list()).map((o) => o.name).sort()).toEqual(["firmware.bin", "notes.txt"]);
      // A new version rolls up the old metadata at the edge too; the hub's purge of the old chunks is not
      // mirrored (nats-server's edge keeps them as well), so the edge holds both chunks and the newest metadata.
      await hubOs.putBlob({ name: "notes.txt" }, new TextEncoder().encode("hello again"));
      await hubOs.delete("notes.txt");
      await until(async () => (await edgeOs.info("notes.txt"))?.deleted === true, "the delete at the edge", 15_000);
      expect(await edgeOs.get("notes.txt")).toBeNull();
      const state = (await jsm.streams.info("OBJ_files")).state;
      // 1-3 firmware chunks, 4 its metadata, 5 and 7 the two notes chunks, 9 the delete (6 and 8 rolled up).
      expect([state.messages, state.last_seq]).toEqual([7, 9]);
    }, 60_000);
  });
}
