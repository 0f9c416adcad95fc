/**
 * Catch-up after a hub outage, natsedge as the edge leaf vs nats-server as the edge leaf, side by side:
 *
 *   bun bench/leaf_outage.ts [REPS]     # default 1; env OUTAGE_S (default 30), N (default 20000), SIZE (128)
 *
 * Per repetition and edge kind: a nats-server 2.9.10 hub (JetStream domain `hub`) whose stream sources the
 * edge's stream through `$JS.edge.API` (store-and-forward); the edge (domain `edge`) dials the hub as a
 * leaf. The hub is stopped, N messages are published into the edge's stream during the outage, and after
 * OUTAGE_S seconds the hub starts again on the same store and ports. Measured from the hub's restart: the
 * leaf link up again (the hub reaches the edge's JetStream API), and the hub's stream holding everything.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { freePort, type Kind, median, startProc, until } from "./_procs.ts";

const REPS = Number(process.argv[2] ?? 1);
const OUTAGE_S = Number(process.env.OUTAGE_S ?? 30);
const N = Number(process.env.N ?? 20_000);
const SIZE = Number(process.env.SIZE ?? 128);
const BEFORE = 1000;

/** The hub reaches the edge's JetStream API: the leaf link is up. */
function reachesEdge(nc: NatsConnection): Promise<boolean> {
  return jetstreamManager(nc, { domain: "edge", timeout: 500 })
    .then((m) => m.getAccountInfo())
    .then(() => true, () => false);
}

interface Result {
  linkS: number;
  caughtUpS: number;
}

async function run(kind: Kind): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `outage-${kind}-`));
  const hubLeafPort = await freePort();
  const hubPort = await freePort();
  const hubConf = `server_name: hub\njetstream { store_dir: "${join(dir, "hub")}", domain: hub }\nleafnodes { listen: "127.0.0.1:${hubLeafPort}" }`;
  let hub = await startProc("nats-server", hubConf, dir, hubPort);
  const edge = await startProc(
    kind,
    `server_name: edge\njetstream { store_dir: "${join(dir, "edge")}", domain: edge }\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:${hubLeafPort}" } ] }`,
    dir,
  );
  const enc = await connect({ servers: `127.0.0.1:${edge.port}` });
  const payload = new Uint8Array(SIZE).fill(120);
  try {
    const ejsm = await jetstreamManager(enc);
    await ejsm.streams.add({ name: "TELE", subjects: ["tele.>"] });
    const ejs = jetstream(enc);
    const publish = async (n: number) => {
      for (let i = 0; i < n; i += 500) {
        const acks = [];
        for (let j = i; j < Math.min(n, i + 500); j++) acks.push(ejs.publish("tele.x", payload));
        await Promise.all(acks);
      }
    };
    let hnc = await connect({ servers: `127.0.0.1:${hubPort}` });
    await until(() => reachesEdge(hnc), 20_000, "the link");
    const hjsm = await jetstreamManager(hnc);
    await hjsm.streams.add({ name: "ALL", subjects: [], sources: [{ name: "TELE", external: { api: "$JS.edge.API", deliver: "" } }] });
    await publish(BEFORE);
    await until(async () => (await hjsm.streams.info("ALL")).state.messages >= BEFORE, 60_000, "the first messages at the hub");
    await hnc.close();

    await hub.stop();
    const down = performance.now();
    await publish(N);
    const left = OUTAGE_S * 1000 - (performance.now() - down);
    if (left > 0) await Bun.sleep(left);
    hub = await startProc("nats-server", hubConf, dir, hubPort);
    const t0 = performance.now();
    hnc = await connect({ servers: `127.0.0.1:${hubPort}` });
    await until(() => reachesEdge(hnc), 60_000, "the link again");
    const linkS = (performance.now() - t0) / 1000;
    const jsm2 = await jetstreamManager(hnc);
    await until(async () => (await jsm2.streams.info("ALL")).state.messages >= BEFORE + N, 600_000, "the backlog at the hub");
    const caughtUpS = (performance.now() - t0) / 1000;
    await hnc.close();
    return { linkS, caughtUpS };
  } finally {
    await enc.close();
    await edge.stop();
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<Kind, Result[]> = { natsedge: [], "nats-server": [] };
for (let r = 0; r < REPS; r++) {
  for (const kind of ["natsedge", "nats-server"] as const) {
    const x = await run(kind);
    results[kind].push(x);
    console.log(`rep ${r + 1} ${kind} edge: link back ${x.linkS.toFixed(2)} s, ${N} messages caught up ${x.caughtUpS.toFixed(2)} s after the hub restarted`);
  }
}
console.log(`\n| edge leaf | link back after restart (s, median of ${REPS}) | backlog of ${N} × ${SIZE} B at the hub (s) | catch-up msgs/s |`);
console.log("|---|---|---|---|");
for (const kind of ["natsedge", "nats-server"] as const) {
  const link = median(results[kind].map((x) => x.linkS));
  const done = median(results[kind].map((x) => x.caughtUpS));
  console.log(`| ${kind} | ${link.toFixed(2)} | ${done.toFixed(2)} | ${Math.round(N / (done - link))} |`);
}
