/**
 * Mirrors and sources of natsedge's own streams, through nats.js: a mirror keeps the origin's sequences and
 * follows it, sources take from several streams with filters and mark each message with Nats-Stream-Source,
 * and a restart of the server resumes every link after the last origin sequence stored.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { client, runServer } from "../_helpers/server.ts";
import { jetStreamFixture } from "../_helpers/jetstream.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { sleep } from "../_helpers/spawn.ts";

const fx = jetStreamFixture("mirror");

/** Resolves once stream `name` holds `n` messages, polling its info (the links run in the background). */
async function untilMessages(jsm: JetStreamManager, name: string, n: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await jsm.streams.info(name);
    if (info.state.messages === n) return;
    if (Date.now() > deadline) throw new Error(`stream ${name} has ${info.state.messages} messages, expected ${n}`);
    await sleep(50);
  }
}

async function contents(jsm: JetStreamManager, name: string): Promise<[number, string, string, string | undefined][]> {
  const info = await jsm.streams.info(name);
  const out: [number, string, string, string | undefined][] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(name, { seq }).catch(() => null);
    if (m !== null) out.push([m.seq, m.subject, m.string(), m.header.get("Nats-Stream-Source") || undefined]);
  }
  return out;
}

test("a mirror of a local stream catches up with its origin's sequences, skips deleted ones and follows", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const js = jetstream(fx.nc);
  await jsm.streams.add({ name: "ORIGIN", subjects: ["origin.>"] });
  for (const s of ["one", "two", "three"]) await js.publish("origin.a", s);
  await jsm.streams.deleteMessage("ORIGIN", 2);
  const created = await jsm.streams.add({ name: "MIRROR", mirror: { name: "ORIGIN" } });
  expect(created.config.mirror).toEqual({ name: "ORIGIN" });
  await untilMessages(jsm, "MIRROR", 2);
  await js.publish("origin.b", "four");
  await untilMessages(jsm, "MIRROR", 3);
  expect(await contents(jsm, "MIRROR")).toEqual([[1, "origin.a", "one", undefined], [3, "origin.a", "three", undefined], [4, "origin.b", "four", undefined]]);
  const info = await jsm.streams.info("MIRROR");
  expect(info.mirror).toMatchObject({ name: "ORIGIN", lag: 0 });
  expect(info.mirror!.active).toBeGreaterThanOrEqual(0);
  expect(info.state.last_seq).toBe(4);
});

test("a mirror is not promoted by removing its mirror (2.9.10: 10055 'stream mirror configuration can not be updated')", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PROMO_ORIGIN", subjects: ["promo.>"] });
  await jetstream(fx.nc).publish("promo.a", "1");
  await jsm.streams.add({ name: "PROMO_COPY", mirror: { name: "PROMO_ORIGIN" } });
  await untilMessages(jsm, "PROMO_COPY", 1);
  const err = await jsm.streams.update("PROMO_COPY", { subjects: ["promoted.>"], mirror: undefined }).then(
    () => null,
    (e: unknown) => (e as { apiError(): { err_code: number; description: string } }).apiError(),
  );
  expect(err).toMatchObject({ err_code: 10055, description: "stream mirror configuration can not be updated" });
  expect((await jsm.streams.info("PROMO_COPY")).config.mirror?.name).toBe("PROMO_ORIGIN");
});

test("a stream sources from two streams, filtered, each message marked with its origin and sequence", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const js = jetstream(fx.nc);
  await jsm.streams.add({ name: "SA", subjects: ["sa.>"] });
  await jsm.streams.add({ name: "SB", subjects: ["sb.>"] });
  await js.publish("sa.keep", "a1");
  await js.publish("sa.drop", "a2");
  await js.publish("sb.x", "b1");
  await jsm.streams.add({ name: "AGG", sources: [{ name: "SA", filter_subject: "sa.keep" }, { name: "SB" }] });
  await untilMessages(jsm, "AGG", 2);
  await js.publish("sa.keep", "a3");
  await js.publish("sb.y", "b2");
  await untilMessages(jsm, "AGG", 4);
  const got = (await contents(jsm, "AGG")).map(([, subj, data, src]) => [subj, data, src]);
  expect(got.filter(([s]) => s!.startsWith("sa."))).toEqual([["sa.keep", "a1", "SA 1"], ["sa.keep", "a3", "SA 3"]]);
  expect(got.filter(([s]) => s!.startsWith("sb."))).toEqual([["sb.x", "b1", "SB 1"], ["sb.y", "b2", "SB 2"]]);
  const info = await jsm.streams.info("AGG");
  expect(info.sources!.map((s) => s.name).sort()).toEqual(["SA", "SB"]);
});

