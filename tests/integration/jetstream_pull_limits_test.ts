/**
 * A pull consumer's max_batch, max_expires and max_bytes as nats.js meets them: a fetch asking for more is
 * refused with nats-server's terminal 409, one within the limits is served.
 */
import { expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createInbox } from "@nats-io/transport-node";
import { jetStreamFixture, nanos } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("pull-limits");

async function fetchAll(stream: string, consumer: string, opts: Record<string, number>): Promise<string[]> {
  const c = await jetstream(fx.nc).consumers.get(stream, consumer);
  const got: string[] = [];
  for await (const m of await c.fetch(opts)) {
    got.push(m.string());
    m.ack();
  }
  return got;
}

test("a fetch above the consumer's request limits fails with nats-server's 409 texts", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PL", subjects: ["pl.>"] });
  await jsm.consumers.add("PL", { durable_name: "c", ack_policy: AckPolicy.Explicit, max_batch: 5, max_expires: nanos(1500), max_bytes: 1000 });
  // nats.js asks for a batch of a million with max_bytes, so only a consumer without max_batch shows that limit.
  await jsm.consumers.add("PL", { durable_name: "b", ack_policy: AckPolicy.Explicit, max_bytes: 1000 });
  const js = jetstream(fx.nc);
  for (let i = 0; i < 3; i++) await js.publish("pl.a", `m${i}`);

  await expect(fetchAll("PL", "c", { max_messages: 10, expires: 1000 })).rejects.toThrow(/exceeded maxrequestbatch of 5/i);
  await expect(fetchAll("PL", "c", { max_messages: 2, expires: 3000 })).rejects.toThrow(/exceeded maxrequestexpires of 1\.5s/i);
  await expect(fetchAll("PL", "b", { max_bytes: 2000, expires: 1000 })).rejects.toThrow(/exceeded maxrequestmaxbytes of 1000/i);
  expect(await fetchAll("PL", "c", { max_messages: 3, expires: 1000 })).toEqual(["m0", "m1", "m2"]);
  const info = await jsm.consumers.info("PL", "c");
  expect(info.config.max_batch).toBe(5);
  expect(info.config.max_expires).toBe(nanos(1500));
  expect(info.config.max_bytes).toBe(1000);
  expect(info.num_waiting).toBe(0);
});

test("a request's max_bytes counts each message's subject, ack reply, headers and payload, as nats-server does", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "MB", subjects: ["mb"] });
  await jsm.consumers.add("MB", { durable_name: "c", ack_policy: AckPolicy.Explicit });
  const js = jetstream(fx.nc);
  for (let i = 0; i < 5; i++) await js.publish("mb", "x".repeat(100));
  const inbox = createInbox();
  const got: string[] = [];
  const done = new Promise<void>((resolve) => {
    fx.nc.subscribe(inbox, {
      callback: (_err, m) => {
        got.push(m.headers?.code === undefined ? "msg" : `${m.headers.code} ${m.headers.description}`);
        if (m.headers?.code !== undefined) resolve();
      },
    });
  });
  await fx.nc.flush();
  // Three messages fit in 350 bytes by subject and payload alone (102 each), only two with their ack replies.
  fx.nc.publish("$JS.API.CONSUMER.MSG.NEXT.MB.c", JSON.stringify({ batch: 5, max_bytes: 350, expires: nanos(1000) }), { reply: inbox });
  await done;
  expect(got).toEqual(["msg", "msg", "409 Message Size Exceeds MaxBytes"]);
});
