/**
 * A KV bucket on the edge that mirrors a hub bucket, created the way nats.js creates it (`mirror` with the
 * hub's domain: a stream mirroring KV_<hub bucket> through `$JS.hub.API`, with mirror_direct): values put
 * at the hub are read at the edge through the mirror, deletes show as deletes, and the edge bucket's
 * writes go to the hub's bucket, as nats.js routes them. The same test runs with nats-server 2.9.10 as the
 * edge, so natsedge is held to what the reference does.
 */
import { describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
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

for (const kind of ["natsedge", "nats-server"]) {
  describe(`a KV mirror of a hub bucket on a ${kind} edge`, () => {
    test("reads the hub's values and deletes; writes through the mirror reach the hub", async () => {
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
  });
}
