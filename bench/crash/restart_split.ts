/**
 * Where a restart after kill -9 spends its time, without the crash loop's client load:
 *
 *   bun bench/crash/restart_split.ts [natsedge|nats-server] [plain|encrypted] [MSGS=15000] [REPS=9]
 *
 * Fills a fresh store with MSGS messages (256 publishes in flight, a durable consumer beside the stream,
 * as in the loop) and kills the server with SIGKILL, then REPS times starts the server on a fresh copy of
 * that killed store and reads the startup log: median milliseconds after spawn of the first line, of
 * "Starting JetStream", of "Restored ... messages" and of "Server is ready". KEEP=1 leaves the killed store;
 * STORE=DIR restarts a store kept by `KEEP=1 npm run bench:crash` (DIR holds its store/) instead of filling one.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type Milestones, type ServerKind, ServerProcess, type ServerSpec, writeConf } from "./server.ts";
import { untilPong } from "./probe.ts";

const kind = (process.argv[2] ?? "natsedge") as ServerKind;
const encrypted = process.argv[3] === "encrypted";
const msgs = Number(process.argv[4] ?? 15_000);
const reps = Number(process.argv[5] ?? 9);
const PORT = 20_000 + Math.floor(Math.random() * 20_000);

async function ready(srv: ServerProcess): Promise<Milestones> {
  while (srv.milestones.ready === undefined) await new Promise((r) => setTimeout(r, 5));
  return srv.milestones;
}

/** The store the loop leaves behind at a kill: MSGS messages, the tail not yet summarized. */
async function killedStore(dir: string): Promise<void> {
  mkdirSync(dir);
  const spec: ServerSpec = { kind, encrypted, dir, port: PORT };
  const srv = new ServerProcess(spec, writeConf(spec));
  (await untilPong(PORT, performance.now() + 30_000)).sock.destroy();
  const nc = await connect({ servers: `127.0.0.1:${PORT}` });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "CRASH", subjects: ["crash.>"] });
  await jsm.consumers.add("CRASH", { durable_name: "C", ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  const body = new Uint8Array(128);
  let sent = 0;
  await Promise.all(Array.from({ length: 256 }, async () => {
    while (sent < msgs) {
      sent++;
      await js.publish("crash.data", body);
    }
  }));
  await srv.kill();
  await nc.close().catch(() => {});
}

const median = (xs: (number | undefined)[]) => {
  const s = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? "-" : s[Math.floor(s.length / 2)]!.toFixed(0);
};

const base = mkdtempSync(join(tmpdir(), "restart-split-"));
try {
  const killed = process.env.STORE ?? join(base, "killed");
  if (process.env.STORE === undefined) await killedStore(killed);
  const runs: Milestones[] = [];
  for (let i = 0; i < reps; i++) {
    const dir = join(base, `run${i}`);
    cpSync(join(killed, "store"), join(dir, "store"), { recursive: true });
    const spec: ServerSpec = { kind, encrypted, dir, port: PORT };
    const srv = new ServerProcess(spec, writeConf(spec));
    runs.push(await ready(srv));
    await srv.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (k: keyof Milestones) => median(runs.map((r) => r[k]));
  console.log(`${kind} ${encrypted ? "encrypted" : "plain"}, ${process.env.STORE ?? `${msgs} messages`}, median of ${reps} restarts (ms after spawn): first line ${m("firstLine")}, Starting JetStream ${m("jetstream")}, Restored ${m("restored")}, ready ${m("ready")}`);
} finally {
  if (process.env.KEEP) console.log(`killed store kept in ${join(base, "killed")}`);
  else rmSync(base, { recursive: true, force: true });
}
process.exit(0);
