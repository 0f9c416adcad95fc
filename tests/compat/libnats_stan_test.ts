/**
 * The C client's NATS Streaming API (Debian's libnats, built with -DNATS_HAS_STREAMING) against natsedge:
 * libnats/stan.c connects, publishes with acks (sync and async), resumes a durable with manual acks whose
 * unacknowledged messages come back flagged redelivered, starts at a sequence and at the last message, shares
 * a queue group and closes. There is no nats-streaming-server here to run it against (reference
 * nats-streaming.md §9.1), so the program's checks follow nats-streaming-server's documented behaviour.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { buildLibnats, checkFailures, removeBuilt } from "../_helpers/libnats.ts";
import { runServer } from "../_helpers/server.ts";

const SOURCE = join(import.meta.dirname!, "libnats", "stan.c");
afterAll(removeBuilt);

test("libnats' STAN API: connect, publish with acks, durable with manual acks resumed, start positions, queue group, close", async () => {
  const srv = await runServer({ streaming: { cluster_id: "c-cluster", store: "memory", encrypt: false } });
  try {
    expect(await checkFailures(await buildLibnats(SOURCE, true), [`nats://${srv.url}`, "c-cluster"], 11)).toEqual([]);
  } finally {
    await srv.close();
  }
}, 60_000);