// About 11 MB to deliver: dozens of the origin consumer's delivery turns and several flow control windows.
// The catch-up only completes if every turn schedules the next and every flow control reply restarts it.
test("a source and a mirror catch up a backlog many delivery turns and flow control windows long", async () => {
  const N = 20_000;
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BACKLOG", subjects: ["backlog.*"] });
  const js = jetstream(fx.nc);
  const payload = new Uint8Array(512).fill(97);
  for (let i = 0; i < N; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, j) => js.publish(`backlog.${(i + j) % 7}`, payload)));
  await jsm.streams.add({ name: "BACKLOG_SRC", subjects: [], sources: [{ name: "BACKLOG" }] });
  await jsm.streams.add({ name: "BACKLOG_MIR", mirror: { name: "BACKLOG" } });
  await untilMessages(jsm, "BACKLOG_SRC", N, 60_000);
  await untilMessages(jsm, "BACKLOG_MIR", N, 60_000);
  const last = await jsm.streams.getMessage("BACKLOG_SRC", { seq: N });
  expect(last?.header.get("Nats-Stream-Source")).toBe(`BACKLOG ${N}`);
  expect((await jsm.streams.getMessage("BACKLOG_MIR", { seq: N }))?.subject).toBe(`backlog.${(N - 1) % 7}`);
  for (const name of ["BACKLOG_SRC", "BACKLOG_MIR", "BACKLOG"]) await jsm.streams.delete(name);
});

test("the origin's consumers for mirrors are not listed or counted, as nats-server's direct consumers are not", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "HIDE", subjects: ["hide.>"] });
  await jsm.streams.add({ name: "HIDEM", mirror: { name: "HIDE" } });
  await jetstream(fx.nc).publish("hide.x", "1");
  await untilMessages(jsm, "HIDEM", 1);
  expect(await jsm.consumers.list("HIDE").next()).toEqual([]);
  expect((await jsm.streams.info("HIDE")).state.consumer_count).toBe(0);
});

// Finding the hidden consumer takes the engine itself, which reference mode does not have.
test.skipIf(REFERENCE_SERVER !== "")("a mirror whose origin consumer was deleted recreates it and carries on from where it was", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const js = jetstream(fx.nc);
  await jsm.streams.add({ name: "LOSS", subjects: ["loss.>"] });
  await js.publish("loss.x", "1");
  await jsm.streams.add({ name: "LOSSM", mirror: { name: "LOSS" } });
  await untilMessages(jsm, "LOSSM", 1);
  const names = [...fx.srv.server.jetstream()!.accounts.get("$G")!.streams.get("LOSS")!.consumers.keys()];
  expect(names.length).toBe(1);
  await jsm.consumers.delete("LOSS", names[0]!);
  await js.publish("loss.x", "2");
  // No heartbeat arrives any more: the link notices within three and asks again after sequence 1.
  await untilMessages(jsm, "LOSSM", 2);
  expect((await contents(jsm, "LOSSM")).map(([seq, , data]) => [seq, data])).toEqual([[1, "1"], [2, "2"]]);
});

test("sources can be added to a stream by an update; the new one starts from its origin's beginning", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const js = jetstream(fx.nc);
  await jsm.streams.add({ name: "UA", subjects: ["ua.>"] });
  await jsm.streams.add({ name: "UB", subjects: ["ub.>"] });
  await js.publish("ua.x", "a");
  await js.publish("ub.x", "b");
  const cfg = (await jsm.streams.add({ name: "UAGG", sources: [{ name: "UA" }] })).config;
  await untilMessages(jsm, "UAGG", 1);
  await jsm.streams.update("UAGG", { ...cfg, sources: [{ name: "UA" }, { name: "UB" }] });
  await untilMessages(jsm, "UAGG", 2);
  expect((await contents(jsm, "UAGG")).map(([, , data, src]) => [data, src])).toEqual([["a", "UA 1"], ["b", "UB 1"]]);
});

