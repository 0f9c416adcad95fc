/**
 * Sealing a stream, the one-way deny flags, and consumer info's push_bound, with nats-server 2.9.10's answers
 * (measured against it; tests/compat/natsgo_test.ts runs nats.go's Seal() and bound-durable check on both).
 */
import { expect, test } from "bun:test";
import { createInbox } from "@nats-io/transport-node";
import { jetStreamFixture, nanos } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("seal");

const encoder = new TextEncoder();

async function api(subject: string, body: unknown): Promise<Record<string, unknown>> {
  const data = body === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(body));
  return (await fx.nc.request(`$JS.API.${subject}`, data)).json();
}

const sealedError = { code: 400, err_code: 10109, description: "invalid operation on sealed stream" };
const invalid = (description: string) => ({ code: 500, err_code: 10052, description });

test("an update seals a stream: limits and permissions are forced, and nothing changes it any more", async () => {
  const cfg = { name: "SEAL", subjects: ["seal.>"], max_age: nanos(1_000_000), allow_rollup_hdrs: true };
  await api("STREAM.CREATE.SEAL", cfg);
  await fx.nc.request("seal.a", encoder.encode("one"));
  expect((await api("STREAM.CREATE.SEAL2", { name: "SEAL2", subjects: ["seal2"], sealed: true })).error).toEqual(
    invalid("stream configuration for create can not be sealed"),
  );

  const up = await api("STREAM.UPDATE.SEAL", { ...cfg, sealed: true });
  const c = up.config as Record<string, unknown>;
  expect([c.sealed, c.max_age, c.discard, c.deny_delete, c.deny_purge, c.allow_rollup_hdrs]).toEqual([true, 0, "new", true, true, false]);

  // Publishing, purging and deleting are refused with the sealed error, ahead of the deny_* errors.
  expect((await fx.nc.request("seal.a", encoder.encode("two"))).json()).toEqual({ error: sealedError, stream: "SEAL", seq: 0 });
  expect((await api("STREAM.PURGE.SEAL", undefined)).error).toEqual(sealedError);
  expect((await api("STREAM.MSG.DELETE.SEAL", { seq: 1 })).error).toEqual(sealedError);
  const info = await api("STREAM.INFO.SEAL", undefined);
  expect((info.state as { messages: number }).messages).toBe(1);
  // Reads still work.
  expect(((await api("STREAM.MSG.GET.SEAL", { seq: 1 })).message as { seq: number }).seq).toBe(1);

  expect((await api("STREAM.UPDATE.SEAL", { name: "SEAL", subjects: ["seal.>"] })).error).toEqual(
    invalid("stream configuration update can not unseal a sealed stream"),
  );
});

test("deny_delete and deny_purge can be set by an update but never cleared, checked before sealing", async () => {
  await api("STREAM.CREATE.DENY", { name: "DENY", subjects: ["deny.>"], deny_delete: true, deny_purge: true });
  expect((await api("STREAM.UPDATE.DENY", { name: "DENY", subjects: ["deny.>"], deny_purge: true })).error).toEqual(
    invalid("stream configuration update can not cancel deny message deletes"),
  );
  expect((await api("STREAM.UPDATE.DENY", { name: "DENY", subjects: ["deny.>"], deny_delete: true })).error).toEqual(
    invalid("stream configuration update can not cancel deny purge"),
  );
  // Sealing would set both, but the request is checked as sent.
  expect((await api("STREAM.UPDATE.DENY", { name: "DENY", subjects: ["deny.>"], sealed: true })).error).toEqual(
    invalid("stream configuration update can not cancel deny message deletes"),
  );
  await api("STREAM.CREATE.OPEN", { name: "OPEN", subjects: ["open.>"] });
  const up = await api("STREAM.UPDATE.OPEN", { name: "OPEN", subjects: ["open.>"], deny_delete: true });
  expect((up.config as { deny_delete: boolean }).deny_delete).toBe(true);
});

test("push_bound is reported while the deliver subject has a subscriber, as nats.go expects", async () => {
  await api("STREAM.CREATE.BOUND", { name: "BOUND", subjects: ["bound.>"] });
  const inbox = createInbox();
  const created = await api("CONSUMER.CREATE.BOUND.pb", {
    stream_name: "BOUND",
    config: { durable_name: "pb", deliver_subject: inbox, ack_policy: "explicit" },
  });
  expect(created.push_bound).toBeUndefined();

  const sub = fx.nc.subscribe(inbox);
  await fx.nc.flush();
  const info = await api("CONSUMER.INFO.BOUND.pb", undefined);
  expect(info.push_bound).toBe(true);
  const list = await api("CONSUMER.LIST.BOUND", {});
  expect((list.consumers as { push_bound?: boolean }[])[0]?.push_bound).toBe(true);

  sub.unsubscribe();
  await fx.nc.flush();
  expect((await api("CONSUMER.INFO.BOUND.pb", undefined)).push_bound).toBeUndefined();

  // A pull consumer is never push bound.
  await api("CONSUMER.CREATE.BOUND.pull", { stream_name: "BOUND", config: { durable_name: "pull", ack_policy: "explicit" } });
  expect((await api("CONSUMER.INFO.BOUND.pull", undefined)).push_bound).toBeUndefined();
});
