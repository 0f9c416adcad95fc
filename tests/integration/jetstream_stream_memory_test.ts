import { expect, test } from "bun:test";
import { normalizeStreamConfig } from "../../src/jetstream/config.ts";
import { Stream } from "../../src/jetstream/stream.ts";
import { MemStore } from "../../src/store/memstore.ts";
import { sleep } from "../_helpers/spawn.ts";

/** Bun.gc, or V8's gc under deno test (npm run test:deno passes --v8-flags=--expose-gc). */
function collectGarbage(): void {
  if ("Bun" in globalThis) Bun.gc(true);
  else (globalThis as unknown as { gc: () => void }).gc();
}

// The publish chain once resolved to Promise.all's array, which held the previous chain's array: every
// PubAck ever returned stayed reachable (one Object and one Array per stored message).
test("a stream does not keep the acks of earlier publishes alive", async () => {
  const stream = new Stream(normalizeStreamConfig({ name: "S", subjects: ["s"] }), Date.now(), new MemStore());
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < 50; i++) refs.push(new WeakRef(await stream.ingest("s", null, new Uint8Array(8))));
  await stream.ingest("s", null, new Uint8Array(8));
  await sleep(0);
  collectGarbage();
  // JSC scans the stack conservatively, so a stray word can pin one or two; the leak pinned all of them.
  expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(2);
});
