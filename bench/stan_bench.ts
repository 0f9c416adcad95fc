/**
 * NATS Streaming throughput with the npm client (node-nats-streaming 0.3.2): publishes with acks, pipelined
 * up to the client's 16384 in flight, and 1 publisher : 1 subscriber, on the seed's file store, plaintext vs
 * AES vs CHACHA (at most 16000 messages: one burst within the client's limit). The JS client is the load generator here (the C client is a later slice), so the figures
 * are a floor for the server. Usage: bun bench/stan_bench.ts [count]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliChild } from "../tests/_helpers/cli_child.ts";
import { Collected, stanClose, stanConnect } from "../tests/_helpers/stan.ts";

const COUNT = Math.min(Number(process.argv[2] ?? 16_000), 16_000);
const SIZES = [128, 1024];
const BURSTS = 4;
const MODES: [string, string[]][] = [["plain", []], ["AES", ["-encrypt", "-encryption_cipher", "AES"]], ["CHACHA", ["-encrypt", "-encryption_cipher", "CHACHA"]]];

async function run(size: number, flags: string[], withSub: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "stan-bench-"));
  const srv = await CliChild.start(["-a", "127.0.0.1", "-p", "-1", "-store", "file", "-dir", join(dir, "d"), ...flags], { NATS_STREAMING_ENCRYPTION_KEY: "bench-key" });
  try {
    const sc = await stanConnect(srv.port, "bench");
    const payload = Buffer.alloc(size, 0x61);
    const sub = withSub ? await Collected.subscribe(sc, "bench", sc.subscriptionOptions()) : null;
    // The best of BURSTS bursts: the first warms up the JIT and the page cache, and the machine is shared.
    let best = 0;
    for (let b = 1; b <= BURSTS; b++) {
      const start = performance.now();
      await new Promise<void>((resolve, reject) => {
        let acked = 0;
        for (let i = 0; i < COUNT; i++) {
          sc.publish("bench", payload, (err) => {
            if (err) reject(err);
            else if (++acked === COUNT) resolve();
          });
        }
      });
      await sub?.until(b * COUNT, 120_000);
      best = Math.max(best, COUNT / ((performance.now() - start) / 1000));
    }
    const rate = best;
    await stanClose(sc);
    return rate;
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const withSub of [false, true]) {
  for (const size of SIZES) {
    const rates: Record<string, number> = {};
    for (const [name, flags] of MODES) rates[name] = await run(size, flags, withSub);
    const row = MODES.map(([n]) => `${n} ${Math.round(rates[n]!)} msg/s`).join(", ");
    const ratio = (Math.min(rates.AES!, rates.CHACHA!) / rates.plain!).toFixed(2);
    console.log(`${withSub ? "1 pub : 1 sub" : "publish+ack"} ${size} B: ${row}; worst encrypted/plain ${ratio}`);
  }
}
