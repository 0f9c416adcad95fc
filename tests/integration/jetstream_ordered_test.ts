/**
 * nats.js's ordered consumer (pull requests with idle heartbeats, recreated on a gap) reads a 100k-message
 * stream to the end, in order, as it does from nats-server.
 */
import { expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { jetStreamFixture } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("ordered");
const TOTAL = 100_000;

/** Stores TOTAL messages through core publishes (no per-message ack), then waits until the stream has them all. */
async function fill(stream: string, subject: string): Promise<void> {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
  for (let i = 0; i < TOTAL; i++) {
    fx.nc.publish(`${subject}.${i % 7}`, String(i));
    if (i % 1000 === 999) await fx.nc.flush();
  }
  await fx.nc.flush();
  for (let n = 0; n < TOTAL; n = (await jsm.streams.info(stream)).state.messages) {
    await fx.nc.flush();
  }
}

test("an ordered consumer reads 100k messages to the end, in order", async () => {
  await fill("ORD100K", "o");
  const c = await jetstream(fx.nc).consumers.get("ORD100K");
  const iter = await c.consume({ max_messages: 1000 });
  let next = 1;
  let bad = "";
  for await (const m of iter) {
    if (m.seq !== next || m.string() !== String(next - 1)) bad ||= `seq ${m.seq} (${m.string()}) where ${next} was due`;
    next = m.seq + 1;
    if (m.seq === TOTAL) break;
  }
  expect(bad).toBe("");
  expect(next - 1).toBe(TOTAL);
}, 120_000);
