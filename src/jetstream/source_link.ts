/**
 * One mirror's or source's link to its origin stream, as nats-server 2.9.10 runs it (stream.go
 * setupMirrorConsumer/setSourceConsumer, processInboundMirrorMsg/processInboundSourceMsg): an ephemeral,
 * flow-controlled push consumer with idle heartbeats, created through the origin's `$JS.API` (another
 * domain's or account's prefix when external), delivering to a fresh `$JS.M.*` / `$JS.S.*` subject.
 *
 * The link tracks the origin and delivery sequences from each ack reply. A delivery out of order, a heartbeat
 * naming a later delivery than the last one seen, silence for three heartbeats, a failed store or a failed
 * create all recreate the consumer from the origin sequence after the last one taken, with a backoff while
 * the origin stays unreachable. Nothing is buffered here: the consumer's flow control bounds what is in flight.
 */
import { randomBytes } from "node:crypto";
import type { InternalEndpoint, InternalMsg } from "../routing/internal.ts";
import type { Subscription } from "../routing/subscription.ts";
import { NS_PER_MS } from "./config.ts";
import type { JSErrorData } from "./errors.ts";
import { parseHeaders } from "./headers.ts";
import { apiPrefix, type StreamSource } from "./stream_source.ts";

/** A message from the origin, with its origin sequence and stored time (ms). */
export interface Inbound {
  subject: string;
  hdr: Uint8Array | null;
  data: Uint8Array;
  /** The delivery's reply subject: the origin's `$JS.ACK...`, which names its sequence. */
  reply: string;
  seq: number;
  ts: number;
}

export interface LinkTarget {
  /** Stores the message; a rejection makes the link start again after the last origin sequence stored. */
  store(m: Inbound): Promise<void>;
  log(msg: string): void;
}

/** STREAM.INFO's `mirror` / `sources[]` entry (nats-server's StreamSourceInfo). */
export interface SourceInfo {
  name: string;
  external?: { api: string; deliver: string };
  lag: number;
  active: number;
  error?: JSErrorData;
}

/** nats-server's sourceHealthCheckInterval: the heartbeat asked of the origin consumer. */
export const HEARTBEAT_MS = 1000;
/** Silence for this many heartbeats means the consumer is gone: recreate it. */
const STALL_HEARTBEATS = 3;
const CREATE_TIMEOUT_MS = 5000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;
/** nats-server's ack wait for these consumers (they ack nothing; it only has to be long). */
const ACK_WAIT_NS = 22 * 3600 * 1000 * NS_PER_MS;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function token(): string {
  return randomBytes(8).toString("base64url").replace(/[-_]/g, "x");
}

/** Where the dots of the reply being parsed are: the fields read are all before the 12th. */
const dots = new Int32Array(12);

/**
 * `[stream seq, consumer seq, ts ms, pending]` of a `$JS.ACK` reply (9 tokens, or the 12-token v2 form).
 * Read in place, every message a source takes has one: splitting it into strings and parsing those showed
 * in the catch-up's profile.
 */
export function parseAckReply(reply: string): [number, number, number, number] | null {
  if (!reply.startsWith("$JS.ACK.")) return null;
  let n = 0;
  for (let i = 0; i < reply.length; i++) {
    if (reply.charCodeAt(i) !== 46) continue;
    if (n < dots.length) dots[n] = i;
    n++;
  }
  const tokens = n + 1;
  const o = tokens >= 12 ? 4 : tokens === 9 ? 2 : -1;
  if (o < 0) return null;
  const sseq = digitsAt(reply, o + 3, n);
  const dseq = digitsAt(reply, o + 4, n);
  if (!(sseq > 0) || !(dseq > 0)) return null;
  const pending = digitsAt(reply, o + 6, n);
  return [sseq, dseq, nanosToMs(reply, o + 5, n), Number.isFinite(pending) ? pending : 0];
}

/** Token `k`'s bounds in `s`, `n` dots counted. */
const tokenStart = (k: number) => (k === 0 ? 0 : dots[k - 1]! + 1);
const tokenEnd = (s: string, k: number, n: number) => (k < n ? dots[k]! : s.length);

/** Token `k` as a decimal number: 0 when empty, NaN when it holds anything but digits. */
function digitsAt(s: string, k: number, n: number): number {
  return decimal(s, tokenStart(k), tokenEnd(s, k, n));
}

