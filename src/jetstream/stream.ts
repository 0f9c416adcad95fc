/**
 * One stream: its config, its store, the publishes into it (dedupe and expectation headers, serialized so
 * that "expected last sequence" checks and appends cannot interleave) and its consumers.
 */
import { parseMessageTTL, type PurgeOptions, StoreLimitError, type StoredMsg, type StreamLimits, type StreamStore } from "../store/mod.ts";
import { compile, type Transform } from "../subject/mod.ts";
import type { Subscription } from "../routing/subscription.ts";
import { NS_PER_MS, type StreamConfig } from "./config.ts";
import type { Consumer } from "./consumer.ts";
import { JSErr, jsError } from "./errors.ts";
import { HeaderNames, headerValues } from "./headers.ts";
import { type Publish, Republisher } from "./republish.ts";
import { releasable } from "./retention.ts";
import { goDuration, rfc3339 } from "./time.ts";
import type { SourceLink } from "./source_link.ts";

const NO_HEADERS: ReadonlyMap<string, string> = new Map();
/** The headers a publish into a stream acts on. */
const INGEST_HEADERS = new HeaderNames([
  "nats-expected-stream",
  "nats-ttl",
  "nats-expected-last-subject-sequence",
  "nats-expected-last-subject-sequence-subject",
  "nats-expected-last-sequence",
  "nats-msg-id",
  "nats-expected-last-msg-id",
  "nats-rollup",
]);
const ROLLUP_HEADER = new HeaderNames(["nats-rollup"]);
const MSG_ID_HEADER = new HeaderNames(["nats-msg-id"]);

export interface PubAck {
  stream: string;
  seq: number;
  duplicate?: boolean;
  domain?: string;
}

interface MsgIdEntry {
  readonly seq: number;
  readonly ts: number;
}

const ignore = (): void => {};

/** How a message from another stream is stored: at its origin time, and (mirrors) without the header checks. */
export interface IngestOptions {
  ts?: number;
  /**
   * A mirror stores a copy: expectations and dedupe were applied where it was first stored. A rollup is
   * applied again (the origin's purge of what it replaced is not mirrored), and refused without
   * allow_rollup_hdrs, as nats-server 2.9.10 does for a mirrored Object Store bucket's metadata.
   */
  raw?: boolean;
}

/**
 * The config as nats-server's StreamConfig marshals it: `subjects` and `duplicate_window` are omitempty, so a
 * mirror's info has neither, and a sources-only stream's no subjects.
 */
function wireConfig(cfg: StreamConfig): Partial<StreamConfig> {
  if (cfg.subjects.length > 0 && cfg.duplicate_window !== 0) return cfg;
  const out: Partial<StreamConfig> = { ...cfg };
  if (cfg.subjects.length === 0) delete out.subjects;
  if (cfg.duplicate_window === 0) delete out.duplicate_window;
  return out;
}

export function storeLimits(cfg: StreamConfig): StreamLimits {
  return {
    max_msgs: cfg.max_msgs,
    max_bytes: cfg.max_bytes,
    max_age_ms: cfg.max_age / NS_PER_MS,
    max_msgs_per_subject: cfg.max_msgs_per_subject,
    discard: cfg.discard,
    discard_new_per_subject: cfg.discard_new_per_subject === true,
    allow_msg_ttl: cfg.allow_msg_ttl === true,
    subject_delete_markers: (cfg.subject_delete_marker_ttl ?? 0) > 0,
  };
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * The marker nats-server 2.11 stores when max_age or a TTL removes a subject's last message (filestore.go
 * handleRemovalOrSdm): it says why, lives subject_delete_marker_ttl, and rolls the subject up.
 */
function deleteMarker(ttlNs: number): Uint8Array {
  return encoder.encode(`NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: ${goDuration(Math.trunc(ttlNs / 1e9) * 1e9)}\r\nNats-Rollup: sub\r\n\r\n`);
}

