/**
 * JetStream domains across leaf links bound to accounts (nats-server 2.9.10): the account a link is bound to
 * is the account whose JetStream the far side reaches through `$JS.<domain>.API`, and whose clients reach the
 * far side's domain. Pulled messages cross with the `@<subject>` reply rewrite and their acks come back.
 * Each case runs with natsedge and with nats-server in the role under test; the other side is nats-server.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();

function tempDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  own({ close: () => rmSync(path, { recursive: true, force: true }) });
  return path;
}

const ACCOUNTS = `accounts {
  A: { jetstream: enabled, users: [ { user: a, password: a } ] }
  B: { jetstream: enabled, users: [ { user: b, password: b } ] }
}`;

/** A server of `kind` with `conf`; its client port and the /leafz HTTP port. */
async function serve(kind: string, conf: string): Promise<{ port: number; http: number }> {
  const http = await freePort();
  const full = `${conf}\nhttp: "127.0.0.1:${http}"`;
  if (kind === "nats-server") return { port: own(await startNatsServer(full)).port, http };
  return { port: own(await runServer({ config: full })).port, http };
}

/** Whether a link carries interest in `domain`'s API: nats-server advertises its parts, natsedge `$JS.<domain>.API.>`. */
async function domainAdvertised(http: number, domain: string): Promise<boolean> {
  return (await httpLeafz(http)).some((l) => l.subscriptions_list?.some((s) => s.startsWith(`$JS.${domain}.API.`)));
}

const user = (port: number, u: string) => connect({ servers: `127.0.0.1:${port}`, user: u, pass: u, reconnect: false });

/** Pulls `n` messages of `durable` through `nc`'s view of `domain`, acking each; "subject=payload" each. */
async function pull(nc: NatsConnection, domain: string, stream: string, durable: string, n: number): Promise<string[]> {
  const jsm = await jetstreamManager(nc, { domain, timeout: 3000 });
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(nc, { domain, timeout: 3000 }).consumers.get(stream, durable);
  const seen: string[] = [];
  for await (const m of await consumer.fetch({ max_messages: n, expires: 3000 })) {
    seen.push(`${m.subject}=${m.string()}`);
    await m.ackAck();
  }
  await until(async () => (await jsm.consumers.info(stream, durable)).num_ack_pending === 0, "the acks back where the stream is");
  return seen;
}

for (const kind of ["natsedge", "nats-server"]) {
  describe(`a ${kind} edge whose remote binds the link to account A`, () => {
    test("the hub manages and consumes A's streams at the edge; A's clients reach the hub's domain", async () => {
      const leafPort = await freePort();
      const hub = await serve("nats-server", `server_name: hub\njetstream { store_dir: "${tempDir("natsedge-hubjsacc-")}", domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
      const edge = await serve(
        kind,
        `server_name: edge1\njetstream { store_dir: "${tempDir("natsedge-edgejsacc-")}", domain: edge1 }\n${ACCOUNTS}\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}", account: A } ] }`,
      );
      await until(() => domainAdvertised(hub.http, "edge1"), "the edge's domain advertised");

      const hnc = own(await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false }));
      const anc = own(await user(edge.port, "a"));
      const bnc = own(await user(edge.port, "b"));
      const remoteJsm = await jetstreamManager(hnc, { domain: "edge1", timeout: 3000 });
      await remoteJsm.streams.add({ name: "T1", subjects: ["tele.>"] });
      for (let i = 0; i < 3; i++) await jetstream(anc).publish("tele.temp", String(20 + i));
      expect((await remoteJsm.streams.info("T1")).state.messages).toBe(3);
      // The stream is A's alone.
      expect((await (await jetstreamManager(anc)).getAccountInfo()).streams).toBe(1);
      expect((await (await jetstreamManager(bnc)).getAccountInfo()).streams).toBe(0);
      expect(await pull(hnc, "edge1", "T1", "hubside", 3)).toEqual(["tele.temp=20", "tele.temp=21", "tele.temp=22"]);

      const hubFromA = await jetstreamManager(anc, { domain: "hub", timeout: 3000 });
      await hubFromA.streams.add({ name: "H1", subjects: ["cmd.>"] });
      await jetstream(hnc).publish("cmd.reboot", "now");
      expect(await pull(anc, "hub", "H1", "edgeside", 1)).toEqual(["cmd.reboot=now"]);
      // B's clients are not on the link: the hub's domain does not answer them.
      await expect(jetstreamManager(bnc, { domain: "hub", timeout: 1000 }).then((m) => m.getAccountInfo())).rejects.toThrow();
    }, 30_000);
  });

  describe(`a ${kind} hub that puts an accepted leaf in account A`, () => {
    test("A's clients manage and consume the leaf's streams; the leaf reaches A's JetStream at the hub", async () => {
      const leafPort = await freePort();
      const hub = await serve(
        kind,
        `server_name: hub\njetstream { store_dir: "${tempDir("natsedge-hubjsacc-")}", domain: hub }\n${ACCOUNTS}\nleafnodes { listen: "127.0.0.1:${leafPort}", authorization { users: [ { user: leafa, password: pw, account: A } ] } }`,
      );
      const leaf = await serve(
        "nats-server",
        `server_name: leaf1\njetstream { store_dir: "${tempDir("natsedge-leafjsacc-")}", domain: leaf1 }\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://leafa:pw@127.0.0.1:${leafPort}" } ] }`,
      );
      await until(() => domainAdvertised(leaf.http, "hub"), "the hub's domain advertised to the leaf");

      const ha = own(await user(hub.port, "a"));
      const ln = own(await connect({ servers: `127.0.0.1:${leaf.port}`, reconnect: false }));
      const leafFromA = await jetstreamManager(ha, { domain: "leaf1", timeout: 3000 });
      await leafFromA.streams.add({ name: "L1", subjects: ["dev.>"] });
      await jetstream(ln).publish("dev.1", "on");
      expect(await pull(ha, "leaf1", "L1", "hubside", 1)).toEqual(["dev.1=on"]);

      const aFromLeaf = await jetstreamManager(ln, { domain: "hub", timeout: 3000 });
      await aFromLeaf.streams.add({ name: "HA", subjects: ["ord.>"] });
      await jetstream(ha).publish("ord.7", "x");
      expect((await (await jetstreamManager(ha)).getAccountInfo()).streams).toBe(1);
      expect(await pull(ln, "hub", "HA", "leafside", 1)).toEqual(["ord.7=x"]);
    }, 30_000);
  });
}
