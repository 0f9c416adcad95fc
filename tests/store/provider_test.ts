// The store provider: JetStream's streams under <store_dir>/jetstream/$G/streams/<name>, the layout
// nats-server uses and stores written before the provider existed are in; memory or file; the key and cipher
// given once for every store it opens.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { FileStore, locateStoreDir, StoreKeyError, StoreProvider } from "../../src/store/mod.ts";
import { dec, enc, useTempDirs } from "./_fs.ts";

const tempDir = useTempDirs();

describe("StoreProvider", () => {
  test("opens a file store written at <store_dir>/jetstream/$G/streams/<name> and lists it", async () => {
    const storeDir = tempDir();
    const streamDir = join(storeDir, "jetstream", "$G", "streams", "ORDERS");
    const w = await FileStore.open({ dir: streamDir, name: "ORDERS", key: "k1" });
    await w.append("orders.1", null, enc("one"));
    await w.writeMeta(enc("{}"));
    await w.close();

    const p = new StoreProvider("jetstream", { storeDir, key: "k1", cipher: "xchacha" });
    expect(p.dir).toBe(join(storeDir, "jetstream"));
    expect(p.path("ORDERS")).toBe(streamDir);
    expect(p.names()).toEqual(["ORDERS"]);
    const s = await p.open("ORDERS", { storage: "file" });
    expect(s.kind).toBe("file");
    expect(dec(s.load(1)!.payload)).toBe("one");
    expect(s.recovery.damaged).toEqual([]);
    await s.close();
    expect(p.cipher).toBe("xchacha");
  });

  test("a wrong key is a StoreKeyError, as FileStore reports it", async () => {
    const storeDir = tempDir();
    const good = new StoreProvider("jetstream", { storeDir, key: "right" });
    const s = await good.open("S", { storage: "file" });
    await s.writeMeta(enc("{}"));
    await s.close();
    const bad = new StoreProvider("jetstream", { storeDir, key: "wrong" });
    await expect(bad.open("S", { storage: "file" })).rejects.toBeInstanceOf(StoreKeyError);
  });

  test("memory stores leave nothing on disk; remove deletes a file store's directory", async () => {
    const storeDir = tempDir();
    const p = new StoreProvider("jetstream", { storeDir });
    expect(p.cipher).toBeNull();
    expect(p.names()).toEqual([]);
    const m = await p.open("MEM", { storage: "memory", limits: { max_msgs: 1 } });
    expect(m.kind).toBe("memory");
    await m.append("a", null, enc("1"));
    await m.append("a", null, enc("2"));
    expect(m.msgCount()).toBe(1);
    expect(existsSync(p.path("MEM"))).toBe(false);
    const f = await p.open("FILE", { storage: "file" });
    await f.close();
    expect(p.names()).toEqual(["FILE"]);
    p.remove("FILE");
    expect(p.names()).toEqual([]);
  });

  test("locateStoreDir takes the store_dir or its jetstream/ folder", () => {
    const storeDir = tempDir();
    expect(locateStoreDir("jetstream", storeDir)).toBeNull();
    mkdirSync(join(storeDir, "jetstream", "$G", "streams"), { recursive: true });
    expect(locateStoreDir("jetstream", storeDir)).toBe(storeDir);
    expect(locateStoreDir("jetstream", join(storeDir, "jetstream"))).toBe(storeDir);
    expect(locateStoreDir("jetstream", dirname(storeDir))).toBeNull();
  });
});
