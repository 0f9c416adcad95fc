/** Consumer backoff (redelivery delays by delivery count) and its validation, on the wire. */
import { expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { jetStreamFixture, nanos } from "../_helpers/jetstream.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const fx = jetStreamFixture("backoff");

interface ApiError {
  code: number;
  err_code: number;
  description: string;
}

async function createDurable(stream: string, config: Record<string, unknown>): Promise<{ error?: ApiError; config?: Record<string, unknown> }> {
  const subject = `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${config.durable_name}`;
  const r = await fx.nc.request(subject, JSON.stringify({ stream_name: stream, config }), { timeout: 2000 });
  return r.json();
}

/**
 * Pulls from a consumer with nats.js's consume(), handing each message and when it arrived (ms) to `onMsg`
 * until that returns true. The deliveries themselves are the events waited for.
 */
async function receive(stream: string, consumer: string, onMsg: (m: JsMsg, at: number) => boolean): Promise<void> {
  const c = await jetstream(fx.nc).consumers.get(stream, consumer);
  const msgs = await c.consume({ max_messages: 10 });
  try {
    for await (const m of msgs) if (onMsg(m, performance.now())) break;
  } finally {
    msgs.stop();
  }
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);
// Timers and the wire can shift a delivery by a few ms either way; a redelivery this much before its delay is early.
const EARLY = 10;

test("backoff: the Nth delivery is redelivered after backoff[min(N-1, len-1)], and info echoes it as the ack_wait", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BODELAY", subjects: ["bodelay"], storage: "memory" as never });
  const backoff = [nanos(100), nanos(1000)];
  const ci = await jsm.consumers.add("BODELAY", { durable_name: "d", ack_policy: AckPolicy.Explicit, max_deliver: 5, backoff });
  expect(ci.config.backoff).toEqual(backoff);
  expect(ci.config.ack_wait).toBe(backoff[0]);
  expect((await jsm.consumers.info("BODELAY", "d")).config.backoff).toEqual(backoff);
  await jetstream(fx.nc).publish("bodelay", "x");

  const times: number[] = [];
  const counts: number[] = [];
  await receive("BODELAY", "d", (m, at) => {
    times.push(at);
    counts.push(m.info.deliveryCount);
    if (times.length < 4) return false;
    m.ack();
    return true;
  });
  expect(counts).toEqual([1, 2, 3, 4]);
  const [afterFirst, afterSecond, afterThird] = gaps(times) as [number, number, number];
  // After the 1st delivery backoff[0]: not backoff[1], nor the 30s default ack_wait.
  expect(afterFirst).toBeGreaterThanOrEqual(100 - EARLY);
  expect(afterFirst).toBeLessThan(900);
  // After the 2nd backoff[1], and past the list's end its last entry again.
  for (const gap of [afterSecond, afterThird]) {
    expect(gap).toBeGreaterThanOrEqual(1000 - EARLY);
    expect(gap).toBeLessThan(3000);
  }
  await jsm.streams.delete("BODELAY");
});

test("backoff is refused unless max_deliver exceeds its length, and overrides ack_wait, as nats-server does", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BOCFG", subjects: ["bocfg"], storage: "memory" as never });
  const backoff = [nanos(100), nanos(200)];
  const tooFew: ApiError = { code: 400, err_code: 10116, description: "max deliver is required to be > length of backoff values" };
  // Unset max_deliver is unlimited (-1), which is refused like any value up to the list's length.
  for (const [name, maxDeliver] of [["unset", undefined], ["unlimited", -1], ["one", 1], ["equal", 2]] as const) {
    const r = await createDurable("BOCFG", { durable_name: name, ack_policy: "explicit", max_deliver: maxDeliver, backoff });
    expect(r.error).toEqual(tooFew);
  }
  await expect(jsm.consumers.add("BOCFG", { durable_name: "viaclient", ack_policy: AckPolicy.Explicit, backoff })).rejects.toThrow(tooFew.description);
  expect((await jsm.consumers.list("BOCFG").next()).length).toBe(0);

  // An ack_wait given alongside backoff is replaced by backoff[0], without an error.
  const ok = await createDurable("BOCFG", { durable_name: "ok", ack_policy: "explicit", max_deliver: 3, ack_wait: nanos(5000), backoff });
  expect(ok.error).toBeUndefined();
  expect(ok.config?.ack_wait).toBe(backoff[0]);
  expect(ok.config?.backoff).toEqual(backoff);
  // An update may change the backoff, and ack_wait follows it.
  const updated = await jsm.consumers.update("BOCFG", "ok", { backoff: [nanos(300), nanos(400)] });
  expect(updated.config.backoff).toEqual([nanos(300), nanos(400)]);
  expect(updated.config.ack_wait).toBe(nanos(300));

  // No backoff at all is omitted from the config, and the default ack_wait stays.
  const none = await createDurable("BOCFG", { durable_name: "none", ack_policy: "explicit", backoff: [] });
  expect(none.error).toBeUndefined();
  expect(none.config?.backoff).toBeUndefined();
  expect(none.config?.ack_wait).toBe(nanos(30_000));

  // Not a list of integer nanoseconds: invalid JSON (nats-server 2.9.10 says only "invalid JSON").
  for (const bad of [["1s"], [1.5], 5]) {
    const r = await createDurable("BOCFG", { durable_name: "bad", ack_policy: "explicit", max_deliver: 3, backoff: bad });
    expect(r.error?.code).toBe(400);
    expect(r.error?.err_code).toBe(10025);
    expect(r.error?.description.startsWith("invalid JSON")).toBe(true);
  }
  await jsm.streams.delete("BOCFG");
});

