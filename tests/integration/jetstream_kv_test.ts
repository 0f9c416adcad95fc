/** Key-value buckets through the official @nats-io/kv client: direct get, CAS, markers and ordered consumers. */
import { expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { type KvWatchEntry, KvWatchInclude, Kvm } from "@nats-io/kv";
import { jetStreamFixture } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("kv");

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test("creating a bucket makes the KV_ stream nats-server would, and status reports it", async () => {
  const kv = await new Kvm(fx.nc).create("cfg", { history: 5 });
  const jsm = await jetstreamManager(fx.nc);
  const si = await jsm.streams.info("KV_cfg");
  expect(si.config.subjects).toEqual(["$KV.cfg.>"]);
  expect(si.config.max_msgs_per_subject).toBe(5);
  expect(si.config.allow_rollup_hdrs).toBe(true);
  expect(si.config.allow_direct).toBe(true);
  expect(si.config.discard).toBe("new" as never);
  const st = await kv.status();
  expect(st.bucket).toBe("cfg");
  expect(st.history).toBe(5);
  expect(st.values).toBe(0);
  // Opening an existing bucket binds to it; opening a missing one through create() makes it.
  const again = await new Kvm(fx.nc).open("cfg");
  expect((await again.status()).history).toBe(5);
});

test("put, get, create and update (CAS on the key's last revision)", async () => {
  const kv = await new Kvm(fx.nc).create("cas", { history: 5 });
  const r1 = await kv.put("a", "one");
  const e1 = await kv.get("a");
  expect(e1?.string()).toBe("one");
  expect(e1?.revision).toBe(r1);
  expect(e1?.key).toBe("a");
  expect(e1?.bucket).toBe("cas");
  expect(e1?.operation).toBe("PUT");
  expect(await kv.get("missing")).toBeNull();

  // create() only succeeds while the key has no value.
  await expect(kv.create("a", "again")).rejects.toThrow("wrong last sequence");
  const r2 = await kv.create("b", "bee");
  expect(r2).toBe(r1 + 1);

  // update() needs the current revision.
  const r3 = await kv.update("a", "two", r1);
  await expect(kv.update("a", "stale", r1)).rejects.toThrow(`wrong last sequence: ${r3}`);
  expect((await kv.get("a"))?.string()).toBe("two");
  // An older revision is still readable through get({revision}).
  expect((await kv.get("a", { revision: r1 }))?.string()).toBe("one");
  expect((await kv.status()).values).toBe(3);
});

test("delete and purge leave markers; create() succeeds again on a deleted key", async () => {
  const kv = await new Kvm(fx.nc).create("marks", { history: 10 });
  await kv.put("k", "1");
  await kv.put("k", "2");
  await kv.delete("k");
  const d = await kv.get("k");
  expect(d?.operation).toBe("DEL");
  expect(d?.length).toBe(0);
  const h = await collect(await kv.history({ key: "k" }));
  expect(h.map((e) => e.operation)).toEqual(["PUT", "PUT", "DEL"]);

  await kv.create("k", "3"); // allowed: the last entry is a delete marker
  expect((await kv.get("k"))?.string()).toBe("3");

  await kv.purge("k");
  const p = await kv.get("k");
  expect(p?.operation).toBe("PURGE");
  // Purge is a rollup: only the marker is left for the key.
  const after = await collect(await kv.history({ key: "k" }));
  expect(after.map((e) => e.operation)).toEqual(["PURGE"]);
  const jsm = await jetstreamManager(fx.nc);
  const si = await jsm.streams.info("KV_marks");
  expect(si.state.messages).toBe(1);
});

test("history is kept up to the bucket's history setting", async () => {
  const kv = await new Kvm(fx.nc).create("hist", { history: 3 });
  for (let i = 1; i <= 5; i++) await kv.put("x", String(i));
  const h = await collect(await kv.history({ key: "x" }));
  expect(h.map((e) => e.string())).toEqual(["3", "4", "5"]);
  expect(await collect(await kv.history({ key: "none" }))).toEqual([]);
});

test("keys lists live keys only, with an optional filter", async () => {
  const kv = await new Kvm(fx.nc).create("keys");
  expect(await collect(await kv.keys())).toEqual([]);
  await kv.put("a.1", "x");
  await kv.put("a.2", "x");
  await kv.put("b.1", "x");
  await kv.put("a.1", "y");
  await kv.delete("a.2");
  expect((await collect(await kv.keys())).sort()).toEqual(["a.1", "b.1"]);
  expect(await collect(await kv.keys("a.>"))).toEqual(["a.1"]);
});

test("watch sends the current values, then updates and deletes as they happen", async () => {
  const kv = await new Kvm(fx.nc).create("watch");
  await kv.put("w.a", "1");
  await kv.put("w.b", "1");
  await kv.put("w.a", "2");
  const w = await kv.watch({ key: "w.>" });
  const seen: KvWatchEntry[] = [];
  const done = (async () => {
    for await (const e of w) {
      seen.push(e);
      if (seen.length === 4) break;
    }
  })();
  await kv.put("w.c", "3");
  await kv.delete("w.b");
  await done;
  expect(seen.map((e) => [e.key, e.operation, e.string(), e.isUpdate])).toEqual([
    ["w.b", "PUT", "1", false],
    ["w.a", "PUT", "2", true],
    ["w.c", "PUT", "3", true],
    ["w.b", "DEL", "", true],
  ]);
});

test("watch with updatesOnly and ignoreDeletes", async () => {
  const kv = await new Kvm(fx.nc).create("watch2");
  await kv.put("old", "x");
  const w = await kv.watch({ include: KvWatchInclude.UpdatesOnly, ignoreDeletes: true });
  const seen: string[] = [];
  const done = (async () => {
    for await (const e of w) {
      seen.push(`${e.key}=${e.string()}`);
      if (seen.length === 2) break;
    }
  })();
  await kv.put("n1", "a");
  await kv.delete("n1");
  await kv.put("n2", "b");
  await done;
  expect(seen).toEqual(["n1=a", "n2=b"]);
});

test("a bucket can be destroyed and listed", async () => {
  const kvm = new Kvm(fx.nc);
  const kv = await kvm.create("gone");
  await kv.put("a", "1");
  const names: string[] = [];
  for await (const s of kvm.list()) names.push(s.bucket);
  expect(names).toContain("gone");
  expect(await kv.destroy()).toBe(true);
  const jsm = await jetstreamManager(fx.nc);
  await expect(jsm.streams.info("KV_gone")).rejects.toThrow("stream not found");
});