export class Stream {
  readonly consumers = new Map<string, Consumer>();
  /** Internal subscriptions on the stream's subjects (owned by the engine). */
  subs: Subscription[] = [];
  /** The links to the streams this one mirrors or sources from (owned by the engine). */
  links: SourceLink[] = [];
  /**
   * Bumped whenever messages leave the stream other than through consumers moving on (purge, delete, limits),
   * so consumers know their cached pending counts are stale.
   */
  removals = 0;
  readonly #msgIds = new Map<string, MsgIdEntry>();
  #lastMsgId = "";
  /**
   * Whether #msgIds and #lastMsgId cover the messages stored before this Stream was made. Rebuilding them
   * loads every message of the duplicate window, so it waits for the first publish that needs them (as
   * nats-server's rebuildDedupe does): after a kill -9 in the middle of a burst it was most of a restart.
   */
  #msgIdsLoaded = false;
  #nameJson: string | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Exclusive operations queued or running; while any is, publishes queue behind them. */
  #exclusive = 0;
  /**
   * Publishes appended whose durable write (and follow-up) has not finished. They are not on the chain, since
   * chaining every publish cost a few promises each; an exclusive operation waits for this to reach zero.
   */
  #inflight = 0;
  #whenSettled: (() => void)[] = [];
  #republisher: Republisher | null = null;
  /** subject_transform: applied to each subject before anything else. */
  #transform: Transform | null = null;

  /** `publish` sends the republished copies (see republish.ts). */
  constructor(
    public config: StreamConfig,
    readonly created: number,
    readonly store: StreamStore,
    private readonly publish: Publish = ignore,
  ) {
    this.#msgIdsLoaded = store.msgCount() === 0;
    this.#configure();
    store.onSubjectExpired((subject) => this.#markDeleted(subject));
  }

  #configure(): void {
    const rp = this.config.republish;
    this.#republisher = rp === undefined ? null : new Republisher(rp, this.config.name, this.publish);
    const tr = this.config.subject_transform;
    this.#transform = tr === undefined || tr.dest === "" ? null : compile(tr.src, tr.dest);
  }

