// A stopped store damaged the way disks and power cuts do (torn tail, bit flips in a frame body and header,
// a zeroed 4 KiB page, lost summary files), encrypted and plain: the server starts, logs the damage, serves
// every undamaged message byte-exact, a durable consumer passes the gap, a get of a lost sequence answers at
// once, and new publishes take the next sequence and survive another restart. natsedge's own file layout:
// there is no reference-mode run.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { damage, DamageKind } from "../_helpers/damage.ts";

const N = 3000;
const payload = (i: number) => `message ${String(i).padStart(6, "0")} `.padEnd(200, String.fromCharCode(97 + (i % 26)));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dir: string, key: string | undefined): Promise<{ srv: TestServer; nc: NatsConnection }> {
  const srv = await runServer({ jetstream: { enabled: true, store_dir: dir, ...(key === undefined ? {} : { key }) } });
  return { srv, nc: await client(srv) };
}

async function stop(x: { srv: TestServer; nc: NatsConnection }): Promise<void> {
  await x.nc.close();
  await x.srv.close();
}

/**
 * Every message the durable consumer hands out, acked, asking each time for as many as it says are pending
 * (so no fetch waits for its expiry); a wrong num_pending shows as a missing or an unexpected message.
 */
async function drain(nc: NatsConnection): Promise<Map<number, string>> {
  const got = new Map<number, string>();
  const c = await jetstream(nc).consumers.get("DMG", "reader");
  for (let pending = (await c.info()).num_pending; pending > 0; pending = (await c.info()).num_pending) {
    const batch = await c.fetch({ max_messages: Math.min(500, pending), expires: 10_000 });
    let last = null;
    for await (const m of batch) {
      if (got.has(m.seq)) throw new Error(`sequence ${m.seq} delivered twice`);
      got.set(m.seq, m.string());
      if (last !== null) last.ack();
      last = m;
    }
    if (last === null) throw new Error(`num_pending said ${pending} but nothing was delivered`);
    // Acks of one connection are handled in order: once this one is confirmed, the batch is.
    await last.ackAck();
  }
  return got;
}

describe.skipIf(REFERENCE_SERVER !== "")("a damaged store", () => {
  for (const key of [undefined, "damage-test-key"]) {
    for (const kind of Object.values(DamageKind)) {
      test(`${kind} (${key === undefined ? "plain" : "encrypted"}): undamaged messages served, gap skipped and reported`, async () => {
        const dir = mkdtempSync(join(tmpdir(), "natsedge-damage-"));
        dirs.push(dir);
        let x = await start(dir, key);
        const jsm = await jetstreamManager(x.nc);
        await jsm.streams.add({ name: "DMG", subjects: ["dmg.>"] });
        await jsm.consumers.add("DMG", { durable_name: "reader", ack_policy: AckPolicy.Explicit });
        const js = jetstream(x.nc);
        for (let i = 1; i <= N; i += 100) {
          await Promise.all(Array.from({ length: 100 }, (_, k) => js.publish(`dmg.${(i + k) % 7}`, payload(i + k))));
        }
        await stop(x);

        const lost = damage(join(dir, "jetstream", "$G", "streams", "DMG"), kind, N / 2);
        if (kind === DamageKind.LostSummary) expect(lost.size).toBe(0);
        else expect(lost.size).toBeGreaterThan(0);

        x = await start(dir, key);
        const got = await drain(x.nc);
        for (let i = 1; i <= N; i++) {
          if (lost.has(i)) expect(got.has(i)).toBe(false);
          else expect(got.get(i)).toBe(payload(i));
        }
        expect(got.size).toBe(N - lost.size);

        const jsm2 = await jetstreamManager(x.nc, { timeout: 5000 });
        const info = await jsm2.streams.info("DMG");
        expect(info.state.messages).toBe(N - lost.size);
        expect(info.state.last_seq).toBe(N);
        if (lost.size > 0) {
          expect(info.state.lost?.msgs).toEqual([...lost].sort((a, b) => a - b));
          expect(info.state.num_deleted).toBe(lost.size);
          const ranges = x.srv.logs.filter((l) => /messages \d+\.\.\d+ (unreadable|lost)/.test(l));
          expect(ranges.length).toBeGreaterThan(0);
          // A lost sequence is not found, at once (a timeout would reject instead).
          expect(await jsm2.streams.getMessage("DMG", { seq: Math.min(...lost) })).toBeNull();
        }
        const ci = await jsm2.consumers.info("DMG", "reader");
        expect(ci.num_pending).toBe(0);
        expect(ci.num_ack_pending).toBe(0);

        const ack = await jetstream(x.nc).publish("dmg.after", "after the damage");
        expect(ack.seq).toBe(N + 1);
        await stop(x);

        x = await start(dir, key);
        try {
          const after = await jetstreamManager(x.nc);
          const again = await after.streams.info("DMG");
          expect(again.state.messages).toBe(N - lost.size + 1);
          expect(again.state.last_seq).toBe(N + 1);
          expect((await after.streams.getMessage("DMG", { seq: N + 1 }))?.string()).toBe("after the damage");
          const next = await drain(x.nc);
          expect([...next.keys()]).toEqual([N + 1]);
          // Logged once, when it was found: the store now knows the gap.
          expect(x.srv.logs.filter((l) => /unreadable/.test(l))).toEqual([]);
        } finally {
          await stop(x);
        }
      });
    }
  }
});
