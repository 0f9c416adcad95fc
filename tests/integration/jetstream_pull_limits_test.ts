/**
 * A pull consumer's max_batch, max_expires and max_bytes as nats.js meets them: a fetch asking for more is
 * refused with nats-server's terminal 409, one within the limits is served.
 */
import { expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
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
