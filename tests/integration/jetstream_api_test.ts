import { expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager, JetStreamApiError } from "@nats-io/jetstream";
import { jetStreamFixture, nanos } from "../_helpers/jetstream.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const fx = jetStreamFixture("js");

test("INFO advertises jetstream and $JS.API.INFO answers account info", async () => {
  expect((fx.nc.info as { jetstream?: boolean }).jetstream).toBe(true);
  const jsm = await jetstreamManager(fx.nc);
  const ai = await jsm.getAccountInfo();
  expect(ai.streams).toBeGreaterThanOrEqual(0);
  expect(ai.limits.max_streams).toBe(-1);
});

test("stream create, info, names, list, update, purge and delete", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const si = await jsm.streams.add({ name: "LIFE", subjects: ["life.>"] });
  expect(si.config.max_msgs).toBe(-1);
  expect(si.config.storage).toBe("file");
  expect(si.config.duplicate_window).toBe(nanos(120_000));
  // Same config again is idempotent; a different one is refused.
  await jsm.streams.add({ name: "LIFE", subjects: ["life.>"] });
  await expect(jsm.streams.add({ name: "LIFE", subjects: ["other.>"] })).rejects.toThrow("stream name already in use");
  await expect(jsm.streams.add({ name: "CLASH", subjects: ["life.a"] })).rejects.toThrow("subjects overlap with an existing stream");

  const js = jetstream(fx.nc);
  await js.publish("life.a", "1");
  await js.publish("life.b", "2");
  const info = await jsm.streams.info("LIFE");
  expect(info.state.messages).toBe(2);
  expect(info.state.last_seq).toBe(2);
  expect(await jsm.streams.find("life.a")).toBe("LIFE");
  const names: string[] = [];
  for await (const n of jsm.streams.names()) names.push(n);
  expect(names).toContain("LIFE");

  const up = await jsm.streams.update("LIFE", { max_msgs: 10 });
  expect(up.config.max_msgs).toBe(10);

  const m = await jsm.streams.getMessage("LIFE", { last_by_subj: "life.a" });
  expect(m?.seq).toBe(1);
  expect(m?.string()).toBe("1");
  expect(await jsm.streams.deleteMessage("LIFE", 1)).toBe(true);
  expect(await jsm.streams.getMessage("LIFE", { seq: 1 })).toBeNull();

  const p = await jsm.streams.purge("LIFE");
  expect(p.purged).toBe(1);
  expect(await jsm.streams.delete("LIFE")).toBe(true);
  await expect(jsm.streams.info("LIFE")).rejects.toThrow("stream not found");
});

test("publish: Nats-Msg-Id dedupes and expectation headers are enforced", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PUBS", subjects: ["pubs.*"], storage: "memory" });
  const js = jetstream(fx.nc);
  const a = await js.publish("pubs.a", "x", { msgID: "id-1" });
  const b = await js.publish("pubs.a", "x", { msgID: "id-1" });
  expect(a.seq).toBe(1);
  expect(b.duplicate).toBe(true);
  expect(b.seq).toBe(1);
  await js.publish("pubs.a", "y", { expect: { lastSequence: 1, streamName: "PUBS", lastMsgID: "id-1" } });
  await expect(js.publish("pubs.a", "z", { expect: { lastSequence: 1 } })).rejects.toThrow("wrong last sequence: 2");
  await expect(js.publish("pubs.a", "z", { expect: { streamName: "NOPE" } })).rejects.toThrow("expected stream does not match");
  await expect(js.publish("pubs.b", "z", { expect: { lastSubjectSequence: 5 } })).rejects.toThrow("wrong last sequence: 0");
  await js.publish("pubs.b", "z", { expect: { lastSubjectSequence: 0 } });
  await expect(js.publish("pubs.b", "w", { expect: { lastMsgID: "nope" } })).rejects.toThrow("wrong last msg ID");
  await jsm.streams.delete("PUBS");
});

test("discard new and max_msg_size limits reject with nats-server's errors", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "LIM", subjects: ["lim"], max_msgs: 1, discard: "new" as never, max_msg_size: 8 });
  const js = jetstream(fx.nc);
  await js.publish("lim", "ok");
  await expect(js.publish("lim", "no")).rejects.toThrow("maximum messages exceeded");
  await expect(js.publish("lim", "0123456789")).rejects.toThrow("message size exceeds maximum allowed");
  await jsm.streams.delete("LIM");
});