function decimal(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Token `k`, decimal nanoseconds, as float ms, split at the millisecond: the whole number of nanoseconds is
 * past 2^53, while both halves are exact (the inverse of the ack reply's writing, ack_reply.ts). 0 when it
 * is not all digits.
 */
function nanosToMs(s: string, k: number, n: number): number {
  const from = tokenStart(k);
  const to = tokenEnd(s, k, n);
  if (to <= from) return 0;
  const cut = Math.max(from, to - 6);
  const ms = decimal(s, from, cut) + decimal(s, cut, to) / 1e6;
  return Number.isNaN(ms) ? 0 : ms;
}

export class SourceLink {
  /** The last origin sequence taken; the next consumer starts after it. */
  #sseq: number;
  #dseq = 0;
  /** Whether the current consumer delivered yet: its first delivery sets the sequences. */
  #started = false;
  #lag = 0;
  /** When the origin last delivered a message (STREAM.INFO `active`), and when it was last heard from at all. */
  #last = 0;
  #heard = 0;
  #error: JSErrorData | undefined;
  #sub: Subscription | null = null;
  #replySub: Subscription | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stallTimer: ReturnType<typeof setInterval> | null = null;
  #retryMs = RETRY_MIN_MS;
  #stopped = false;
  /** Bumped on each (re)creation, so answers and deliveries meant for an older consumer are ignored. */
  #generation = 0;

  constructor(
    readonly kind: "mirror" | "source",
    readonly streamName: string,
    readonly source: StreamSource,
    private readonly internal: InternalEndpoint,
    private readonly target: LinkTarget,
    /** The last origin sequence already stored (0: none yet, use the source's start options). */
    lastStored: number,
  ) {
    this.#sseq = lastStored;
  }

  start(): void {
    this.#stallTimer = setInterval(() => this.#checkStall(), HEARTBEAT_MS);
    this.#create();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel();
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#stallTimer !== null) clearInterval(this.#stallTimer);
    this.#timer = this.#stallTimer = null;
  }

  info(): SourceInfo {
    const ext = this.source.external;
    return {
      name: this.source.name,
      ...(ext !== undefined ? { external: { api: ext.api ?? "", deliver: ext.deliver ?? "" } } : {}),
      lag: this.#lag,
      active: this.#last === 0 ? -1 : Math.round((Date.now() - this.#last) * NS_PER_MS),
      ...(this.#error !== undefined ? { error: this.#error } : {}),
    };
  }

  #cancel(): void {
    this.#generation++;
    if (this.#sub !== null) this.internal.removeSub(this.#sub);
    if (this.#replySub !== null) this.internal.removeSub(this.#replySub);
    this.#sub = this.#replySub = null;
  }

  /** The consumer config nats-server asks the origin for, starting after `#sseq`. */
  #consumerConfig(deliver: string): Record<string, unknown> {
    const src = this.source;
    const start = this.#sseq > 0
      ? { deliver_policy: "by_start_sequence", opt_start_seq: this.#sseq + 1 }
      : (src.opt_start_seq ?? 0) > 0
      ? { deliver_policy: "by_start_sequence", opt_start_seq: src.opt_start_seq }
      : src.opt_start_time
      ? { deliver_policy: "by_start_time", opt_start_time: src.opt_start_time }
      : { deliver_policy: "all" };
    return {
      deliver_subject: deliver,
      ...start,
      ack_policy: "none",
      ack_wait: ACK_WAIT_NS,
      max_deliver: 1,
      idle_heartbeat: HEARTBEAT_MS * NS_PER_MS,
      flow_control: true,
      direct: true,
      ...(src.filter_subject ? { filter_subject: src.filter_subject } : {}),
    };
  }

  #create(): void {
    this.#timer = null;
    if (this.#stopped) return;
    this.#cancel();
    const gen = this.#generation;
    const letter = this.kind === "mirror" ? "M" : "S";
    const prefix = this.source.external?.deliver;
    const deliver = prefix ? `${prefix}.${letter}.${token()}`.replace(/\.\./g, ".") : `$JS.${letter}.${token()}`;
    const reply = `$JS.${letter}.R.${token()}`;
    this.#started = false;
    this.#dseq = 0;
    this.#heard = Date.now();
    this.#sub = this.internal.subscribe(deliver, null, (m) => {
      if (gen === this.#generation) this.#onMsg(m);
    });
    const timeout = setTimeout(() => {
      if (gen === this.#generation) this.#retry("no response from the origin's JetStream API");
    }, CREATE_TIMEOUT_MS);
    this.#replySub = this.internal.subscribe(reply, null, (m) => {
      clearTimeout(timeout);
      if (gen === this.#generation) this.#onCreated(m);
    });
    const body = { stream_name: this.source.name, config: this.#consumerConfig(deliver) };
    this.internal.publish(`${apiPrefix(this.source)}.CONSUMER.CREATE.${this.source.name}`, reply, null, encoder.encode(JSON.stringify(body)));
  }

  #onCreated(m: InternalMsg): void {
    if (this.#replySub !== null) this.internal.removeSub(this.#replySub);
    this.#replySub = null;
    let resp: { error?: JSErrorData };
    try {
      resp = JSON.parse(decoder.decode(m.data)) as { error?: JSErrorData };
    } catch {
      resp = {};
    }
    // A 503 status (no responders) has headers and no body: the origin's JetStream is not reachable.
    const status = m.hdr !== null && m.data.length === 0 ? decoder.decode(m.hdr).split("\r\n")[0] : "";
    if (resp.error !== undefined) this.#retry(resp.error.description, resp.error);
    else if (status !== "" && !status.startsWith("NATS/1.0 2")) this.#retry(`origin answered ${JSON.stringify(status)}`);
    else {
      this.#error = undefined;
      this.#retryMs = RETRY_MIN_MS;
    }
  }

  /** Recreates the consumer after a backoff, keeping the error for STREAM.INFO. */
  #retry(why: string, error?: JSErrorData): void {
    this.#cancel();
    if (this.#stopped) return;
    if (error !== undefined) this.#error = error;
    this.target.log(`JetStream: ${this.kind} ${JSON.stringify(this.source.name)} of stream ${JSON.stringify(this.streamName)}: ${why}, retrying in ${this.#retryMs} ms`);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#create(), this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  /** Recreates the consumer at once (the origin is there; the stream of deliveries broke). */
  #restart(): void {
    this.#cancel();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#create(), 0);
  }

  #checkStall(): void {
    if (this.#sub !== null && Date.now() - this.#heard > STALL_HEARTBEATS * HEARTBEAT_MS) this.#retry("no heartbeat from the origin consumer");
  }

  #onMsg(m: InternalMsg): void {
    this.#heard = Date.now();
    if (m.data.length === 0 && m.hdr !== null && decoder.decode(m.hdr.subarray(0, 13)) === "NATS/1.0 100 ") {
      this.#onControl(m);
      return;
    }
    this.#last = this.#heard;
    const r = m.reply === null ? null : parseAckReply(m.reply);
    if (r === null) return;
    const [sseq, dseq, ts, pending] = r;
    if (!this.#started) {
      this.#started = true;
    } else if (dseq !== this.#dseq + 1) {
      this.#restart();
      return;
    }
    this.#dseq = dseq;
    if (sseq <= this.#sseq) return; // already stored (a consumer recreated after a restart overlaps)
    const prior = this.#sseq;
    this.#sseq = sseq;
    this.#lag = pending;
    const gen = this.#generation;
    this.target.store({ subject: m.subject, hdr: m.hdr, data: m.data, reply: m.reply!, seq: sseq, ts }).catch((err) => {
      if (gen !== this.#generation) return;
      this.#sseq = Math.min(this.#sseq, prior);
      this.#retry(`storing origin sequence ${sseq} failed: ${(err as Error).message}`);
    });
  }

  #onControl(m: InternalMsg): void {
    // Flow control requests carry a reply; answering opens the origin's window again.
    if (m.reply !== null) {
      this.internal.publish(m.reply, null, null, EMPTY);
      return;
    }
    const h = parseHeaders(m.hdr);
    const lastDelivered = Number(h.get("nats-last-consumer") ?? 0);
    if (lastDelivered > 0 && lastDelivered !== this.#dseq) {
      this.#restart();
      return;
    }
    const stalled = h.get("nats-consumer-stalled");
    if (stalled !== undefined && stalled !== "") this.internal.publish(stalled, null, null, EMPTY);
  }
}
