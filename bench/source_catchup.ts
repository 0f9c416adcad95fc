/**
 * Catch-up rate of a source after a backlog, natsedge as the origin vs nats-server as the origin, side by
 * side in one session:
 *
 *   bun bench/source_catchup.ts [REPS]      # default 3 interleaved repetitions; env N (default 50000), SIZE (128)
 *   WARM=1 bun bench/source_catchup.ts      # each origin first serves one catch-up of another N-message stream
 *   THREADS=1 bun bench/source_catchup.ts   # also the origin's CPU during the catch-up split by thread (main, JIT, GC)
 *
 * What a cold origin's JIT compiles during the catch-up (see _procs.ts; match the window THREADS=1 prints):
 *   THREADS=1 NATSEDGE_STDERR=/tmp/jit.log NATSEDGE_ENV=BUN_JSC_reportCompileTimes=1 bun bench/source_catchup.ts 1
 *
 * Per repetition and origin kind: a fresh origin server (leaf, JetStream domain `edge`) dials one
 * nats-server 2.9.10 hub (domain `hub`); N messages of SIZE bytes are published into the origin's stream
 * with the hub's link to it not yet there; then the hub creates a stream sourcing it through `$JS.edge.API`
 * and the time until the hub holds all N is measured. The origin is the only thing that changes, so the
 * figure is how fast each serves a flow-controlled source consumer across a leaf link. A second figure,
 * "local", has the origin server source its own stream (no hub), which measures natsedge's own link too.
 *
 * A fresh natsedge spends most of its first catch-up compiling the delivery path (Bun's JIT worker thread
 * used more CPU than the main thread there), which nats-server, compiled ahead of time, never pays. WARM=1
 * measures a second catch-up on the same origin, the steady state of a server that has delivered before;
 * the backlog is then published with the leaf already up, still with no consumer on it until the hub sources.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { cpuSeconds, freePort, median, startProc, statCpuSeconds, until } from "./_procs.ts";

const REPS = Number(process.argv[2] ?? 3);
const N = Number(process.env.N ?? 50_000);
const SIZE = Number(process.env.SIZE ?? 128);
const WARM = process.env.WARM === "1";
const THREADS = process.env.THREADS === "1";

async function publishBacklog(nc: NatsConnection, subject = "tele.x"): Promise<void> {
  const js = jetstream(nc);
  const payload = new Uint8Array(SIZE).fill(120);
  const window = 1000;
  for (let i = 0; i < N; i += window) {
    const acks = [];
    for (let j = i; j < Math.min(N, i + window); j++) acks.push(js.publish(subject, payload));
    await Promise.all(acks);
  }
}


/** CPU seconds per thread kind (main thread, JIT workers, GC helpers...), summed over /proc/PID/task by thread name. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      out.set(name, (out.get(name) ?? 0) + statCpuSeconds(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

function threadSplit(before: Map<string, number>, after: Map<string, number>): string {
  return [...after].map(([k, v]) => [k, ((v - (before.get(k) ?? 0)) * 1e6) / N] as const).filter(([, us]) => us > 0)
    .sort((a, b) => b[1] - a[1]).map(([k, us]) => `${k} ${us.toFixed(1)}`).join(", ");
}

const usPerMsg = (cpu0: number, cpu1: number) => ((cpu1 - cpu0) * 1e6) / N;

interface Run {
  /** Catch-up rates, msgs/s (wall clock). */
  leaf: number;
  local: number;
  /** CPU µs per message caught up: the origin's and the hub's across the leaf, the origin's sourcing itself. */
  originCpu: number;
  hubCpu: number;
  localCpu: number;
}

const count = async (jsm: JetStreamManager, name: string) => (await jsm.streams.info(name)).state.messages;