test("pull consumer: explicit ack, redelivery after ack_wait, and consumer info counters", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "WORK", subjects: ["work.>"] });
  const js = jetstream(fx.nc);
  for (let i = 1; i <= 3; i++) await js.publish(`work.${i}`, `m${i}`);
  await jsm.consumers.add("WORK", { durable_name: "w", ack_policy: AckPolicy.Explicit, ack_wait: nanos(300) });
  const c = await js.consumers.get("WORK", "w");

  const got: string[] = [];
  const iter = await c.fetch({ max_messages: 3, expires: 2000 });
  for await (const m of iter) {
    got.push(m.string());
    expect(m.info.stream).toBe("WORK");
    expect(m.info.deliveryCount).toBe(1);
    if (m.string() !== "m2") m.ack();
  }
  expect(got).toEqual(["m1", "m2", "m3"]);
  await fx.nc.flush();

  // m2 was not acked: it comes back after ack_wait with delivery count 2.
  const again = await c.next({ expires: 3000 });
  expect(again?.string()).toBe("m2");
  expect(again?.info.deliveryCount).toBe(2);
  expect(again?.redelivered).toBe(true);
  await again!.ackAck();

  const ci = await c.info();
  expect(ci.delivered.stream_seq).toBe(3);
  expect(ci.ack_floor.stream_seq).toBe(3);
  expect(ci.num_ack_pending).toBe(0);
  expect(ci.num_pending).toBe(0);

  // Nothing left: a no_wait style fetch ends empty.
  const none = await c.next({ expires: 1000 });
  expect(none).toBeNull();
  await jsm.streams.delete("WORK");
});

test("ephemeral consumers with a filter and deliver policies", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "EPH", subjects: ["eph.>"] });
  const js = jetstream(fx.nc);
  await js.publish("eph.a", "a1");
  await js.publish("eph.b", "b1");
  await js.publish("eph.a", "a2");
  const ci = await jsm.consumers.add("EPH", { filter_subject: "eph.a", ack_policy: AckPolicy.None, inactive_threshold: nanos(5000) });
  expect(ci.num_pending).toBe(2);
  const c = await js.consumers.get("EPH", ci.name);
  const seen: string[] = [];
  for await (const m of await c.fetch({ max_messages: 2, expires: 1000 })) seen.push(m.string());
  expect(seen).toEqual(["a1", "a2"]);

  // nats-server 2.9.10 wants a filter with last_per_subject (2.10 does not); "eph.>" suits both.
  const lps = await jsm.consumers.add("EPH", { name: "lps", filter_subject: "eph.>", deliver_policy: "last_per_subject" as never, ack_policy: AckPolicy.None });
  expect(lps.num_pending).toBe(2);
  const c2 = await js.consumers.get("EPH", "lps");
  const last: string[] = [];
  for await (const m of await c2.fetch({ max_messages: 2, expires: 1000 })) last.push(m.string());
  expect(last).toEqual(["b1", "a2"]);
  await jsm.streams.delete("EPH");
});

test("bad requests get nats-server's error JSON", async () => {
  const r1 = await fx.nc.request("$JS.API.STREAM.CREATE.BAD", "{not json", { timeout: 2000 });
  const e1 = r1.json<{ type: string; error: { code: number; err_code: number } }>();
  expect(e1.type).toBe("io.nats.jetstream.api.v1.stream_create_response");
  expect(e1.error.code).toBe(400);
  expect(e1.error.err_code).toBe(10025);

  const r2 = await fx.nc.request("$JS.API.STREAM.CREATE.BAD", JSON.stringify({ name: "OTHER" }), { timeout: 2000 });
  expect(r2.json<{ error: { err_code: number } }>().error.err_code).toBe(10056);

  // Unknown fields are ignored, as nats-server 2.9.10 ignores them (a newer client's fields, or a typo).
  const r3 = await fx.nc.request("$JS.API.STREAM.CREATE.BAD", JSON.stringify({ name: "BAD", bogus: 1 }), { timeout: 2000 });
  const created = r3.json<{ error?: unknown; config: Record<string, unknown> }>();
  expect(created.error).toBeUndefined();
  expect(created.config.bogus).toBeUndefined();
  await fx.nc.request("$JS.API.STREAM.DELETE.BAD", "", { timeout: 2000 });

  const r4 = await fx.nc.request("$JS.API.STREAM.INFO.NOPE", "", { timeout: 2000 });
  expect(r4.json<{ error: { code: number; err_code: number; description: string } }>().error).toEqual({ code: 404, err_code: 10059, description: "stream not found" });

  const r5 = await fx.nc.request("$JS.API.CONSUMER.INFO.NOPE.x", "", { timeout: 2000 });
  expect(r5.json<{ error: { err_code: number } }>().error.err_code).toBe(10059);

  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "ERRS", subjects: ["errs"] });
  await expect(jsm.consumers.info("ERRS", "missing")).rejects.toBeInstanceOf(JetStreamApiError);
  const r6 = await fx.nc.request("$JS.API.CONSUMER.DURABLE.CREATE.ERRS.d1", JSON.stringify({ stream_name: "ERRS", config: { durable_name: "d2" } }), { timeout: 2000 });
  expect(r6.json<{ error: { err_code: number } }>().error.err_code).toBe(10017);
  await jsm.streams.delete("ERRS");
});