test("a source listed twice is sourced once", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "TWICE", subjects: ["twice.>"] });
  await jsm.streams.add({ name: "TWICEAGG", sources: [{ name: "TWICE" }, { name: "TWICE" }] });
  await jetstream(fx.nc).publish("twice.x", "1");
  await jetstream(fx.nc).publish("twice.x", "2");
  await untilMessages(jsm, "TWICEAGG", 2);
  expect((await jsm.streams.info("TWICEAGG")).sources!.map((s) => s.name)).toEqual(["TWICE"]);
});

test("a source of a stream that does not exist reports the origin's error and leaves the others running", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "LONELY", subjects: ["lonely.>"] });
  await jetstream(fx.nc).publish("lonely.x", "here");
  await jsm.streams.add({ name: "HALF", sources: [{ name: "LONELY" }, { name: "NOWHERE" }] });
  await untilMessages(jsm, "HALF", 1);
  const deadline = Date.now() + 10_000;
  let missing;
  do {
    missing = (await jsm.streams.info("HALF")).sources!.find((s) => s.name === "NOWHERE");
    if (missing?.error !== undefined) break;
    await sleep(50);
  } while (Date.now() < deadline);
  expect(missing).toMatchObject({ name: "NOWHERE", active: -1, error: { code: 404, err_code: 10059, description: "stream not found" } });
});

test("after a restart of the server, a mirror and a source resume with no gap and no duplicate", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-mirror-restart-"));
  try {
    let srv = await runServer({ jetstream: { enabled: true, store_dir: dir } });
    let nc = await client(srv);
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "R", subjects: ["r.>"] });
    await jsm.streams.add({ name: "RM", mirror: { name: "R" } });
    await jsm.streams.add({ name: "RS", sources: [{ name: "R" }] });
    let js = jetstream(nc);
    for (let i = 1; i <= 50; i++) await js.publish("r.x", String(i));
    await untilMessages(jsm, "RM", 50);
    await untilMessages(jsm, "RS", 50);
    await nc.close();
    await srv.close();

    srv = await runServer({ jetstream: { enabled: true, store_dir: dir } });
    nc = await client(srv);
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    for (let i = 51; i <= 100; i++) await js.publish("r.x", String(i));
    await untilMessages(jsm, "RM", 100);
    await untilMessages(jsm, "RS", 100);
    const mirrored = await contents(jsm, "RM");
    expect(mirrored.map(([seq, , data]) => [seq, data])).toEqual(Array.from({ length: 100 }, (_, i) => [i + 1, String(i + 1)]));
    const sourced = await contents(jsm, "RS");
    expect(sourced.map(([, , data, src]) => [data, src])).toEqual(Array.from({ length: 100 }, (_, i) => [String(i + 1), `R ${i + 1}`]));
    await nc.close();
    await srv.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The monitor port of an in-process server only: srv.server does not exist in reference mode.
test.skipIf(REFERENCE_SERVER !== "")("/jsz stream details show a mirror's and a source's link, as nats-server's do", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-mirror-jsz-"));
  const srv = await runServer({ http_port: -1, jetstream: { enabled: true, store_dir: dir } });
  const nc = await client(srv);
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "JO", subjects: ["jo.>"] });
    await jetstream(nc).publish("jo.x", "1");
    await jsm.streams.add({ name: "JM", mirror: { name: "JO" } });
    await jsm.streams.add({ name: "JS", sources: [{ name: "JO" }] });
    await untilMessages(jsm, "JM", 1);
    await untilMessages(jsm, "JS", 1);
    const jsz = await (await fetch(`http://127.0.0.1:${srv.server.lifecycle.httpPort}/jsz?streams=1`)).json() as { account_details: { stream_detail: Record<string, unknown>[] }[] };
    const details = Object.fromEntries(jsz.account_details[0]!.stream_detail.map((d) => [d.name, d]));
    expect(Object.keys(details.JM!)).toEqual(["name", "created", "cluster", "state", "mirror"]);
    expect(details.JM!.mirror).toMatchObject({ name: "JO", lag: 0 });
    expect(details.JS!.sources).toMatchObject([{ name: "JO", lag: 0 }]);
    expect(details.JO!.mirror ?? details.JO!.sources).toBeUndefined();
  } finally {
    await nc.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
