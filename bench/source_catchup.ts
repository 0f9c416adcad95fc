/**
 * Catch-up rate of a source after a backlog, natsedge as the origin vs nats-server as the origin, side by
 * side in one session:
 *
 *   bun bench/source_catchup.ts [REPS]      # default 3 interleaved repetitions; env N (default 50000), SIZE (128)
 *
 * Per repetition and origin kind: a fresh origin server (leaf, JetStream domain `edge`) dials one
 * nats-server 2.9.10 hub (domain `hub`); N messages of SIZE bytes are published into the origin's stream
 * with the hub's link to it not yet there; then the hub creates a stream sourcing it through `$JS.edge.API`
 * and the time until the hub holds all N is measured. The origin is the only thing that changes, so the
 * figure is how fast each serves a flow-controlled source consumer across a leaf link. A second figure,
 * "local", has the origin server source its own stream (no hub), which measures natsedge's own link too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { freePort, median, startProc, until } from "./_procs.ts";

const REPS = Number(process.argv[2] ?? 3);
const N = Number(process.env.N ?? 50_000);
const SIZE = Number(process.env.SIZE ?? 128);

async function publishBacklog(nc: NatsConnection): Promise<void> {
  const js = jetstream(nc);
  const payload = new Uint8Array(SIZE).fill(120);
  const window = 1000;
  for (let i = 0; i < N; i += window) {
    const acks = [];
    for (let j = i; j < Math.min(N, i + window); j++) acks.push(js.publish("tele.x", payload));
    await Promise.all(acks);
  }
}

const count = async (jsm: JetStreamManager, name: string) => (await jsm.streams.info(name)).state.messages;

async function run(kind: "natsedge" | "nats-server", hubLeafPort: number, hubPort: number): Promise<{ leaf: number; local: number }> {
  const dir = mkdtempSync(join(tmpdir(), `catchup-${kind}-`));
  const origin = await startProc(
    kind,
    `server_name: edge\njetstream { store_dir: "${join(dir, "js")}", domain: edge }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hubLeafPort}" } ] }`,
    dir,
  );
  const onc = await connect({ servers: `127.0.0.1:${origin.port}` });
  const hnc = await connect({ servers: `127.0.0.1:${hubPort}` });
  try {
    const ojsm = await jetstreamManager(onc);
    await ojsm.streams.add({ name: "TELE", subjects: ["tele.>"] });
    await publishBacklog(onc);
    const hjsm = await jetstreamManager(hnc);
    const hubStream = `ALL_${kind.replace("-", "_")}_${Date.now()}`;
    // The hub reaches the origin's domain once the leaf is up.
    await until(async () => (await jetstreamManager(hnc, { domain: "edge" })).getAccountInfo().then(() => true, () => false), 10_000);
    let t0 = performance.now();
    await hjsm.streams.add({ name: hubStream, subjects: [], sources: [{ name: "TELE", external: { api: "$JS.edge.API", deliver: "" } }] });
    await until(async () => (await count(hjsm, hubStream)) >= N, 300_000);
    const leaf = N / ((performance.now() - t0) / 1000);
    await hjsm.streams.delete(hubStream);
    t0 = performance.now();
    await ojsm.streams.add({ name: "LOCAL", subjects: [], sources: [{ name: "TELE" }] });
    await until(async () => (await count(ojsm, "LOCAL")) >= N, 300_000);
    const local = N / ((performance.now() - t0) / 1000);
    return { leaf, local };
  } finally {
    await onc.close();
    await hnc.close();
    await origin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hubDir = mkdtempSync(join(tmpdir(), "catchup-hub-"));
const hubLeafPort = await freePort();
const hub = await startProc("nats-server", `server_name: hub\njetstream { store_dir: "${hubDir}", domain: hub }\nleafnodes { listen: "127.0.0.1:${hubLeafPort}" }`, hubDir);
const results: Record<string, { leaf: number[]; local: number[] }> = { natsedge: { leaf: [], local: [] }, "nats-server": { leaf: [], local: [] } };
try {
  for (let r = 0; r < REPS; r++) {
    for (const kind of ["natsedge", "nats-server"] as const) {
      const x = await run(kind, hubLeafPort, hub.port);
      results[kind]!.leaf.push(x.leaf);
      results[kind]!.local.push(x.local);
      console.log(`rep ${r + 1} ${kind}: hub sourcing across the leaf ${Math.round(x.leaf)} msgs/s, local source ${Math.round(x.local)} msgs/s`);
    }
  }
} finally {
  await hub.stop();
  rmSync(hubDir, { recursive: true, force: true });
}
console.log(`\n| origin | hub sources across leaf (msgs/s, median of ${REPS}) | local source (msgs/s) |`);
console.log("|---|---|---|");
for (const kind of ["natsedge", "nats-server"] as const) {
  console.log(`| ${kind} | ${Math.round(median(results[kind]!.leaf))} | ${Math.round(median(results[kind]!.local))} |`);
}
const ratio = median(results.natsedge!.leaf) / median(results["nats-server"]!.leaf);
console.log(`\nnatsedge / nats-server as origin across the leaf: ${ratio.toFixed(2)}x (N=${N}, ${SIZE} B)`);
