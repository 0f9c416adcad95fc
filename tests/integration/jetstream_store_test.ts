import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { client, runServer } from "../_helpers/server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "natsedge-jss-"));
  dirs.push(d);
  return d;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

test("streams, messages and durable consumer state survive a restart", async () => {
  const dir = tempDir();
  let srv = await runServer({ jetstream: { enabled: true, store_dir: dir } });
  let nc = await client(srv);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "KEEP", subjects: ["keep.>"] });
  const js = jetstream(nc);
  for (let i = 1; i <= 3; i++) await js.publish(`keep.${i}`, `v${i}`, { msgID: `m${i}` });
  await jsm.consumers.add("KEEP", { durable_name: "d", ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get("KEEP", "d");
  const first = await c.next({ expires: 1000 });
  await first!.ackAck();
  await nc.close();
  await srv.close();

  srv = await runServer({ jetstream: { enabled: true, store_dir: dir } });
  nc = await client(srv);
  try {
    const jsm2 = await jetstreamManager(nc);
    const si = await jsm2.streams.info("KEEP");
    expect(si.state.messages).toBe(3);
    expect(si.config.subjects).toEqual(["keep.>"]);
    // Dedupe still covers messages stored before the restart.
    const dup = await jetstream(nc).publish("keep.1", "again", { msgID: "m1" });
    expect(dup.duplicate).toBe(true);
    const ci = await jsm2.consumers.info("KEEP", "d");
    expect(ci.ack_floor.stream_seq).toBe(1);
    expect(ci.num_pending).toBe(2);
    const next = await (await jetstream(nc).consumers.get("KEEP", "d")).next({ expires: 1000 });
    expect(next?.string()).toBe("v2");
  } finally {
    await nc.close();
    await srv.close();
  }
});

// natsedge's own store format and wrong-key handling, which nats-server does differently.
test.skipIf(REFERENCE_SERVER !== "")("with jetstream.key the files hold no plaintext, and a wrong key leaves core NATS working", async () => {
  const dir = tempDir();
  const secret = "TOP-SECRET-PAYLOAD-7d1e";
  let srv = await runServer({ jetstream: { enabled: true, store_dir: dir, key: "s3cr3t-key-one" } });
  expect(srv.logs.some((l) => l.includes("Encryption:"))).toBe(true);
  let nc = await client(srv);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "SEALED", subjects: ["sealed.secret"] });
  await jsm.consumers.add("SEALED", { durable_name: "reader", ack_policy: AckPolicy.Explicit });
  await jetstream(nc).publish("sealed.secret", secret);
  await nc.close();
  await srv.close();

  for (const f of allFiles(dir)) {
    const text = readFileSync(f).toString("latin1");
    expect(text.includes(secret)).toBe(false);
    expect(text.includes("sealed.secret")).toBe(false);
    expect(text.includes("reader")).toBe(false);
  }

  srv = await runServer({ jetstream: { enabled: true, store_dir: dir, key: "the-wrong-key" } });
  nc = await client(srv);
  try {
    expect(srv.logs.some((l) => l.includes("SEALED") && l.includes("[ERR]"))).toBe(true);
    const sub = nc.subscribe("core.ping", { max: 1 });
    nc.publish("core.ping", "pong");
    for await (const m of sub) expect(m.string()).toBe("pong");
    const r = await nc.request("$JS.API.STREAM.INFO.SEALED", "", { timeout: 2000 });
    expect(r.json<{ error: { err_code: number } }>().error.err_code).toBe(10118);
    // Other streams still work.
    const jsm2 = await jetstreamManager(nc);
    await jsm2.streams.add({ name: "FRESH", subjects: ["fresh"] });
    expect((await jetstream(nc).publish("fresh", "x")).seq).toBe(1);
  } finally {
    await nc.close();
    await srv.close();
  }

  srv = await runServer({ jetstream: { enabled: true, store_dir: dir, key: "s3cr3t-key-one" } });
  nc = await client(srv);
  try {
    const m = await (await jetstreamManager(nc)).streams.getMessage("SEALED", { seq: 1 });
    expect(m?.string()).toBe(secret);
  } finally {
    await nc.close();
    await srv.close();
  }
});
