/**
 * The C client (libnats, Debian's libnats-dev) against natsedge: libnats/checks.c, compiled here, puts,
 * deletes and purges KV keys and reads the markers back through Get, History, Keys and STREAM.MSG.GET, then
 * reads a 100k-message stream through an ordered consumer, printing one JSON line per check. The same program runs against nats-server 2.9.10, so a check that is wrong about
 * nats-server's behaviour fails there.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLibnats, checkFailures, removeBuilt } from "../_helpers/libnats.ts";
import { runServer } from "../_helpers/server.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { spawn, text, which } from "../_helpers/spawn.ts";

const SOURCE = join(import.meta.dirname!, "libnats", "checks.c");
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
  removeBuilt();
});

const failures = async (url: string) => checkFailures(await buildLibnats(SOURCE), [url], 11);

test("libnats KV sees natsedge's markers as it sees nats-server's, and its ordered consumer reads 100k messages", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-libnats-store-"));
  scratch.push(dir);
  const srv = await runServer({ jetstream: { enabled: true, store_dir: dir } });
  try {
    expect(await failures(`nats://${srv.url}`)).toEqual([]);
  } finally {
    await srv.close();
  }
}, 90_000);

test.skipIf(which("nats-server") === null)("the checks themselves pass against nats-server -js", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-libnats-ref-"));
  scratch.push(dir);
  const ref = await startNatsServer(`jetstream { store_dir: ${JSON.stringify(dir)} }`);
  try {
    expect(await failures(`nats://127.0.0.1:${ref.port}`)).toEqual([]);
  } finally {
    await ref.close();
  }
}, 90_000);