test("a NAK without a delay redelivers at once, even when backoff would wait long", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BONAK", subjects: ["bonak"], storage: "memory" as never });
  await jsm.consumers.add("BONAK", { durable_name: "n", ack_policy: AckPolicy.Explicit, max_deliver: 3, backoff: [nanos(20_000)] });
  await jetstream(fx.nc).publish("bonak", "x");

  const times: number[] = [];
  const counts: number[] = [];
  await receive("BONAK", "n", (m, at) => {
    times.push(at);
    counts.push(m.info.deliveryCount);
    if (times.length === 1) {
      m.nak();
      return false;
    }
    m.ack();
    return true;
  });
  expect(counts).toEqual([1, 2]);
  expect(gaps(times)[0]!).toBeLessThan(2000);
  await jsm.streams.delete("BONAK");
});

// nats-server 2.9.10 leaves its ack timer armed for A's 3s and redelivers B only when it fires (measured: 3s after
// B's delivery instead of 0.1s); later nats-server versions move the timer up (trackPending), as natsedge does.
test.skipIf(REFERENCE_SERVER !== "")("a delivery with a shorter backoff than the one the ack timer waits for is redelivered on time", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BOREARM", subjects: ["borearm.>"], storage: "memory" as never });
  await jsm.consumers.add("BOREARM", { durable_name: "r", ack_policy: AckPolicy.Explicit, max_deliver: 5, backoff: [nanos(100), nanos(3000)] });
  const js = jetstream(fx.nc);
  await js.publish("borearm.a", "A");

  const seen: { subject: string; dc: number; at: number }[] = [];
  const pending: JsMsg[] = [];
  await receive("BOREARM", "r", (m, at) => {
    seen.push({ subject: m.subject, dc: m.info.deliveryCount, at });
    pending.push(m);
    // A's second delivery waits backoff[1] (3s); B, delivered now, waits only backoff[0].
    if (m.subject === "borearm.a" && m.info.deliveryCount === 2) void js.publish("borearm.b", "B");
    return m.subject === "borearm.b" && m.info.deliveryCount === 2;
  });
  for (const m of pending) m.ack();
  const b = seen.filter((s) => s.subject === "borearm.b");
  expect(b.map((s) => s.dc)).toEqual([1, 2]);
  const gap = b[1]!.at - b[0]!.at;
  expect(gap).toBeGreaterThanOrEqual(100 - EARLY);
  expect(gap).toBeLessThan(1500);
  await jsm.streams.delete("BOREARM");
});

test("a durable pull consumer may have ack_policy none (nats-server 2.9.10 accepts it)", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BOACKNONE", subjects: ["boacknone"], storage: "memory" as never });
  const r = await createDurable("BOACKNONE", { durable_name: "pn", ack_policy: "none" });
  expect(r.error).toBeUndefined();
  expect(r.config?.ack_policy).toBe("none");
  expect(r.config?.deliver_subject).toBeUndefined();
  await jetstream(fx.nc).publish("boacknone", "x");
  const m = await (await jetstream(fx.nc).consumers.get("BOACKNONE", "pn")).next({ expires: 2000 });
  expect(m?.string()).toBe("x");
  expect((await jsm.consumers.info("BOACKNONE", "pn")).num_ack_pending).toBe(0);
  await jsm.streams.delete("BOACKNONE");
});
