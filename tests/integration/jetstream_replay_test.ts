/**
 * replay_policy original: a consumer created after the messages were stored delivers them spaced as they
 * were published, push and pull alike, until it has caught up; instant delivers them at once.
 */
import { expect, test } from "bun:test";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, ReplayPolicy } from "@nats-io/jetstream";
import { createInbox } from "@nats-io/transport-node";
import { jetStreamFixture } from "../_helpers/jetstream.ts";
import { sleep } from "../_helpers/spawn.ts";

const fx = jetStreamFixture("replay");
/** The gaps between the publishes (ms): long enough to stand out from scheduling noise. */
const GAPS = [400, 200];
/** Timers may fire a little early against the client's clock, and the stored times are the server's. */
const SLACK_MS = 25;

/** Publishes one message per gap plus one, waiting each gap in between; returns the stored gaps (ms). */
async function publishSpaced(stream: string, subject: string): Promise<number[]> {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: stream, subjects: [subject] });
  const js = jetstream(fx.nc);
  await js.publish(subject, "0");
  for (let i = 0; i < GAPS.length; i++) {
    await sleep(GAPS[i]!);
    await js.publish(subject, String(i + 1));
  }
  const stored: number[] = [];
  for (let seq = 1; seq <= GAPS.length + 1; seq++) stored.push((await jsm.streams.getMessage(stream, { seq }))!.time.getTime());
  return stored.slice(1).map((t, i) => t - stored[i]!);
}

const gapsOf = (arrivals: number[]) => arrivals.slice(1).map((t, i) => t - arrivals[i]!);

test("a push consumer with replay original keeps the stored gaps; replay instant does not", async () => {
  const stored = await publishSpaced("RO", "ro");
  const jsm = await jetstreamManager(fx.nc);
  const arrivals = async (replay: ReplayPolicy): Promise<number[]> => {
    const inbox = createInbox();
    const sub = fx.nc.subscribe(inbox, { max: GAPS.length + 1 });
    await jsm.consumers.add("RO", { deliver_subject: inbox, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, replay_policy: replay });
    const at: number[] = [];
    for await (const m of sub) {
      at.push(Date.now());
      expect(m.string()).toBe(String(at.length - 1));
    }
    return at;
  };
  const original = gapsOf(await arrivals(ReplayPolicy.Original));
  for (let i = 0; i < stored.length; i++) expect(original[i]!).toBeGreaterThanOrEqual(stored[i]! - SLACK_MS);
  const instant = gapsOf(await arrivals(ReplayPolicy.Instant));
  expect(Math.max(...instant)).toBeLessThan(GAPS[1]! / 2);
});

test("a pull consumer with replay original serves one fetch spaced as stored", async () => {
  const stored = await publishSpaced("ROP", "rop");
  const jsm = await jetstreamManager(fx.nc);
  await jsm.consumers.add("ROP", { durable_name: "c", ack_policy: AckPolicy.Explicit, replay_policy: ReplayPolicy.Original });
  expect((await jsm.consumers.info("ROP", "c")).config.replay_policy).toBe(ReplayPolicy.Original);
  const c = await jetstream(fx.nc).consumers.get("ROP", "c");
  const at: number[] = [];
  for await (const m of await c.fetch({ max_messages: GAPS.length + 1, expires: 5000 })) {
    at.push(Date.now());
    m.ack();
  }
  expect(at.length).toBe(GAPS.length + 1);
  const gaps = gapsOf(at);
  for (let i = 0; i < stored.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(stored[i]! - SLACK_MS);

  // Caught up with what was stored at the start: a message stored later goes out at once, whatever its gap.
  await jetstream(fx.nc).publish("rop", "late");
  const start = Date.now();
  for await (const m of await c.fetch({ max_messages: 1, expires: 5000 })) {
    expect(m.string()).toBe("late");
    m.ack();
  }
  expect(Date.now() - start).toBeLessThan(GAPS[1]! / 2);
});
