/**
 * JetStream publishes per second in the global account and in accounts, natsedge beside nats-server 2.9.10
 * in one run: "global" (no accounts, $G has JetStream), "account" (an account with `jetstream: enabled`) and
 * "limited" (an account with max_file and max_mem, so every publish is checked against its usage). Each run
 * publishes MSGS 128-byte messages into a file stream with nats.js, WINDOW acks outstanding.
 *
 *   npx bun bench/js_accounts_bench.ts [MSGS] [REPS]     # defaults 20000 messages, 3 interleaved reps
 *
 * Prints msgs/s per server, setup and repetition, then the medians and natsedge/nats-server ratios.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type Kind, median, startProc } from "./_procs.ts";

const MSGS = Number(process.argv[2] ?? 20000);
const REPS = Number(process.argv[3] ?? 3);
const WINDOW = 256;
const dir = mkdtempSync(join(tmpdir(), "natsedge-jsaccbench-"));

const SETUPS = {
  global: { conf: "", user: undefined },
  account: { conf: "accounts { A: { users: [{user: a, password: a}], jetstream: enabled } }", user: "a" },
  limited: { conf: "accounts { A: { users: [{user: a, password: a}], jetstream: { max_file: 10G, max_mem: 1G } } }", user: "a" },
} as const;
type Setup = keyof typeof SETUPS;

async function rate(port: number, user: string | undefined): Promise<number> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, ...(user ? { user, pass: user } : {}) });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "BENCH", subjects: ["bench.>"] });
  const js = jetstream(nc);
  const payload = new Uint8Array(128);
  const run = async (n: number) => {
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < n; i++) {
      const p = js.publish("bench.x", payload).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= WINDOW) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  };
  await run(Math.min(2000, MSGS)); // warm-up
  const t0 = performance.now();
  await run(MSGS);
  const r = MSGS / ((performance.now() - t0) / 1000);
  await nc.close();
  return r;
}

const results = new Map<string, number[]>();
try {
  for (let r = 0; r < REPS; r++) {
    const kinds: Kind[] = r % 2 === 0 ? ["natsedge", "nats-server"] : ["nats-server", "natsedge"];
    for (const setup of Object.keys(SETUPS) as Setup[]) {
      for (const kind of kinds) {
        const store = mkdtempSync(join(dir, "store-"));
        const s = SETUPS[setup];
        const proc = await startProc(kind, `jetstream { store_dir: ${JSON.stringify(store)} }\n${s.conf}`, dir);
        try {
          const v = await rate(proc.port, s.user);
          const key = `${kind} ${setup}`;
          results.set(key, [...(results.get(key) ?? []), v]);
          console.log(`rep ${r + 1} ${kind.padEnd(11)} ${setup.padEnd(8)} ${v.toFixed(0)} msgs/s`);
        } finally {
          await proc.stop();
          rmSync(store, { recursive: true, force: true });
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const setup of Object.keys(SETUPS) as Setup[]) {
  const edge = median(results.get(`natsedge ${setup}`)!);
  const ref = median(results.get(`nats-server ${setup}`)!);
  console.log(`median ${setup.padEnd(8)}: natsedge ${edge.toFixed(0)} msgs/s, nats-server ${ref.toFixed(0)} msgs/s, ratio ${(edge / ref).toFixed(2)}`);
}
