// The persistent-session store and the write tracking acknowledgements wait on: round trips through a
// file store reopened, as a restart reopens it.
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { scratchDir } from "../../_helpers/certs.ts";
import { PendingKind, SessionStore } from "../../../src/mqtt/session_store.ts";
import { Writes } from "../../../src/mqtt/writes.ts";
import { StoreProvider } from "../../../src/store/provider.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function reopen(dir: string, key?: string): Promise<SessionStore> {
  return SessionStore.open(new StoreProvider("mqtt", { storeDir: dir, key }), "file");
}

describe("SessionStore", () => {
  test("sessions come back with their subscriptions and pending records of each kind; a dropped one does not", async () => {
    const dir = scratchDir("natsedge-mqtt-store-");
    try {
      const s = await reopen(dir, "a-key-for-the-test-store");
      await s.save("dev/1 with spaces", { "a.>": 1, "b.*": 2 });
      const out = await s.add("dev/1 with spaces", PendingKind.OUT, { subject: "a.x", qos: 2, pid: 0, retain: false }, enc.encode("m1"));
      await s.add("dev/1 with spaces", PendingKind.REL, { subject: "", qos: 2, pid: 17, retain: false }, new Uint8Array(0));
      await s.add("dev/1 with spaces", PendingKind.IN, { subject: "c.y", qos: 2, pid: 9, retain: true }, enc.encode("in"));
      await s.save("gone", {});
      await s.add("gone", PendingKind.OUT, { subject: "a.z", qos: 1, pid: 0, retain: false }, enc.encode("x"));
      await s.drop("gone");
      await s.save("dev/1 with spaces", { "a.>": 1 });
      await s.close();

      const again = await reopen(dir, "a-key-for-the-test-store");
      const loaded = again.load();
      expect(loaded.map((l) => l.id)).toEqual(["dev/1 with spaces"]);
      expect(loaded[0]!.subs).toEqual({ "a.>": 1 });
      const p = loaded[0]!.pending.map((x) => ({ kind: x.kind, subject: x.subject, qos: x.qos, pid: x.pid, retain: x.retain, payload: dec.decode(x.payload) }));
      expect(p).toEqual([
        { kind: "o", subject: "a.x", qos: 2, pid: 0, retain: false, payload: "m1" },
        { kind: "r", subject: "", qos: 2, pid: 17, retain: false, payload: "" },
        { kind: "i", subject: "c.y", qos: 2, pid: 9, retain: true, payload: "in" },
      ]);
      await again.remove(out);
      expect(again.load()[0]!.pending.map((x) => x.kind)).toEqual(["r", "i"]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Writes", () => {
  test("during() gathers the writes made inside it, nested ones also into the outer", async () => {
    const errors: string[] = [];
    const w = new Writes((e) => errors.push(e.message));
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let innerDone: Promise<void> | null = null;
    const outer = w.during(() => {
      innerDone = w.during(() => w.add(slow));
    });
    expect(outer).not.toBeNull();
    expect(innerDone).not.toBeNull();
    let settled = false;
    void outer!.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await outer;
    expect(settled).toBe(true);
    expect(w.during(() => {})).toBeNull();
  });

  test("a write outside during() is only watched: its failure is reported", async () => {
    const errors: string[] = [];
    const w = new Writes((e) => errors.push(e.message));
    w.add(Promise.reject(new Error("disk full")));
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toEqual(["disk full"]);
  });
});