test("a new consumer's num_pending counts what its filter matches from its start", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "NP", subjects: ["np.>"] });
  const js = jetstream(fx.nc);
  for (const s of ["np.a.1", "np.b.1", "np.a.2", "np.c", "np.a.3"]) await js.publish(s, s);
  await jsm.streams.deleteMessage("NP", 3); // np.a.2
  const count = async (cfg: Record<string, unknown>) => (await jsm.consumers.add("NP", { ack_policy: AckPolicy.Explicit, ...cfg })).num_pending;
  expect(await count({})).toBe(4);
  expect(await count({ filter_subject: "np.a.*" })).toBe(2);
  expect(await count({ filter_subject: "np.>" })).toBe(4);
  expect(await count({ filter_subject: "np.c" })).toBe(1);
  expect(await count({ deliver_policy: "new" as never })).toBe(0);
  expect(await count({ deliver_policy: "by_start_sequence" as never, opt_start_seq: 4 })).toBe(2);
  expect(await count({ deliver_policy: "by_start_sequence" as never, opt_start_seq: 2, filter_subject: "np.a.*" })).toBe(1);
  await jsm.streams.delete("NP");
});

test("acks on malformed ack subjects are ignored; a well-formed one still acks", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "ACKS", subjects: ["acks"] });
  const js = jetstream(fx.nc);
  await js.publish("acks", "m1");
  await jsm.consumers.add("ACKS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get("ACKS", "c");
  const m = await c.next({ expires: 2000 });
  expect(m).not.toBeNull();
  const prefix = "$JS.ACK.ACKS.c";
  for (const bad of [`${prefix}.1`, `${prefix}.1.x.1.1.0`, `${prefix}.1..1.1.0`, `${prefix}.1.1.1`, `${prefix}.1.-1.1.1.0`]) fx.nc.publish(bad, "+ACK");
  await fx.nc.flush();
  expect((await c.info()).num_ack_pending).toBe(1);
  await m!.ackAck();
  expect((await c.info()).num_ack_pending).toBe(0);
  await jsm.streams.delete("ACKS");
});

test("an ephemeral consumer lives while used and is deleted once inactive_threshold passes without use", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "INACT", subjects: ["inact"] });
  const js = jetstream(fx.nc);
  const ci = await jsm.consumers.add("INACT", { ack_policy: AckPolicy.Explicit, inactive_threshold: nanos(1000) });
  const c = await js.consumers.get("INACT", ci.name);
  // Used every 100 ms for twice the threshold: still there.
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    await js.publish("inact", "x");
    const m = await c.next({ expires: 1000 });
    m?.ack();
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await jsm.consumers.info("INACT", ci.name)).name).toBe(ci.name);
  // Unused: gone after about the threshold (polled, with a generous bound).
  const idleSince = Date.now();
  let gone = false;
  while (!gone && Date.now() - idleSince < 10_000) {
    await new Promise((r) => setTimeout(r, 100));
    gone = !(await jsm.consumers.list("INACT").next()).some((x) => x.name === ci.name);
  }
  expect(gone).toBe(true);
  expect(Date.now() - idleSince).toBeGreaterThanOrEqual(900);
  await jsm.streams.delete("INACT");
});
