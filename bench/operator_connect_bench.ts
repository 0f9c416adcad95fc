/**
 * Operator-mode connects per second, natsedge beside nats-server 2.9.10 in one run: the same config (an
 * operator, a MEMORY resolver with the account preloaded) and the same nats.js client connecting with
 * credsAuthenticator (user JWT checked, nonce signed and verified, account bound) and closing, sequentially.
 *
 *   npx bun bench/operator_connect_bench.ts [CONNECTS] [REPS]     # defaults 300 connects, 3 interleaved reps
 *
 * Prints connects/s per server and repetition, the medians and their ratio. Env: RUNTIME=bun|deno.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { OperatorSetup } from "../tests/_helpers/operator.ts";

const CONNECTS = Number(process.argv[2] ?? 300);
const REPS = Number(process.argv[3] ?? 3);
const ROOT = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "natsedge-opbench-"));

const setup = await OperatorSetup.create();
const acc = await setup.account("A");
const creds = (await setup.user(acc)).creds;

async function serve(kind: "natsedge" | "nats-server", port: number): Promise<() => Promise<void>> {
  const conf = join(dir, `${kind}.conf`);
  writeFileSync(conf, `listen: 127.0.0.1:${port}\n${setup.conf("memory")}`);
  const runtime = process.env.RUNTIME === "deno" ? [join(ROOT, "node_modules/.bin/deno"), "run", "-A"] : [join(ROOT, "node_modules/.bin/bun")];
  const cmd = kind === "natsedge" ? [...runtime, join(ROOT, "src/main.ts"), "-c", conf] : ["nats-server", "-c", conf];
  const proc = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe" });
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of proc.stderr) {
    text += decoder.decode(chunk);
    if (text.includes("Server is ready")) break;
  }
  return async () => {
    proc.kill();
    await proc.exited;
  };
}

async function rate(port: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < CONNECTS; i++) {
    const nc = await connect({ servers: `127.0.0.1:${port}`, authenticator: credsAuthenticator(creds), reconnect: false });
    await nc.close();
  }
  return CONNECTS / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, number[]> = { natsedge: [], "nats-server": [] };
const port = 20000 + Math.floor(Math.random() * 20000);
try {
  for (let r = 0; r < REPS; r++) {
    const order = r % 2 === 0 ? (["natsedge", "nats-server"] as const) : (["nats-server", "natsedge"] as const);
    for (const kind of order) {
      const stop = await serve(kind, port);
      try {
        await rate(port); // warm-up: JIT, the account loaded through the resolver
        const v = await rate(port);
        results[kind]!.push(v);
        console.log(`rep ${r + 1} ${kind.padEnd(11)} ${v.toFixed(0)} connects/s`);
      } finally {
        await stop();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const edge = median(results.natsedge!);
const ref = median(results["nats-server"]!);
console.log(`median: natsedge ${edge.toFixed(0)} connects/s, nats-server ${ref.toFixed(0)} connects/s, ratio ${(edge / ref).toFixed(2)}`);
