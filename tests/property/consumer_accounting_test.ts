/**
 * A consumer's accounting (num_pending, num_ack_pending, the ack floor and the pending token of every ack
 * subject) against a model, after every step of a random mix of publishes (appended at once, notified after
 * their write), settles, pulls, acks, naks and restarts. Appends race deliveries here as they do on the wire:
 * the store has a message before the consumer hears of it (issue 22).
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { normalizeConsumerConfig, normalizeStreamConfig } from "../../src/jetstream/config.ts";
import { Consumer, type ConsumerHost } from "../../src/jetstream/consumer.ts";
import { type PubAck, Stream } from "../../src/jetstream/stream.ts";
import { MemStore } from "../../src/store/memstore.ts";

type Step =
  | { op: "publish"; subjects: string[] }
  | { op: "settle" }
  | { op: "pull"; batch: number }
  | { op: "ack"; pick: number }
  | { op: "nak"; pick: number }
  | { op: "restart" };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("publish" as const), subjects: fc.array(fc.constantFrom("a", "b"), { minLength: 1, maxLength: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("settle" as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("pull" as const), batch: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("ack" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("nak" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const) }) },
);

interface Delivery {
  reply: string;
  tokens: number[];
}

class Host implements ConsumerHost {
  deliveries: Delivery[] = [];
  readonly #prefixLen: number;
  constructor(prefix: string) {
    this.#prefixLen = prefix.length + 1;
  }
  deliver(_inbox: string, _subject: string, ackReply: Uint8Array): void {
    const reply = new TextDecoder().decode(ackReply);
    const raw = reply.slice(this.#prefixLen).split(".");
    for (const t of raw) expect(t).toMatch(/^\d+$/);
    this.deliveries.push({ reply, tokens: raw.map(Number) });
  }
  status(): void {}
  hasInterest(): boolean {
    return true;
  }
  watchInterest(): () => void {
    return () => {};
  }
  inactive(): void {}
  changed(): void {}
}

/** What the consumer should report, kept from the deliveries it made. */
class Model {
  readonly stored: string[] = [""]; // index = stream sequence
  cursor = 1;
  dseq = 0;
  lastDelivered = 0;
  readonly pending = new Map<number, { cseq: number; dc: number; reply: string }>();
  constructor(readonly filter: string) {}
  matches(subject: string): boolean {
    return this.filter === "" || subject === this.filter;
  }
  numPending(): number {
    let n = 0;
    for (let s = this.cursor; s < this.stored.length; s++) if (this.matches(this.stored[s]!)) n++;
    return n;
  }
  /** Checks one delivery against what may be delivered, then records it. */
  delivered(d: Delivery): void {
    const [dc, sseq, cseq, , pending] = d.tokens as [number, number, number, number, number];
    expect(cseq).toBe(this.dseq + 1);
    this.dseq = cseq;
    const p = this.pending.get(sseq);
    if (p !== undefined) {
      expect(dc).toBe(p.dc + 1);
      p.dc = dc;
      p.reply = d.reply;
    } else {
      let next = this.cursor;
      while (next < this.stored.length && !this.matches(this.stored[next]!)) next++;
      expect(sseq).toBe(next);
      expect(dc).toBe(1);
      this.cursor = sseq + 1;
      this.pending.set(sseq, { cseq, dc, reply: d.reply });
    }
    this.lastDelivered = Math.max(this.lastDelivered, sseq);
    expect(pending).toBe(this.numPending());
  }
  /**
   * As nats-server keeps it, the floor moves only when an ack does (a delivery leaves it where it was): below the
   * oldest unacknowledged delivery, or everything delivered when nothing is pending, as of the first read after it.
   */
  #floor = { consumer_seq: 0, stream_seq: 0 };
  #floorMoved = false;
  acked(seq: number): void {
    this.pending.delete(seq);
    this.#floorMoved = true;
  }
  ackFloor(): { consumer_seq: number; stream_seq: number } {
    if (!this.#floorMoved) return this.#floor;
    this.#floorMoved = false;
    if (this.pending.size === 0) return (this.#floor = { consumer_seq: this.dseq, stream_seq: this.lastDelivered });
    const min = Math.min(...this.pending.keys());
    const floor = { consumer_seq: this.pending.get(min)!.cseq - 1, stream_seq: min - 1 };
    // Every message at or below the floor was acknowledged or is not this consumer's.
    expect(floor.stream_seq).toBeGreaterThanOrEqual(this.#floor.stream_seq);
    return (this.#floor = floor);
  }
}

const noPull = () => "unused";

async function run(push: boolean, filter: string, steps: Step[]): Promise<void> {
  const stream = new Stream(normalizeStreamConfig({ name: "S", subjects: ["a", "b"] }), Date.now(), new MemStore());
  const raw: Record<string, unknown> = { durable_name: "d", ack_policy: "explicit", ack_wait: 3_600_000_000_000 };
  if (filter !== "") raw.filter_subject = filter;
  if (push) raw.deliver_subject = "deliver.here";
  const config = normalizeConsumerConfig(raw, ["a", "b"]);
  const host = new Host(`$JS.ACK.S.d`);
  const model = new Model(filter);
  const open = (state?: ReturnType<Consumer["state"]>): Consumer => {
    const c = new Consumer(stream, config, 0, host, state);
    stream.consumers.set("d", c);
    c.start();
    return c;
  };
  let c = open();
  let inflight: Promise<PubAck>[] = [];
  const observe = () => {
    for (const d of host.deliveries) model.delivered(d);
    host.deliveries = [];
    const info = c.info() as { num_pending: number; num_ack_pending: number; ack_floor: unknown };
    expect(info.num_pending).toBe(model.numPending());
    expect(info.num_ack_pending).toBe(model.pending.size);
    expect(info.ack_floor).toEqual(model.ackFloor());
  };
  const pickPending = (pick: number): [number, string] | null => {
    const seqs = [...model.pending.keys()].sort((x, y) => x - y);
    if (seqs.length === 0) return null;
    const seq = seqs[pick % seqs.length]!;
    return [seq, model.pending.get(seq)!.reply];
  };
  for (const s of steps) {
    switch (s.op) {
      case "publish":
        for (const subj of s.subjects) {
          inflight.push(stream.ingest(subj, null, new Uint8Array([1])));
          model.stored.push(subj);
        }
        break;
      case "settle":
        await Promise.all(inflight);
        inflight = [];
        break;
      case "pull":
        if (!push) c.pull("reply", { batch: s.batch, maxBytes: 0, noWait: true, expiresMs: 0, heartbeatMs: 0 });
        break;
      case "ack":
      case "nak": {
        const p = pickPending(s.pick);
        if (p === null) break;
        c.onAck(p[1], null, new TextEncoder().encode(s.op === "ack" ? "+ACK" : "-NAK"), noPull);
        if (s.op === "ack") model.acked(p[0]);
        break;
      }
      case "restart":
        observe();
        c.close(false);
        c = open(c.state());
        break;
    }
    observe();
  }
  await Promise.all(inflight);
  observe();
  c.close(false);
}

for (const push of [false, true]) {
  for (const filter of ["", "a"]) {
    test(`${push ? "push" : "pull"} consumer${filter === "" ? "" : " filtered"}: pending, ack pending and ack floor follow the model`, async () => {
      await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => run(push, filter, steps)), { numRuns: 150 });
    });
  }
}
