// KV and Object Store markers side by side: the same @nats-io/kv and @nats-io/obj calls against natsedge and
// nats-server 2.9.10, then the raw STREAM.MSG.GET and DIRECT.GET answers for every key compared field by
// field (only the timestamps differ, and are checked for their form). libnats's KV decodes these answers
// itself, so a field nats-server leaves out (`data` of a delete marker) must be left out here too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { runServer, type TestServer } from "../_helpers/server.ts";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const HAVE_NATS_SERVER = spawnSync("nats-server", ["--version"]).status === 0;
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

/** Writes the same history into a bucket on `nc`: a value, a delete, a purge, an empty value, an object. */
async function writeHistory(nc: NatsConnection): Promise<void> {
  const kv = await new Kvm(nc).create("M", { history: 5 });
  await kv.put("kept", "v1");
  await kv.put("deleted", "v1");
  await kv.delete("deleted");
  await kv.put("purged", "v1");
  await kv.put("purged", "v2");
  await kv.purge("purged");
  await kv.put("empty", "");
  const os = await new Objm(nc).create("O");
  await os.putBlob({ name: "gone" }, new TextEncoder().encode("blob"));
  await os.delete("gone");
}

type Message = Record<string, unknown>;

/** STREAM.MSG.GET's answer for the last message on `subject`, with its time checked and taken out. */
async function msgGet(nc: NatsConnection, stream: string, subject: string): Promise<Message> {
  const r = await nc.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify({ last_by_subj: subject }), { timeout: 3000 });
  const j = r.json<{ message?: Message; error?: unknown }>();
  if (j.message === undefined) return { error: j.error };
  const { time, ...rest } = j.message;
  expect(String(time)).toMatch(RFC3339_NANO);
  return rest;
}

/** DIRECT.GET's header block for the last message on `subject`, without Nats-Time-Stamp, and its body. */
async function directGet(nc: NatsConnection, stream: string, subject: string): Promise<[string, string]> {
  const r = await nc.request(`$JS.API.DIRECT.GET.${stream}.${subject}`, "", { timeout: 3000 });
  const hdr = r.headers!.toString().replace(/Nats-Time-Stamp: [^\r]*\r\n/, "");
  return [hdr, r.string()];
}

const KV_KEYS = ["kept", "deleted", "purged", "empty"];

describe.skipIf(!HAVE_NATS_SERVER || REFERENCE_SERVER !== "")("KV markers, natsedge vs nats-server 2.9.10", () => {
  let ours: TestServer, theirs: NatsServerProcess;
  let a: NatsConnection, b: NatsConnection;
  const dirs: string[] = [];

  beforeAll(async () => {
    const d1 = mkdtempSync(join(tmpdir(), "natsedge-kvm-"));
    const d2 = mkdtempSync(join(tmpdir(), "natsedge-kvm-ref-"));
    dirs.push(d1, d2);
    ours = await runServer({ jetstream: { enabled: true, store_dir: d1 } });
    theirs = await startNatsServer(`jetstream { store_dir: ${JSON.stringify(d2)} }`);
    a = await connect({ servers: ours.url, reconnect: false });
    b = await connect({ servers: `127.0.0.1:${theirs.port}`, reconnect: false });
    await writeHistory(a);
    await writeHistory(b);
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await ours?.close();
    await theirs?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const key of KV_KEYS) {
    test(`STREAM.MSG.GET of key ${key}`, async () => {
      const mine = await msgGet(a, "KV_M", `$KV.M.${key}`);
      expect(mine).toEqual(await msgGet(b, "KV_M", `$KV.M.${key}`));
    });
    test(`DIRECT.GET of key ${key}`, async () => {
      expect(await directGet(a, "KV_M", `$KV.M.${key}`)).toEqual(await directGet(b, "KV_M", `$KV.M.${key}`));
    });
  }

  test("a delete marker has headers and no data field", async () => {
    const m = await msgGet(a, "KV_M", "$KV.M.deleted");
    expect(Buffer.from(String(m.hdrs), "base64").toString()).toBe("NATS/1.0\r\nKV-Operation: DEL\r\n\r\n");
    expect("data" in m).toBe(false);
  });

  test("the object store's metadata rollup after a delete", async () => {
    // The metadata names a random nuid and the client's clock: equal apart from those.
    const meta = async (nc: NatsConnection) => {
      const m = await msgGet(nc, "OBJ_O", "$O.O.M.Z29uZQ==");
      const { nuid: _n, mtime: _t, ...info } = JSON.parse(Buffer.from(String(m.data), "base64").toString());
      return { ...m, data: info };
    };
    expect(await meta(a)).toEqual(await meta(b));
  });
});
