// A restored stream rebuilds its Nats-Msg-Id window from the store only when a publish needs it: reading
// every message of the duplicate window at startup made restarts after a burst take seconds.
import { describe, expect, test } from "bun:test";
import { normalizeStreamConfig } from "../../../src/jetstream/config.ts";
import { Stream } from "../../../src/jetstream/stream.ts";
import { MemStore } from "../../../src/store/memstore.ts";
import type { StoredMsg } from "../../../src/store/store.ts";

class CountingStore extends MemStore {
  loads = 0;
  override load(seq: number): StoredMsg | null {
    this.loads++;
    return super.load(seq);
  }
}

const enc = new TextEncoder();
const headers = (h: Record<string, string>) =>
  enc.encode(`NATS/1.0\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
const body = new Uint8Array(8);
const config = () => normalizeStreamConfig({ name: "S", subjects: ["s.>"] });

/** A store as a restart finds it: m1 with an id, 50 without, then m2 with an id last. */
async function restoredStore(): Promise<CountingStore> {
  const store = new CountingStore();
  await store.append("s.a", headers({ "Nats-Msg-Id": "m1" }), body);
  for (let i = 0; i < 50; i++) await store.append("s.b", null, body);
  await store.append("s.a", headers({ "Nats-Msg-Id": "m2" }), body);
  store.loads = 0;
  return store;
}

describe("Nats-Msg-Id window after a restart", () => {
  test("is not read when the stream is restored, nor by publishes without an id", async () => {
    const store = await restoredStore();
    const stream = new Stream(config(), Date.now(), store);
    expect((await stream.ingest("s.b", null, body)).seq).toBe(53);
    expect(store.loads).toBe(0);
  });

  test("is read at the first publish with an id, and still dedupes what was stored before", async () => {
    const store = await restoredStore();
    const stream = new Stream(config(), Date.now(), store);
    await stream.ingest("s.b", null, body);
    expect(await stream.ingest("s.a", headers({ "Nats-Msg-Id": "m1" }), body)).toEqual({ stream: "S", seq: 1, duplicate: true });
    expect(store.loads).toBeGreaterThan(0);
    const loads = store.loads;
    expect((await stream.ingest("s.a", headers({ "Nats-Msg-Id": "m3" }), body)).seq).toBe(54);
    expect(store.loads).toBe(loads);
  });

  test("is read for Nats-Expected-Last-Msg-Id, which sees the last stored message", async () => {
    const stream = new Stream(config(), Date.now(), await restoredStore());
    await expect(stream.ingest("s.a", headers({ "Nats-Expected-Last-Msg-Id": "m1" }), body)).rejects.toThrow("wrong last msg ID: m2");
    expect((await stream.ingest("s.a", headers({ "Nats-Expected-Last-Msg-Id": "m2" }), body)).seq).toBe(53);
  });

  test("after publishes without an id, the last message has none", async () => {
    const stream = new Stream(config(), Date.now(), await restoredStore());
    await stream.ingest("s.b", null, body);
    await expect(stream.ingest("s.a", headers({ "Nats-Expected-Last-Msg-Id": "m2" }), body)).rejects.toThrow("wrong last msg ID: ");
  });
});
