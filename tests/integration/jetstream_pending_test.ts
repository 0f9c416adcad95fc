/**
 * A consumer's pending count while publishes land: every delivery's ack subject carries it, and a negative
 * value once wrote non-digit bytes into the HMSG control line (issue 22). Publishes arrive in bursts while the
 * consumer is already waiting, so deliveries race the appends they follow.
 */
import { expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { createInbox } from "@nats-io/transport-node";
import { jetStreamFixture } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("pending");

const BURSTS = 6;
const PER_BURST = 5;
const TOTAL = BURSTS * PER_BURST;

/** Publishes TOTAL messages in concurrent bursts; each burst waits for the previous one's acks. */
async function publishBursts(subject: string): Promise<void> {
  const js = jetstream(fx.nc);
  for (let b = 0; b < BURSTS; b++) {
    await Promise.all(Array.from({ length: PER_BURST }, (_, i) => js.publish(subject, `m${b * PER_BURST + i}`)));
  }
}

/** The `$JS.ACK` reply's tokens after the prefix: delivered, stream seq, consumer seq, timestamp, pending. */
function ackTokens(reply: string, stream: string, consumer: string): string[] {
  const prefix = `$JS.ACK.${stream}.${consumer}.`;
  expect(reply.startsWith(prefix)).toBe(true);
  return reply.slice(prefix.length).split(".");
}

function checkDeliveries(replies: string[], stream: string, consumer: string): void {
  expect(replies.length).toBe(TOTAL);
  replies.forEach((reply, i) => {
    const t = ackTokens(reply, stream, consumer);
    expect(t.length).toBe(5);
    for (const tok of t) expect(tok).toMatch(/^\d+$/);
    // Nothing can be pending beyond what was published and not yet delivered.
    expect(Number(t[4])).toBeLessThanOrEqual(TOTAL - (i + 1));
  });
}

test("a pull consumer waiting while bursts are published reports digits and a true num_pending", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PENDPULL", subjects: ["pendpull"] });
  await jsm.consumers.add("PENDPULL", { durable_name: "d", ack_policy: AckPolicy.Explicit });
  const c = await jetstream(fx.nc).consumers.get("PENDPULL", "d");
  const replies: string[] = [];
  const iter = await c.consume({ max_messages: 100 });
  const consumed = (async () => {
    for await (const m of iter) {
      // JsMsg's type hides the reply subject its implementation keeps; the ack subject is what is checked.
      replies.push((m as unknown as { reply: string }).reply);
      m.ack();
      if (replies.length === TOTAL) break;
    }
  })();
  await publishBursts("pendpull");
  await consumed;
  checkDeliveries(replies, "PENDPULL", "d");
  const info = await jsm.consumers.info("PENDPULL", "d");
  expect(info.num_pending).toBe(0);
  expect(info.delivered.stream_seq).toBe(TOTAL);
  await jsm.streams.delete("PENDPULL");
});

test("a push consumer delivering while bursts are published reports digits and a true num_pending", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PENDPUSH", subjects: ["pendpush"] });
  const deliver = createInbox();
  const replies: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const sub = fx.nc.subscribe(deliver, {
    callback: (_err, m) => {
      replies.push(m.reply ?? "");
      m.respond();
      if (replies.length === TOTAL) done();
    },
  });
  await fx.nc.flush();
  await jsm.consumers.add("PENDPUSH", { durable_name: "p", deliver_subject: deliver, ack_policy: AckPolicy.Explicit });
  await publishBursts("pendpush");
  await all;
  checkDeliveries(replies, "PENDPUSH", "p");
  const info = await jsm.consumers.info("PENDPUSH", "p");
  expect(info.num_pending).toBe(0);
  sub.unsubscribe();
  await jsm.streams.delete("PENDPUSH");
});

test("num_pending counts what a filtered consumer has not seen while others' messages land", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PENDFILT", subjects: ["pendfilt.*"] });
  await jsm.consumers.add("PENDFILT", { durable_name: "f", ack_policy: AckPolicy.Explicit, filter_subject: "pendfilt.a" });
  const c = await jetstream(fx.nc).consumers.get("PENDFILT", "f");
  const js = jetstream(fx.nc);
  let got: JsMsg | null = null;
  const fetched = (async () => {
    got = await c.next({ expires: 5000 });
  })();
  // The first pendfilt.a is delivered to the waiting pull while the rest of the burst lands.
  await Promise.all([js.publish("pendfilt.b", "x"), js.publish("pendfilt.a", "1"), js.publish("pendfilt.a", "2"), js.publish("pendfilt.b", "y")]);
  await fetched;
  expect(got).not.toBeNull();
  got!.ack();
  const info = await jsm.consumers.info("PENDFILT", "f");
  expect(info.num_pending).toBe(1);
  await jsm.streams.delete("PENDFILT");
});