async function run(kind: "natsedge" | "nats-server", hubLeafPort: number, hub: { port: number; pid: number }): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `catchup-${kind}-`));
  const origin = await startProc(
    kind,
    `server_name: edge\njetstream { store_dir: "${join(dir, "js")}", domain: edge }\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hubLeafPort}" } ] }`,
    dir,
  );
  const onc = await connect({ servers: `127.0.0.1:${origin.port}` });
  const hnc = await connect({ servers: `127.0.0.1:${hub.port}` });
  try {
    const ojsm = await jetstreamManager(onc);
    const hjsm = await jetstreamManager(hnc);
    const hubStream = `ALL_${kind.replace("-", "_")}_${Date.now()}`;
    // The hub reaches the origin's domain once the leaf is up.
    const leafUp = () => until(async () => (await jetstreamManager(hnc, { domain: "edge" })).getAccountInfo().then(() => true, () => false), 10_000);
    if (WARM) {
      await leafUp();
      await ojsm.streams.add({ name: "WARM", subjects: ["warm.>"] });
      await publishBacklog(onc, "warm.x");
      await hjsm.streams.add({ name: `${hubStream}_WARM`, subjects: [], sources: [{ name: "WARM", external: { api: "$JS.edge.API", deliver: "" } }] });
      await until(async () => (await count(hjsm, `${hubStream}_WARM`)) >= N, 300_000);
      await hjsm.streams.delete(`${hubStream}_WARM`);
      await ojsm.streams.delete("WARM");
    }
    await ojsm.streams.add({ name: "TELE", subjects: ["tele.>"] });
    await publishBacklog(onc);
    await leafUp();
    let [o0, h0] = [cpuSeconds(origin.pid), cpuSeconds(hub.pid)];
    const threads0 = THREADS ? threadCpu(origin.pid) : undefined;
    let t0 = performance.now();
    const epoch0 = Date.now();
    await hjsm.streams.add({ name: hubStream, subjects: [], sources: [{ name: "TELE", external: { api: "$JS.edge.API", deliver: "" } }] });
    await until(async () => (await count(hjsm, hubStream)) >= N, 300_000);
    const leaf = N / ((performance.now() - t0) / 1000);
    const [originCpu, hubCpu] = [usPerMsg(o0, cpuSeconds(origin.pid)), usPerMsg(h0, cpuSeconds(hub.pid))];
    if (threads0) console.log(`${kind} origin CPU µs/msg by thread from ${epoch0} to ${Date.now()} (epoch ms): ${threadSplit(threads0, threadCpu(origin.pid))}`);
    await hjsm.streams.delete(hubStream);
    o0 = cpuSeconds(origin.pid);
    t0 = performance.now();
    await ojsm.streams.add({ name: "LOCAL", subjects: [], sources: [{ name: "TELE" }] });
    await until(async () => (await count(ojsm, "LOCAL")) >= N, 300_000);
    const local = N / ((performance.now() - t0) / 1000);
    return { leaf, local, originCpu, hubCpu, localCpu: usPerMsg(o0, cpuSeconds(origin.pid)) };
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
const results: Record<string, Run[]> = { natsedge: [], "nats-server": [] };
try {
  for (let r = 0; r < REPS; r++) {
    for (const kind of ["natsedge", "nats-server"] as const) {
      const x = await run(kind, hubLeafPort, hub);
      results[kind]!.push(x);
      console.log(
        `rep ${r + 1} ${kind}: hub sourcing across the leaf ${Math.round(x.leaf)} msgs/s (CPU µs/msg: origin ${x.originCpu.toFixed(1)}, hub ${x.hubCpu.toFixed(1)}), ` +
          `local source ${Math.round(x.local)} msgs/s (origin ${x.localCpu.toFixed(1)} µs/msg)`,
      );
    }
  }
} finally {
  await hub.stop();
  rmSync(hubDir, { recursive: true, force: true });
}
const med = (kind: string, k: keyof Run) => median(results[kind]!.map((x) => x[k]));
console.log(`\nMedians of ${REPS} interleaved repetitions (N=${N}, ${SIZE} B${WARM ? ", warm origins" : ""}); CPU is user+system of the process during the catch-up.`);
console.log("| origin | hub sources across leaf (msgs/s) | origin CPU µs/msg | hub CPU µs/msg | local source (msgs/s) | origin CPU µs/msg, local |");
console.log("|---|---|---|---|---|---|");
for (const kind of ["natsedge", "nats-server"] as const) {
  console.log(
    `| ${kind} | ${Math.round(med(kind, "leaf"))} | ${med(kind, "originCpu").toFixed(1)} | ${med(kind, "hubCpu").toFixed(1)} | ${Math.round(med(kind, "local"))} | ${med(kind, "localCpu").toFixed(1)} |`,
  );
}
const ratio = med("natsedge", "leaf") / med("nats-server", "leaf");
const cpuRatio = med("nats-server", "originCpu") / med("natsedge", "originCpu");
console.log(`\nnatsedge / nats-server as origin across the leaf: ${ratio.toFixed(2)}x by rate, ${cpuRatio.toFixed(2)}x by origin CPU per message (N=${N}, ${SIZE} B${WARM ? ", warm" : ""})`);
