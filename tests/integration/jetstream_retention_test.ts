/** Workqueue and interest retention through the official client, with nats-server's refusals. */
import { expect, test } from "bun:test";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { jetStreamFixture } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("ret");

async function createError(stream: string, config: Record<string, unknown>): Promise<number> {
  const name = config.durable_name as string;
  const r = await fx.nc.request(`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${name}`, JSON.stringify({ stream_name: stream, config }), { timeout: 2000 });
  return r.json<{ error?: { err_code: number } }>().error?.err_code ?? 0;
}

/** The stream's message count (acks in the tests are ackAck: the server answers once the message is dropped). */
async function messages(stream: string): Promise<number> {
  await fx.nc.flush();
  const jsm = await jetstreamManager(fx.nc);
  return (await jsm.streams.info(stream)).state.messages;
}

test("workqueue: an acked message leaves the stream; unacked ones stay", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "WQ", subjects: ["wq.>"], retention: RetentionPolicy.Workqueue });
  const js = jetstream(fx.nc);
  for (let i = 1; i <= 3; i++) await js.publish(`wq.${i}`, `job${i}`);
  await jsm.consumers.add("WQ", { durable_name: "workers", ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get("WQ", "workers");
  const got: string[] = [];
  for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) {
    got.push(m.string());
    if (m.string() !== "job2") await m.ackAck();
  }
  expect(got).toEqual(["job1", "job2", "job3"]);
  expect(await messages("WQ")).toBe(1);
  const left = await jsm.streams.getMessage("WQ", { seq: 2 });
  expect(left?.string()).toBe("job2");
  expect(await jsm.streams.getMessage("WQ", { seq: 1 })).toBeNull();
  await jsm.streams.delete("WQ");
});

test("workqueue: one consumer per subject; overlapping or non-explicit consumers are refused", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "WQR", subjects: ["wqr.>"], retention: RetentionPolicy.Workqueue, storage: "memory" as never });
  expect(await createError("WQR", { durable_name: "a", ack_policy: "explicit", deliver_policy: "last" })).toBe(10101);
  expect(await createError("WQR", { durable_name: "a", ack_policy: "all" })).toBe(10098);
  expect(await createError("WQR", { durable_name: "a", ack_policy: "explicit" })).toBe(0);
  expect(await createError("WQR", { durable_name: "b", ack_policy: "explicit" })).toBe(10099);
  expect(await createError("WQR", { durable_name: "b", ack_policy: "explicit", filter_subject: "wqr.x" })).toBe(10100);
  await jsm.consumers.delete("WQR", "a");
  expect(await createError("WQR", { durable_name: "b", ack_policy: "explicit", filter_subject: "wqr.x" })).toBe(0);
  expect(await createError("WQR", { durable_name: "c", ack_policy: "explicit", filter_subject: "wqr.*" })).toBe(10100);
  expect(await createError("WQR", { durable_name: "d", ack_policy: "explicit", filter_subject: "wqr.y" })).toBe(0);
  // Updating the same consumer is not an overlap with itself.
  expect(await createError("WQR", { durable_name: "d", ack_policy: "explicit", filter_subject: "wqr.y", description: "again" })).toBe(0);
  // Retention cannot change after creation.
  await expect(jsm.streams.update("WQR", { retention: RetentionPolicy.Limits } as never)).rejects.toThrow("can not change retention policy");
  await jsm.streams.delete("WQR");
});

test("interest: a message stays until every interested consumer acked it, and is not kept without consumers", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "INT", subjects: ["int.>"], retention: RetentionPolicy.Interest });
  const js = jetstream(fx.nc);
  const ack0 = await js.publish("int.a", "nobody");
  expect(ack0.seq).toBe(1);
  expect(await messages("INT")).toBe(0);

  await jsm.consumers.add("INT", { durable_name: "one", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
  await jsm.consumers.add("INT", { durable_name: "two", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
  await jsm.consumers.add("INT", { durable_name: "bees", ack_policy: AckPolicy.Explicit, filter_subject: "int.b", deliver_policy: DeliverPolicy.New });
  await js.publish("int.a", "m2");
  await js.publish("int.a", "m3");
  expect(await messages("INT")).toBe(2);

  const one = await js.consumers.get("INT", "one");
  for await (const m of await one.fetch({ max_messages: 2, expires: 1000 })) await m.ackAck();
  expect(await messages("INT")).toBe(2); // "two" still has to ack; "bees" never sees int.a

  const two = await js.consumers.get("INT", "two");
  const m = await two.next({ expires: 1000 });
  expect(m?.string()).toBe("m2");
  await m!.ackAck();
  expect(await messages("INT")).toBe(1);
  expect((await jsm.streams.getMessage("INT", { seq: 3 }))?.string()).toBe("m3");
  // Once "two" is gone, nobody still needs m3.
  await jsm.consumers.delete("INT", "two");
  expect(await messages("INT")).toBe(0);
  await jsm.streams.delete("INT");
});
