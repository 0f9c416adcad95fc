/**
 * A no_wait pull request with an expiry, as nats.go's Fetch sends first: on an empty stream nats-server keeps
 * it until the first messages come, delivers them and ends it with 408 at the end of the stream, well before
 * the expiry; without an expiry it is answered 404 at once.
 */
import { expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createInbox, type Msg } from "@nats-io/transport-node";
import { jetStreamFixture, nanos } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("pull-nowait");
const EXPIRES_MS = 3000;

/** Resolves with what arrives on a fresh inbox for a pull request, up to and including the first status. */
function pullAnswers(body: unknown): Promise<Msg[]> {
  const inbox = createInbox();
  const got: Msg[] = [];
  const done = new Promise<Msg[]>((resolve) => {
    fx.nc.subscribe(inbox, {
      callback: (_err, m) => {
        got.push(m);
        if (m.headers?.code !== undefined && m.headers.code >= 400) resolve(got);
      },
    });
  });
  return fx.nc.flush().then(() => {
    fx.nc.publish("$JS.API.CONSUMER.MSG.NEXT.NW.c", JSON.stringify(body), { reply: inbox });
    return done;
  });
}

test("no_wait with an expiry waits for the first messages, then ends at the end of the stream", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "NW", subjects: ["nw"] });
  await jsm.consumers.add("NW", { durable_name: "c", ack_policy: AckPolicy.Explicit });

  expect((await pullAnswers({ batch: 5, no_wait: true })).map((m) => m.headers?.code)).toEqual([404]);

  const start = Date.now();
  const answers = pullAnswers({ batch: 5, no_wait: true, expires: nanos(EXPIRES_MS) });
  // Still waiting: the consumer counts it.
  for (let n = 0; n === 0; n = (await jsm.consumers.info("NW", "c")).num_waiting);
  await jetstream(fx.nc).publish("nw", "first");
  const got = await answers;
  expect(got.map((m) => (m.headers?.code === undefined ? m.string() : m.headers.code))).toEqual(["first", 408]);
  expect(Date.now() - start).toBeLessThan(EXPIRES_MS / 2);
});