  /** The store expired a subject's last message: leave the marker, as a publish of the stream's own. */
  #markDeleted(subject: string): void {
    const ttl = this.config.subject_delete_marker_ttl ?? 0;
    if (ttl <= 0) return;
    this.removals++;
    this.ingest(subject, deleteMarker(ttl), EMPTY).catch(() => {}); // the stream closed meanwhile
  }

  get name(): string {
    return this.config.name;
  }

  /** The name as a JSON string, for the PubAck of every stored message. */
  get nameJson(): string {
    return (this.#nameJson ??= JSON.stringify(this.config.name));
  }

  /**
   * Stores a published message; resolves to the PubAck, or rejects with a JSError.
   *
   * The checks and the store append run at once, in publish order: the store assigns the sequence and
   * updates its state synchronously and only its write is asynchronous, so every publish of one read cycle
   * shares one write (group commit). Only an exclusive operation (purge, delete, a rollup) makes later
   * publishes wait.
   */
  ingest(subject: string, hdr: Uint8Array | null, data: Uint8Array, opts: IngestOptions = {}): Promise<PubAck> {
    if (this.#exclusive > 0) {
      const queued = this.#chain.then(() => this.#ingest(subject, hdr, data, opts));
      this.#chain = queued.then(ignore, ignore);
      return queued;
    }
    let p: Promise<PubAck>;
    try {
      p = this.#ingest(subject, hdr, data, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    // A rollup (the one publish that starts an exclusive phase) must finish its purge before anything after
    // it runs. Settle to undefined: chaining the PubAck itself would link every ack into a list never freed.
    if (this.#exclusive > 0) this.#chain = Promise.all([this.#chain, p]).then(ignore, ignore);
    return p;
  }

  /**
   * Runs `fn` after every publish already accepted, so it sees (and changes) a settled stream: publishes
   * queue behind it on the chain, and those already appending are waited for through the in-flight count.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#exclusive++;
    const p = this.#chain.then(() => this.#settled()).then(fn).finally(() => this.#exclusive--);
    this.#chain = p.catch(() => {});
    return p;
  }

  #settled(): Promise<void> | undefined {
    if (this.#inflight === 0) return undefined;
    return new Promise((resolve) => this.#whenSettled.push(resolve));
  }

  #landed(): void {
    if (--this.#inflight > 0 || this.#whenSettled.length === 0) return;
    const waiters = this.#whenSettled;
    this.#whenSettled = [];
    for (const w of waiters) w();
  }

  /** Synchronous up to the store append; the returned promise settles when the append is durable. */
  #ingest(subject: string, hdr: Uint8Array | null, data: Uint8Array, opts: IngestOptions = {}): Promise<PubAck> {
    const cfg = this.config;
    if (this.#transform !== null && opts.raw !== true) subject = this.#transform.apply(subject) ?? subject;
    const h = opts.raw === true ? NO_HEADERS : headerValues(hdr, INGEST_HEADERS);
    const expStream = h.get("nats-expected-stream");
    if (expStream !== undefined && expStream !== cfg.name) throw jsError(JSErr.StreamNotMatch);
    // nats-server 2.11: a TTL on a stream without allow_msg_ttl is refused here (sourced messages excepted);
    // a TTL that does not parse only after the other header checks.
    const ttlHeader = h.get("nats-ttl");
    let badTTL = false;
    let ttl = 0;
    if (ttlHeader !== undefined) {
      try {
        ttl = parseMessageTTL(ttlHeader);
      } catch {
        badTTL = true;
      }
      if (ttl !== 0 && cfg.allow_msg_ttl !== true && opts.ts === undefined) throw jsError(JSErr.MessageTTLDisabled);
    }
    const expSubjSeq = h.get("nats-expected-last-subject-sequence");
    if (expSubjSeq !== undefined) {
      const subj = h.get("nats-expected-last-subject-sequence-subject") || subject;
      const last = this.store.loadLast(subj)?.seq ?? 0;
      if (Number(expSubjSeq) !== last) throw jsError(JSErr.StreamWrongLastSequence, { seq: last });
    }
    const expSeq = h.get("nats-expected-last-sequence");
    const store = this.store;
    const lastBefore = store.lastSeq();
    const msgsBefore = store.msgCount();
    if (expSeq !== undefined && Number(expSeq) !== lastBefore) throw jsError(JSErr.StreamWrongLastSequence, { seq: lastBefore });
    const msgId = h.get("nats-msg-id") ?? "";
    const expMsgId = h.get("nats-expected-last-msg-id");
    if (!this.#msgIdsLoaded && (msgId !== "" || expMsgId !== undefined)) this.#rebuildMsgIds();
    if (msgId !== "") {
      const prior = this.#msgIds.get(msgId);
      if (prior !== undefined && Date.now() - prior.ts < cfg.duplicate_window / NS_PER_MS) {
        return Promise.resolve({ stream: cfg.name, seq: prior.seq, duplicate: true });
      }
    }
    if (expMsgId !== undefined && expMsgId !== this.#lastMsgId) throw jsError(JSErr.StreamWrongLastMsgID, { id: this.#lastMsgId });
    const rollup = opts.raw === true ? headerValues(hdr, ROLLUP_HEADER).get("nats-rollup") : h.get("nats-rollup");
    if (rollup !== undefined) {
      if (!cfg.allow_rollup_hdrs) throw jsError(JSErr.StreamRollupFailed);
      if (rollup !== "sub" && rollup !== "all") throw jsError(JSErr.StreamRollupFailed);
    }
    const size = (hdr?.length ?? 0) + data.length;
    if (cfg.max_msg_size > 0 && size > cfg.max_msg_size) throw jsError(JSErr.StreamMessageExceedsMaximum);
    if (badTTL) throw jsError(JSErr.MessageTTLInvalid);
    // With delete markers a TTL is at least the marker's (nats-server 2.11), so a marker already standing for
    // the subject cannot outlive the message; one message per subject needs no such care.
    const markerSecs = Math.trunc((cfg.subject_delete_marker_ttl ?? 0) / 1e9);
    const ttlOverride = ttl > 0 && ttl < markerSecs && cfg.max_msgs_per_subject !== 1 ? markerSecs : undefined;

    const republish = this.#republisher?.target(subject, () => store.loadLast(subject)?.seq ?? 0) ?? null;
    const appended = store.append(subject, hdr, data, opts.ts, ttlOverride);
    this.#inflight++;
    const lastAfter = store.lastSeq();
    if (lastAfter !== lastBefore) {
      // The sequence is known now; recording the id at once lets a duplicate in the same batch be caught.
      if (store.msgCount() !== msgsBefore + 1) this.removals++;
      if (msgId !== "") {
        this.#msgIds.delete(msgId);
        this.#msgIds.set(msgId, { seq: lastAfter, ts: Date.now() });
        this.#pruneMsgIds();
      }
      this.#lastMsgId = msgId;
    }
    if (rollup !== undefined) this.#exclusive++;
    return appended.then(
      (ack) => {
        if (republish !== null) this.#republisher!.send(republish, subject, ack.seq, hdr, data);
        return this.#stored(ack.seq, subject, rollup);
      },
      (err) => {
        this.#landed();
        if (rollup !== undefined) this.#exclusive--;
        if (err instanceof StoreLimitError) throw jsError(JSErr.StreamStoreFailed, { err: err.message });
        throw err;
      },
    );
  }

  /** After the append is durable: a rollup's purge, the consumers, and interest retention's drop. */
  async #stored(seq: number, subject: string, rollup: string | undefined): Promise<PubAck> {
    try {
      if (rollup !== undefined) {
        // Rollup keeps only the new message: for its subject ("sub") or for the whole stream ("all").
        try {
          await this.store.purge(rollup === "sub" ? { filter: subject, keep: 1 } : { keep: 1 });
          this.removals++;
        } finally {
          this.#exclusive--;
        }
      }
      for (const c of this.consumers.values()) c.onAppended(seq, subject);
      if (this.config.retention === "interest" && ![...this.consumers.values()].some((c) => c.matches(subject))) {
        // Nobody is interested: nats-server acknowledges the publish but does not keep the message.
        const first = this.store.state().first_seq;
        if (await this.store.remove(seq)) for (const c of this.consumers.values()) c.keepPendingCount(first);
      }
      return { stream: this.config.name, seq };
    } finally {
      this.#landed();
    }
  }

  /**
   * Stores a mirrored message under its origin sequence `seq`, skipping the sequences the origin no longer
   * has; resolves to null when `seq` is already stored. In order, it goes straight to the store as a publish
   * does (so a catch-up shares group commits); a gap is closed in an exclusive step.
   */
  storeAt(seq: number, subject: string, hdr: Uint8Array | null, data: Uint8Array, ts: number): Promise<PubAck | null> {
    const opts = { ts, raw: true };
    if (this.#exclusive === 0) {
      const last = this.store.lastSeq();
      if (seq <= last) return Promise.resolve(null);
      if (seq === last + 1) return this.ingest(subject, hdr, data, opts);
    }
    return this.exclusive(async () => {
      const last = this.store.lastSeq();
      if (seq <= last) return null;
      if (seq > last + 1) await this.#skip(seq, subject);
      return this.#ingest(subject, hdr, data, opts);
    });
  }

  /** Moves the last sequence to `seq - 1` (nats-server's SkipMsg for each sequence in between). */
  async #skip(seq: number, subject: string): Promise<void> {
    const store = this.store;
    if (store.msgCount() === 0) {
      await store.compact(seq);
    } else {
      while (store.lastSeq() < seq - 1) {
        const { seq: placeholder } = await store.append(subject, null, new Uint8Array(0));
        await store.remove(placeholder);
      }
    }
    this.removals++;
  }

  /** Forgets message IDs older than the duplicate window; the map is in insertion (= time) order. */
  #pruneMsgIds(): void {
    const cutoff = Date.now() - this.config.duplicate_window / NS_PER_MS;
    for (const [id, e] of this.#msgIds) {
      if (e.ts >= cutoff) break;
      this.#msgIds.delete(id);
    }
  }

  /** After a restart, dedupe still covers the messages stored within the duplicate window. */
  #rebuildMsgIds(): void {
    this.#msgIdsLoaded = true;
    const st = this.store.state();
    const cutoff = Date.now() - this.config.duplicate_window / NS_PER_MS;
    const found: [string, MsgIdEntry][] = [];
    for (let seq = st.last_seq; seq >= st.first_seq && seq > 0; seq--) {
      const m = this.#tryLoad(seq);
      if (m === null) continue;
      if (m.ts < cutoff) break;
      const id = headerValues(m.hdr, MSG_ID_HEADER).get("nats-msg-id");
      if (seq === st.last_seq) this.#lastMsgId = id ?? "";
      if (id !== undefined && id !== "") found.push([id, { seq, ts: m.ts }]);
    }
    for (let i = found.length - 1; i >= 0; i--) this.#msgIds.set(found[i]![0], found[i]![1]);
  }

  #tryLoad(seq: number): StoredMsg | null {
    try {
      return this.store.load(seq);
    } catch {
      return null; // a damaged block: the store reports it in state().lost
    }
  }

  /** Consumers acknowledged `seqs`: workqueue and interest streams drop the messages nobody needs any more. */
  acknowledged(seqs: readonly number[]): Promise<void> {
    if (this.config.retention === "limits" || seqs.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      const first = this.store.state().first_seq;
      let removed = false;
      for (const seq of seqs) {
        const m = this.#tryLoad(seq);
        if (m === null || !releasable(this.config.retention, seq, m.subject, this.consumers.values())) continue;
        if (await this.store.remove(seq)) removed = true;
      }
      // No consumer counted these as pending, so cached counts stay valid (no `removals` bump).
      if (removed) for (const c of this.consumers.values()) c.keepPendingCount(first);
    }).catch(() => {}); // the stream was deleted or closed meanwhile
  }

  /** Interest retention after a consumer left: drops every message the remaining consumers have all acked. */
  releaseAcknowledged(): Promise<void> {
    if (this.config.retention !== "interest") return Promise.resolve();
    return this.exclusive(async () => {
      const store = this.store;
      for (let m = store.loadNext("", store.state().first_seq); m !== null; m = store.loadNext("", m.seq + 1)) {
        if (releasable("interest", m.seq, m.subject, this.consumers.values()) && (await store.remove(m.seq))) this.removals++;
      }
    });
  }

  purge(opts: PurgeOptions): Promise<number> {
    return this.exclusive(async () => {
      const n = await this.store.purge(opts);
      this.removals++;
      return n;
    });
  }

  removeMsg(seq: number, erase: boolean): Promise<boolean> {
    return this.exclusive(async () => {
      const ok = await this.store.remove(seq, { erase });
      if (ok) this.removals++;
      return ok;
    });
  }

  async update(cfg: StreamConfig): Promise<void> {
    await this.store.updateLimits(storeLimits(cfg));
    this.config = cfg;
    this.#configure();
    this.removals++;
  }

  info(): Record<string, unknown> {
    const st = this.store.state();
    const lostMsgs = st.lost.flatMap((r) => r.msgs);
    const lostBytes = st.lost.reduce((n, r) => n + r.bytes, 0);
    return {
      config: wireConfig(this.config),
      created: rfc3339(this.created),
      state: {
        messages: st.msgs,
        bytes: st.bytes,
        first_seq: st.first_seq,
        first_ts: rfc3339(st.msgs > 0 ? st.first_ts : 0),
        last_seq: st.last_seq,
        last_ts: rfc3339(st.last_ts),
        num_subjects: st.num_subjects,
        ...(st.num_deleted > 0 ? { num_deleted: st.num_deleted } : {}),
        ...(st.lost.length > 0 ? { lost: { msgs: lostMsgs, bytes: lostBytes } } : {}),
        consumer_count: this.#publicConsumers(),
      },
      ...this.#linkInfo(),
      ts: new Date().toISOString(),
    };
  }

  /** Consumers other than other streams' links (direct ones), which nats-server leaves out of the count. */
  #publicConsumers(): number {
    let n = 0;
    for (const c of this.consumers.values()) if (c.config.direct !== true) n++;
    return n;
  }

  #linkInfo(): Record<string, unknown> {
    if (this.config.mirror !== undefined) {
      const l = this.links.find((x) => x.kind === "mirror");
      return l === undefined ? {} : { mirror: l.info() };
    }
    if (this.config.sources === undefined) return {};
    return { sources: this.links.filter((x) => x.kind === "source").map((x) => x.info()) };
  }

  /** STREAM.MSG.GET: `{seq}`, `{last_by_subj}` or `{seq, next_by_subj}`. */
  getMsg(req: { seq?: number; last_by_subj?: string; next_by_subj?: string }): StoredMsg {
    const seq = typeof req.seq === "number" && req.seq > 0;
    const last = typeof req.last_by_subj === "string" && req.last_by_subj !== "";
    const next = typeof req.next_by_subj === "string" && req.next_by_subj !== "";
    // nats-server's combinations: a sequence and a last-by-subject, or both subjects, ask two things at once.
    if ((seq && last) || (last && next)) throw jsError(JSErr.BadRequest);
    let m: StoredMsg | null;
    if (typeof req.last_by_subj === "string" && req.last_by_subj !== "") m = this.store.loadLast(req.last_by_subj);
    else if (typeof req.next_by_subj === "string" && req.next_by_subj !== "") m = this.store.loadNext(req.next_by_subj, req.seq ?? 0);
    else if (typeof req.seq === "number" && req.seq > 0) m = this.store.load(req.seq);
    else throw jsError(JSErr.BadRequest);
    if (m === null) throw jsError(JSErr.NoMessageFound);
    return m;
  }
}
