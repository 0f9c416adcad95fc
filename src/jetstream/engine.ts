/**
 * The JetStream engine: owns the streams (one store each, opened through the store provider),
 * subscribes to their subjects so that any publish into them is stored, and answers `$JS.API.>` (api.ts).
 */
import { totalmem } from "node:os";
import type { JetStreamAccountLimits, JetStreamOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { Router } from "../routing/router.ts";
import type { InternalEndpoint, InternalMsg } from "../routing/internal.ts";
import type { Subscription } from "../routing/subscription.ts";
import { cipherName, type LostRange, StoreProvider, storedMsgSize, type StreamStore } from "../store/mod.ts";
import { checkNewConsumer, checkNewStream, checkStreamUpdate, wouldExceed } from "./account_limits.ts";
import { failureResponse, handleApi } from "./api.ts";
import type { ConsumerConfig, StreamConfig } from "./config.ts";
import { subjectsCollide } from "../subject/mod.ts";
import { Consumer, type ConsumerHost, type ConsumerState } from "./consumer.ts";
import { JSErr, JSError, jsError } from "./errors.ts";
import { checkWorkQueueConsumer } from "./retention.ts";
import { parsePull } from "./pull.ts";
import { type PubAck, storeLimits, Stream } from "./stream.ts";
import { linkStream } from "./stream_links.ts";

/** What the engine needs from the server (Server provides all of it). */
export interface JetStreamHost {
  readonly internal: InternalEndpoint;
  readonly router: Router;
  readonly log: Logger;
}

/** The account an engine serves: its streams are its own, in a store folder of its own, within its limits. */
export interface JetStreamAccount {
  readonly name: string;
  /** null: the global account alone, limited only by the server's max_mem/max_file. */
  readonly limits: JetStreamAccountLimits | null;
}

export const GLOBAL_JETSTREAM_ACCOUNT: JetStreamAccount = { name: "$G", limits: null };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** nats-server's defaults when not configured: 75% of memory, 1 TB of disk. */
const DEFAULT_MAX_FILE = 1024 ** 4;
/**
 * Durable consumer state is written at most this often (ms), coalescing acks: nats-server's consumer store
 * keeps to about 10 writes a second under load too. A clean shutdown writes it at once; after kill -9 the
 * acks of the last interval come back as redeliveries (at least once), never as lost messages.
 */
const CONSUMER_WRITE_DELAY_MS = 100;

interface StreamMeta {
  config: StreamConfig;
  created: number;
}

export class JetStream implements ConsumerHost {
  readonly streams = new Map<string, Stream>();
  /** Streams on disk that could not be opened (wrong key, damage): name → the store's error text. */
  readonly unavailable = new Map<string, string>();
  readonly storeDir: string;
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly #stores: StoreProvider;
  apiTotal = 0;
  apiErrors = 0;
  #apiSubs: Subscription[] = [];
  /** Each consumer's internal subscriptions: its ack subject, and flow control replies for push consumers. */
  readonly #consumerSubs = new Map<Consumer, Subscription[]>();
  #dirty = new Set<Consumer>();
  #writeTimer: ReturnType<typeof setTimeout> | null = null;
  #writing: Promise<void> = Promise.resolve();
  /** Whether mirrors and sources run: from the end of start() (see there) to stop(). */
  #linking = false;

  constructor(
    private readonly host: JetStreamHost,
    readonly options: JetStreamOptions,
    /** Replaced when an operator-mode account's JWT changes its limits. */
    public account: JetStreamAccount = GLOBAL_JETSTREAM_ACCOUNT,
  ) {
    this.#stores = jetStreamStores(options, account.name);
    this.storeDir = this.#stores.dir;
    ({ maxMemory: this.maxMemory, maxStore: this.maxStore } = serverLimits(options));
  }

  get domain(): string | undefined {
    return this.options.domain;
  }

  /** The cipher new blocks are sealed with, by name, or null when the store is not encrypted. */
  get cipher(): string | null {
    const c = this.#stores.cipher;
    return c === null ? null : cipherName(c);
  }

  get log(): Logger {
    return this.host.log;
  }

  async start(): Promise<void> {
    const log = this.host.log;
    const o = this.options;
    for (const name of this.#stores.names()) await this.#recover(name);
    const api = (prefix: string) => (m: InternalMsg) => this.#onApi(prefix, m);
    this.#apiSubs.push(this.host.internal.subscribe("$JS.API.>", null, api("$JS.API.")));
    if (o.domain) this.#apiSubs.push(this.host.internal.subscribe(`$JS.${o.domain}.API.>`, null, api(`$JS.${o.domain}.API.`)));
    // Links ask their origin's API, which may be a stream recovered after theirs: they start once all are.
    this.#linking = true;
    for (const s of this.streams.values()) this.#link(s);
    const of = this.account === GLOBAL_JETSTREAM_ACCOUNT ? "" : ` for account ${JSON.stringify(this.account.name)}`;
    log.notice(`JetStream started${of}: ${this.streams.size} stream(s) recovered`);
  }

  async stop(): Promise<void> {
    this.#linking = false;
    for (const s of this.#apiSubs) this.host.internal.removeSub(s);
    this.#apiSubs = [];
    if (this.#writeTimer !== null) clearTimeout(this.#writeTimer);
    await this.#flushConsumers().catch((err) => this.host.log.error(`JetStream: writing consumer state: ${(err as Error).message}`));
    for (const s of this.streams.values()) {
      this.#unsubscribe(s);
      for (const c of [...s.consumers.values()]) this.#removeConsumer(c, false);
      await s.exclusive(() => s.store.close());
    }
    this.streams.clear();
  }

  async #recover(name: string): Promise<void> {
    try {
      const store = await this.#open(name, undefined);
      const raw = store.readMeta();
      if (raw === null) {
        await store.close();
        this.host.log.warn(`JetStream: stream directory ${JSON.stringify(name)} has no metadata, skipped`);
        return;
      }
      const meta = JSON.parse(decoder.decode(raw)) as StreamMeta;
      // The stream first: applying the limits may expire messages, whose delete markers it stores.
      const stream = new Stream(meta.config, meta.created, store, this.#republish);
      await store.updateLimits(storeLimits(meta.config));
      this.#attach(stream);
      for (const cname of store.consumerNames()) {
        const blob = store.readConsumerMeta(cname);
        if (blob === null) continue;
        const state = JSON.parse(decoder.decode(blob)) as ConsumerState;
        this.#registerConsumer(new Consumer(stream, state.config, state.created, this, state));
      }
      this.#reportRecovery(name, store);
      const st = store.state();
      this.host.log.notice(`  Restored ${st.msgs} messages for stream '${this.account.name} > ${name}'`);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.unavailable.set(name, text);
      this.host.log.error(`Error recreating stream ${JSON.stringify(name)}: ${text}`);
    }
  }

  /** What opening the store found and repaired, one line per damaged range, before the stream is served. */
  #reportRecovery(name: string, store: StreamStore): void {
    const log = this.host.log;
    for (const t of store.recovery.truncated) {
      const msgs = t.first > 0 ? `, messages ${t.first}..${t.last} lost` : "";
      log.warn(`JetStream: stream '${this.account.name} > ${name}': torn write at the end of segment ${t.segment}: truncated ${t.bytes} bytes at offset ${t.offset}${msgs}`);
    }
    for (const d of store.recovery.damaged) {
      const msgs = d.first > 0 ? `messages ${d.first}..${d.last}` : "messages";
      log.error(`JetStream: stream '${this.account.name} > ${name}': ${msgs} unreadable (segment ${d.segment} at offset ${d.offset}, ${d.bytes} bytes: ${d.reason}), skipped`);
    }
  }

  /** A block found damaged while serving: its messages are skipped from now on; consumers recount. */
  #onDamage(name: string, lost: LostRange): void {
    this.host.log.error(`JetStream: stream '${this.account.name} > ${name}': messages ${lost.first}..${lost.last} unreadable (${lost.reason}), skipped`);
    const s = this.streams.get(name);
    if (s !== undefined) s.removals++;
  }

  /** A stream's store: as configured, or (no config yet: recovery) the file store on disk. */
  #open(name: string, cfg: StreamConfig | undefined): Promise<StreamStore> {
    return this.#stores.open(name, {
      storage: cfg?.storage ?? "file",
      limits: cfg === undefined ? undefined : storeLimits(cfg),
      onDamage: (lost) => this.#onDamage(name, lost),
    });
  }

  // ---- streams --------------------------------------------------------------------------------------------

  /** The stream, or a JSError: not found, or on disk but unreadable. */
  stream(name: string): Stream {
    const s = this.streams.get(name);
    if (s !== undefined) return s;
    throw jsError(this.unavailable.has(name) ? JSErr.StreamOffline : JSErr.StreamNotFound);
  }

  async createStream(cfg: StreamConfig): Promise<{ stream: Stream; created: boolean }> {
    const existing = this.streams.get(cfg.name);
    if (existing !== undefined) {
      if (JSON.stringify(existing.config) !== JSON.stringify(cfg)) throw jsError(JSErr.StreamNameExist);
      return { stream: existing, created: false };
    }
    if (this.unavailable.has(cfg.name)) throw jsError(JSErr.StreamOffline);
    checkNewStream(this.account.limits, this.streams, cfg);
    this.#checkOverlap(cfg);
    const store = await this.#open(cfg.name, cfg);
    // first_seq (2.10): the first message stored gets it.
    if ((cfg.first_seq ?? 0) > 1 && store.lastSeq() === 0) await store.compact(cfg.first_seq!);
    const created = Date.now();
    await store.writeMeta(encoder.encode(JSON.stringify({ config: cfg, created } satisfies StreamMeta)));
    const stream = new Stream(cfg, created, store, this.#republish);
    this.#attach(stream);
    return { stream, created: true };
  }

  async updateStream(req: StreamConfig): Promise<Stream> {
    const s = this.stream(req.name);
    const old = s.config;
    const invalid = (err: string) => jsError(JSErr.StreamInvalidConfig, { err });
    // nats-server 2.9.10's configUpdateCheck order and words.
    if (req.max_consumers !== old.max_consumers) throw invalid("stream configuration update can not change MaxConsumers");
    if (req.storage !== old.storage) throw invalid("stream configuration update can not change storage type");
    if (req.retention !== old.retention) throw invalid("stream configuration update can not change retention policy");
    // These only ever go from false to true, checked (in this order) on the request before sealing rewrites it.
    if (old.sealed && !req.sealed) throw invalid("stream configuration update can not unseal a sealed stream");
    if (old.deny_delete && !req.deny_delete) throw invalid("stream configuration update can not cancel deny message deletes");
    if (old.deny_purge && !req.deny_purge) throw invalid("stream configuration update can not cancel deny purge");
    if (old.allow_msg_ttl === true && req.allow_msg_ttl !== true) throw invalid("message TTL status can not be disabled");
    if (JSON.stringify(req.republish) !== JSON.stringify(old.republish)) throw invalid("stream configuration update can not change RePublish");
    if (JSON.stringify(req.mirror) !== JSON.stringify(old.mirror)) throw jsError(JSErr.StreamMirrorNotUpdatable);
    // A sealed stream keeps what it has: nothing expires, is added, removed or rolled up (nats-server forces these).
    const cfg: StreamConfig = req.sealed ? { ...req, max_age: 0, discard: "new", deny_delete: true, deny_purge: true, allow_rollup_hdrs: false } : req;
    checkStreamUpdate(this.account.limits, this.streams, cfg);
    this.#checkOverlap(cfg);
    await s.exclusive(() => s.update(cfg));
    this.#unsubscribe(s);
    this.#subscribe(s);
    await s.store.writeMeta(encoder.encode(JSON.stringify({ config: cfg, created: s.created } satisfies StreamMeta)));
    return s;
  }

  async deleteStream(name: string): Promise<void> {
    const s = this.stream(name);
    this.streams.delete(name);
    this.#unsubscribe(s);
    for (const c of [...s.consumers.values()]) this.#removeConsumer(c, true);
    await s.exclusive(() => s.store.close());
    if (s.store.kind === "file") this.#stores.remove(name);
  }

  #checkOverlap(cfg: StreamConfig): void {
    for (const other of this.streams.values()) {
      if (other.name === cfg.name) continue;
      for (const a of cfg.subjects) {
        for (const b of other.config.subjects) if (subjectsCollide(a, b)) throw jsError(JSErr.StreamSubjectOverlap);
      }
    }
  }

  #attach(stream: Stream): void {
    this.streams.set(stream.name, stream);
    this.#subscribe(stream);
  }

  #subscribe(stream: Stream): void {
    stream.subs = stream.config.subjects.map((subj) => this.host.internal.subscribe(subj, null, (m) => this.#onPublish(stream, m)));
    if (this.#linking) this.#link(stream);
  }

  #link(stream: Stream): void {
    stream.links = linkStream(stream, this.host.internal, (msg) => this.host.log.warn(msg));
    for (const l of stream.links) l.start();
  }

  #unsubscribe(stream: Stream): void {
    for (const sub of stream.subs) this.host.internal.removeSub(sub);
    stream.subs = [];
    for (const l of stream.links) l.stop();
    stream.links = [];
  }

  #onPublish(stream: Stream, m: InternalMsg): void {
    if (stream.config.sealed) {
      this.#reply(m.reply, { error: JSErr.StreamSealed, stream: stream.name, seq: 0 });
      return;
    }
    const storage = stream.config.storage;
    if (wouldExceed(this.account.limits, storage, () => this.#used(storage), storedMsgSize(m.subject, m.hdr?.length ?? 0, m.data.length))) {
      this.host.log.warn(`JetStream resource limits exceeded for account: ${JSON.stringify(this.account.name)}`);
      this.#reply(m.reply, { error: JSErr.AccountResourcesExceeded, stream: stream.name, seq: 0 });
      return;
    }
    stream.ingest(m.subject, m.hdr, m.data).then(
      (ack) => {
        if (m.reply !== null) this.host.internal.publish(m.reply, null, null, encoder.encode(this.#pubAckJson(stream, ack)));
      },
      (err) => {
        const e = err instanceof JSError ? err : jsError(JSErr.StreamStoreFailed, { err: (err as Error).message });
        if (!(err instanceof JSError)) this.host.log.error(`JetStream: storing into stream ${JSON.stringify(stream.name)} failed: ${e.message}`);
        this.#reply(m.reply, { error: e.data, stream: stream.name, seq: 0 });
      },
    );
  }

  /** nats-server's PubAck JSON (its Go struct's field order), built by hand: there is one per stored message. */
  #pubAckJson(stream: Stream, ack: PubAck): string {
    const domain = this.domain ? `,"domain":${JSON.stringify(this.domain)}` : "";
    return `{"stream":${stream.nameJson},"seq":${ack.seq}${domain}${ack.duplicate ? ',"duplicate":true' : ""}}`;
  }

  readonly #republish = (subject: string, hdr: Uint8Array, data: Uint8Array): void => {
    this.host.internal.publish(subject, null, hdr, data);
  };

  #reply(reply: string | null, body: PubAck | Record<string, unknown>): void {
    if (reply === null) return;
    this.host.internal.publish(reply, null, null, encoder.encode(JSON.stringify(body)));
  }

  #onApi(prefix: string, m: InternalMsg): void {
    if (m.reply === null) return;
    const reply = m.reply;
    this.apiTotal++;
    const op = m.subject.slice(prefix.length);
    handleApi(this, op, reply, m.data).then((resp) => {
      if (resp === null) return;
      if ("error" in resp) this.apiErrors++;
      this.#reply(reply, resp);
    }, (err) => {
      this.host.log.error(`JetStream API ${m.subject} failed: ${(err as Error).message}`);
      this.apiErrors++;
      // A fetch's reply subject is its message inbox: a JSON error there would be taken for a message.
      if (!op.startsWith("CONSUMER.MSG.NEXT.")) this.#reply(reply, failureResponse(op, err));
    });
  }

  // ---- consumers ------------------------------------------------------------------------------------------

  /** Creates or updates a consumer (`action` as in the create request: "create", "update" or ""). */
  async addConsumer(stream: Stream, cfg: ConsumerConfig, action: string): Promise<Consumer> {
    const old = stream.consumers.get(cfg.name);
    if (old !== undefined) {
      if (JSON.stringify(old.config) === JSON.stringify(cfg)) return old;
      if (action === "create") throw jsError(JSErr.ConsumerAlreadyExists);
      for (const f of ["deliver_policy", "opt_start_seq", "ack_policy", "filter_subject", "durable_name"] as const) {
        if (old.config[f] !== cfg[f]) throw jsError(JSErr.ConsumerCreate, { err: `${f.replace(/_/g, " ")} can not be updated` });
      }
      this.#removeConsumer(old, false);
      const c = new Consumer(stream, cfg, old.created, this, { ...old.state(), config: cfg });
      return this.#registerConsumer(c);
    }
    if (action === "update") throw jsError(JSErr.ConsumerDoesNotExist);
    if (stream.config.retention === "workqueue") checkWorkQueueConsumer(cfg, stream.consumers.values());
    checkNewConsumer(this.account.limits, stream);
    return this.#registerConsumer(new Consumer(stream, cfg, Date.now(), this));
  }

  #registerConsumer(c: Consumer): Consumer {
    c.stream.consumers.set(c.name, c);
    const subs = [this.host.internal.subscribe(`${c.ackSubjectPrefix}.>`, null, (m) => c.onAck(m.subject, m.reply, m.data, parsePull))];
    if (c.config.flow_control === true) subs.push(this.host.internal.subscribe(`${c.flowControlPrefix}.>`, null, (m) => c.onFlowControl(m.subject)));
    this.#consumerSubs.set(c, subs);
    this.changed(c);
    c.start();
    return c;
  }

  async deleteConsumer(c: Consumer): Promise<void> {
    this.#removeConsumer(c, true);
    await c.stream.releaseAcknowledged();
    if (c.durable && c.stream.store.consumerNames().includes(c.name)) await c.stream.store.deleteConsumerMeta(c.name);
  }

  #removeConsumer(c: Consumer, deleted: boolean): void {
    c.close(deleted);
    if (c.stream.consumers.get(c.name) === c) c.stream.consumers.delete(c.name);
    for (const sub of this.#consumerSubs.get(c) ?? []) this.host.internal.removeSub(sub);
    this.#consumerSubs.delete(c);
    this.#dirty.delete(c);
  }

  // ---- ConsumerHost ---------------------------------------------------------------------------------------

  deliver(inbox: string, subject: string, ackReply: Uint8Array, hdr: Uint8Array, data: Uint8Array): void {
    this.host.internal.publishTo(inbox, subject, ackReply, hdr, data);
  }

  status(inbox: string, hdr: Uint8Array, reply?: string): void {
    this.host.internal.publish(inbox, reply ?? null, hdr.length > 0 ? hdr : null, new Uint8Array(0));
  }

  /** A reply carrying headers and a payload (DIRECT.GET). */
  sendMsg(inbox: string, hdr: Uint8Array, data: Uint8Array): void {
    this.host.internal.publish(inbox, null, hdr, data);
  }

  hasInterest(subject: string): boolean {
    return this.host.router.sublist.hasInterest(subject);
  }

  watchInterest(subject: string, notify: () => void): () => void {
    return this.host.router.watchInterest(subject, notify);
  }

  inactive(c: Consumer): void {
    this.deleteConsumer(c).catch((err) => this.host.log.error(`JetStream: deleting consumer ${c.name}: ${(err as Error).message}`));
  }

  changed(c: Consumer): void {
    if (!c.durable || c.stream.store.kind !== "file") return;
    this.#dirty.add(c);
    if (this.#writeTimer === null) {
      this.#writeTimer = setTimeout(() => {
        this.#writeTimer = null;
        this.#flushConsumers().catch((err) => this.host.log.error(`JetStream: writing consumer state: ${(err as Error).message}`));
      }, CONSUMER_WRITE_DELAY_MS);
    }
  }

  #flushConsumers(): Promise<void> {
    const batch = [...this.#dirty];
    this.#dirty.clear();
    const run = this.#writing.then(async () => {
      for (const c of batch) {
        if (c.stream.consumers.get(c.name) !== c || this.streams.get(c.stream.name) !== c.stream) continue;
        await c.stream.store.writeConsumerMeta(c.name, encoder.encode(JSON.stringify(c.state())));
      }
    });
    this.#writing = run.catch(() => {}); // the caller reports the failure; later writes still run
    return run;
  }

  /** The bytes the account's streams of `storage` hold. */
  #used(storage: StreamConfig["storage"]): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.config.storage === storage) n += s.store.state().bytes;
    return n;
  }

  /** `$JS.API.INFO` usage numbers. */
  usage(): { memory: number; storage: number; streams: number; consumers: number } {
    let memory = 0;
    let storage = 0;
    let consumers = 0;
    for (const s of this.streams.values()) {
      const b = s.store.state().bytes;
      if (s.store.kind === "memory") memory += b;
      else storage += b;
      consumers += s.consumers.size;
    }
    return { memory, storage, streams: this.streams.size, consumers };
  }
}

/** The server's max_mem and max_file, nats-server's defaults when not configured. */
export function serverLimits(o: JetStreamOptions): { maxMemory: number; maxStore: number } {
  return { maxMemory: o.max_memory_store ?? Math.floor(totalmem() * 0.75), maxStore: o.max_file_store ?? DEFAULT_MAX_FILE };
}

/** The store provider of an account's streams (`<store_dir>/jetstream/<account>/streams`). */
export function jetStreamStores(o: JetStreamOptions, account: string): StoreProvider {
  return new StoreProvider("jetstream", { account, storeDir: o.store_dir, key: o.key, prevKey: o.prev_key, cipher: o.cipher, sync: o.sync_interval });
}
