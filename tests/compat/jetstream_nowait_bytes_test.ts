// no_wait pull requests to natsedge and to nats-server 2.9.10 side by side, read off the wire: the status
// message that ends each request (404 No Messages, 408 Request Timeout with its Nats-Pending-* headers, 409)
// must be the same bytes, and the same number of messages must come before it. Skipped without nats-server.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import type { NatsConnection } from "@nats-io/transport-node";
import { RawConn } from "../_helpers/server.ts";
import { sideBySide } from "../_helpers/side_by_side.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { INFO_LINE, parseMsgs } from "../_helpers/raw.ts";

const HAVE_NATS_SERVER = spawnSync("nats-server", ["--version"]).status === 0;
const SECOND = 1_000_000_000;

interface Scenario {
  name: string;
  stream: string;
  consumer?: Record<string, unknown>;
  publish?: number;
  /** Pull requests made (and answered) before the probe, with the consumer's messages left unacked. */
  before?: Record<string, unknown>[];
  /** A request left waiting (on its own connection) while the probe is made. */
  waiting?: Record<string, unknown>;
  probe: Record<string, unknown>;
  /** The probe gets no answer (yet): checked after a PING round trip, as both servers answer in line. */
  quiet?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: "empty stream", stream: "N1", probe: { batch: 1, no_wait: true } },
  { name: "fewer messages than asked", stream: "N2", publish: 2, probe: { batch: 5, no_wait: true } },
  { name: "fewer messages than asked, with an expiry", stream: "N3", publish: 2, probe: { batch: 5, no_wait: true, expires: 2 * SECOND } },
  { name: "every message awaiting its ack", stream: "N4", publish: 2, before: [{ batch: 5, no_wait: true }], probe: { batch: 5, no_wait: true } },
  { name: "first message over max_bytes", stream: "N5", publish: 1, probe: { batch: 2, no_wait: true, max_bytes: 10 } },
  { name: "batch over the consumer's max_batch", stream: "N6", consumer: { max_batch: 2 }, publish: 1, probe: { batch: 3, no_wait: true } },
  { name: "messages, then one over max_bytes", stream: "N7", publish: 3, probe: { batch: 5, no_wait: true, max_bytes: 130 } },
  // Held back by max_ack_pending, a waiting request still wants 4 of the 2 left: nats-server refuses the next.
  {
    name: "fewer messages than waiting requests want",
    stream: "N8",
    consumer: { max_ack_pending: 1 },
    publish: 3,
    waiting: { batch: 5, expires: 10 * SECOND },
    probe: { batch: 1, no_wait: true },
  },
  // Held back by max_ack_pending with nothing else waiting: nats-server queues it and says nothing yet.
  { name: "at max_ack_pending", stream: "N11", consumer: { max_ack_pending: 1 }, publish: 3, before: [{ batch: 1, no_wait: true }], probe: { batch: 2, no_wait: true }, quiet: true },
  { name: "over max_waiting, with an expiry", stream: "N12", consumer: { max_waiting: 1 }, waiting: { batch: 1, expires: 10 * SECOND }, probe: { batch: 1, no_wait: true, expires: SECOND } },
  { name: "over max_waiting, nothing stored", stream: "N13", consumer: { max_waiting: 1 }, waiting: { batch: 1, expires: 10 * SECOND }, probe: { batch: 1, no_wait: true } },
  { name: "a filter nothing stored matches", stream: "N9", consumer: { filter_subject: "n9.none" }, publish: 2, probe: { batch: 2, no_wait: true } },
  { name: "batch of one, nothing left after the first", stream: "N10", publish: 1, before: [{ batch: 1, no_wait: true }], probe: { batch: 1, no_wait: true, expires: SECOND } },
];

/** Every frame a pull request gets, up to and including the first status of 400 or more. */
async function pullFrames(port: number, stream: string, req: Record<string, unknown>, quiet = false): Promise<{ msgs: number; status: string }> {
  const c = await RawConn.open(port);
  try {
    await c.waitFor(INFO_LINE);
    c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.nw 1\r\nPING\r\n`);
    await c.waitFor("PONG\r\n");
    c.clear();
    const body = JSON.stringify(req);
    c.send(`PUB $JS.API.CONSUMER.MSG.NEXT.${stream}.c _INBOX.nw ${body.length}\r\n${body}\r\n`);
    if (quiet) {
      c.send("PING\r\n");
      await c.waitFor("PONG\r\n");
      return { msgs: parseMsgs(c.received).length, status: "(no answer)" };
    }
    const isStatus = (m: { data: string }) => /^NATS\/1\.0 [4-9]/.test(m.data);
    const messages = (frames: { data: string }[]) => frames.filter((m) => !m.data.startsWith("NATS/1.0 ")).length;
    // A request whose batch is filled ends without a status; any other ends with one.
    await c.waitUntil((s) => {
      const frames = /\r\n/.test(s) ? parseMsgs(s) : [];
      return frames.some(isStatus) || messages(frames) >= (req.batch as number);
    }, "a status or a full batch", 5000);
    const frames = parseMsgs(c.received);
    const status = frames.find(isStatus);
    return { msgs: messages(frames), status: status === undefined ? "(batch filled)" : status.data.slice(0, status.hdrLen) };
  } finally {
    c.close();
  }
}

/** Makes a pull request and leaves it waiting (both servers register it before answering the PING). */
async function holdRequest(port: number, stream: string, req: Record<string, unknown>): Promise<RawConn> {
  const c = await RawConn.open(port);
  await c.waitFor(INFO_LINE);
  const body = JSON.stringify(req);
  c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nSUB _INBOX.held 1\r\nPUB $JS.API.CONSUMER.MSG.NEXT.${stream}.c _INBOX.held ${body.length}\r\n${body}\r\nPING\r\n`);
  await c.waitFor("PONG\r\n");
  return c;
}

describe.skipIf(!HAVE_NATS_SERVER || REFERENCE_SERVER !== "")("no_wait answers, byte for byte as nats-server 2.9.10", () => {
  const fx = sideBySide("nw");

  async function run(nc: NatsConnection, port: number, sc: Scenario) {
    const s = sc.stream;
    await nc.request(`$JS.API.STREAM.CREATE.${s}`, JSON.stringify({ name: s, subjects: [s.toLowerCase(), `${s.toLowerCase()}.>`] }));
    await nc.request(`$JS.API.CONSUMER.DURABLE.CREATE.${s}.c`, JSON.stringify({ stream_name: s, config: { durable_name: "c", ack_policy: "explicit", ...sc.consumer } }));
    for (let i = 0; i < (sc.publish ?? 0); i++) await nc.request(s.toLowerCase(), `message ${i} with a body of some length`);
    for (const b of sc.before ?? []) await pullFrames(port, s, b);
    const held = sc.waiting === undefined ? null : await holdRequest(port, s, sc.waiting);
    try {
      return await pullFrames(port, s, sc.probe, sc.quiet);
    } finally {
      held?.close();
    }
  }

  for (const sc of SCENARIOS) {
    test(sc.name, async () => {
      const got = await run(fx.ne, fx.edge.port, sc);
      const want = await run(fx.nr, fx.ref.port, sc);
      expect(got).toEqual(want);
    });
  }
});
