/**
 * A KV bucket that mirrors another bucket on the same server, as @nats-io/kv creates it (`mirror`: a stream
 * mirroring KV_<bucket> with mirror_direct and allow_direct): the mirror keeps the origin's latest values
 * within its own history, answers direct gets for itself and for its origin's name, follows deletes, and its
 * consumers may filter on the origin's subjects (nats-server's allSubjects). Run the same file against
 * nats-server 2.9.10 with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server.
 */
import { expect, test } from "bun:test";
import { AckPolicy, JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { jetStreamFixture } from "../_helpers/jetstream.ts";
import { until } from "../_helpers/leaf.ts";

const fx = jetStreamFixture("kvmirror");

async function directGet(stream: string, body: Record<string, unknown>): Promise<{ data: string; stream?: string; op?: string }> {
  const m = await fx.nc.request(`$JS.API.DIRECT.GET.${stream}`, JSON.stringify(body), { timeout: 5000 });
  return { data: m.string(), stream: m.headers?.get("Nats-Stream"), op: m.headers?.get("KV-Operation") || undefined };
}

test("a KV mirror of a local bucket holds its latest values and answers direct gets, for its origin's name too", async () => {
  const kvm = new Kvm(fx.nc);
  const cfg = await kvm.create("cfg", { history: 3 });
  await cfg.put("mode", "auto");
  await cfg.put("rate", "10");
  await cfg.put("rate", "11");
  await kvm.create("cfgcopy", { mirror: { name: "cfg" } });
  const jsm = await jetstreamManager(fx.nc);
  const info = await jsm.streams.info("KV_cfgcopy");
  expect(info.config).toMatchObject({ mirror: { name: "KV_cfg" }, mirror_direct: true, allow_direct: true });
  // nats-server marshals both omitempty and gives a mirror no duplicates window.
  expect(info.config.subjects).toBeUndefined();
  expect(info.config.duplicate_window).toBeUndefined();
  // The mirror keeps one value per key (its own history), the origin three.
  await until(async () => (await jsm.streams.info("KV_cfgcopy")).state.last_seq === 3, "the mirror caught up", 15_000);
  expect((await jsm.streams.info("KV_cfgcopy")).state.messages).toBe(2);
  expect(await directGet("KV_cfgcopy", { last_by_subj: "$KV.cfg.rate" })).toEqual({ data: "11", stream: "KV_cfgcopy" });
  // Both streams answer the origin's direct get subject (nats-server: one of them, picked per request).
  const viaOrigin = await fx.nc.request("$JS.API.DIRECT.GET.KV_cfg.$KV.cfg.mode", "", { timeout: 5000 });
  expect(viaOrigin.string()).toBe("auto");
  expect(["KV_cfg", "KV_cfgcopy"]).toContain(viaOrigin.headers?.get("Nats-Stream") ?? "");

  await cfg.delete("mode");
  await until(async () => (await directGet("KV_cfgcopy", { last_by_subj: "$KV.cfg.mode" })).op === "DEL", "the delete in the mirror", 15_000);
});

test("a mirror's consumers may filter on its origin's subjects, not on others", async () => {
  const kvm = new Kvm(fx.nc);
  const src = await kvm.create("flt");
  await src.put("a", "1");
  await kvm.create("fltcopy", { mirror: { name: "flt" } });
  const jsm = await jetstreamManager(fx.nc);
  await until(async () => (await jsm.streams.info("KV_fltcopy")).state.messages === 1, "the mirror caught up", 15_000);
  const ok = await jsm.consumers.add("KV_fltcopy", { durable_name: "origin", filter_subject: "$KV.flt.>", ack_policy: AckPolicy.None });
  expect(ok.num_pending).toBe(1);
  const refused = await jsm.consumers.add("KV_fltcopy", { durable_name: "own", filter_subject: "$KV.fltcopy.>", ack_policy: AckPolicy.None }).then(
    () => null,
    (e: unknown) => (e instanceof JetStreamApiError ? { code: e.code, message: e.message } : e),
  );
  expect(refused).toEqual({ code: 10093, message: "consumer filter subject is not a valid subset of the interest subjects" });
});
