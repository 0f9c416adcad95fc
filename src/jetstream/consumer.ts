/**
 * A pull consumer: tracks what it delivered and what is acknowledged, redelivers after ack_wait, and answers
 * pull requests. Acks arrive on `$JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<cseq>.<ts_ns>.<pending>`, the reply
 * subject nats.js parses (jetstream/src/jsmsg.ts) for delivery count, sequences and pending.
 */
import type { StoredMsg } from "../store/mod.ts";
import { AckReplyWriter } from "./ack_reply.ts";
import { matchLiteral } from "../subject/mod.ts";
import { type ConsumerConfig, filtersOf, NS_PER_MS } from "./config.ts";
import { statusHeader, withHeaders } from "./headers.ts";
import { exceededLimit, type PullArgs, type PullRequest, Status } from "./pull.ts";
import { FlowControl, PushStatus, TURN_BYTES, TurnScheduler } from "./push.ts";
import type { Stream } from "./stream.ts";
import { rfc3339 } from "./time.ts";

export interface ConsumerHost {
  /** Sends a stored message to `inbox` with MSG subject `subject` and reply `ackReply`. */
  /** `ackReply` holds the reply subject's bytes only for the duration of the call. */
  deliver(inbox: string, subject: string, ackReply: Uint8Array, hdr: Uint8Array, data: Uint8Array): void;
  /** Sends a headers-only status message to `inbox` (with a reply subject for flow control requests). */
  status(inbox: string, hdr: Uint8Array, reply?: string): void;
  hasInterest(subject: string): boolean;
  /** Calls `notify` once a subscription matching the literal `subject` appears; returns a cancel function. */
  watchInterest(subject: string, notify: () => void): () => void;
  /** An ephemeral consumer's inactive_threshold passed: delete it. */
  inactive(c: Consumer): void;
  /** Consumer state changed; a durable's is written to the store (coalesced). */
  changed(c: Consumer): void;
}

interface Pending {
  /** Consumer sequence of the first delivery (kept across redeliveries, as nats-server does). */
  cseq: number;
  /** When it was last delivered (ms): redelivery is due at ts + ack_wait (or its backoff). */
  ts: number;
  /** Delivery count. */
  dc: number;
}

interface SeqPair {
  consumer_seq: number;
  stream_seq: number;
}

/** What a durable persists in the store's consumer meta. */
export interface ConsumerState {
  config: ConsumerConfig;
  created: number;
  dseq: number;
  sseq: number;
  lastDeliveredStream: number;
  ackFloor: SeqPair;
  pending: [number, number, number, number][];
}

export class Consumer {
  readonly name: string;
  #dseq = 0;
  /** The next stream sequence to look at for a first delivery. */
  #sseq = 1;
  #lastDeliveredStream = 0;
  /** The ack floor as last computed; null after an ack or term changed it (recomputed when read). */
  #ackFloorCache: SeqPair | null = { consumer_seq: 0, stream_seq: 0 };
  readonly #pending = new Map<number, Pending>();
  /** Stream sequences due for redelivery, oldest first. */
  #redeliver: number[] = [];
  /** Whether the message #nextMsg returned last is a redelivery. */
  #isRedelivery = false;
  /** last_per_subject: the per-subject last messages to send before new ones. */
  #initial: number[] = [];
  #waiting: PullRequest[] = [];
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed #ackTimer fires (ms). */
  #ackDue = 0;
  #ackPrefix: string | undefined;
  #ackReply: AckReplyWriter | undefined;
  /** #pending was filled in increasing stream sequence (the usual case), so its first entry is the floor. */
  #pendingInOrder = true;
  #lastPendingInsert = 0;
  #inactiveTimer: ReturnType<typeof setTimeout> | null = null;
  #lastActive = 0;
  /**
   * The cached num_pending: matching messages at or after #sseq among sequences up to `upTo` (plus #initial).
   * The store assigns a sequence synchronously but onAppended runs after the write, so a message can be
   * counted by a recount, or delivered, before its notification arrives: `upTo` says which sequences the
   * count has already seen, so each one is counted once and uncounted only if it was counted.
   */
  #pendingCount: { value: number; removals: number; first: number; upTo: number } | null = null;
  #closed = false;
  /** Subject filters; empty = the whole stream. */
  readonly #filters: string[];
  // Push consumers only.
  readonly #fc: FlowControl | null;
  readonly #turns: TurnScheduler | null;
  #heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  #startTimer: ReturnType<typeof setTimeout> | null = null;
  /** Cancels the wait for a subscriber on the deliver subject, while one is registered. */
  #unwatch: (() => void) | null = null;
  #lastSent = 0;
  // replay_policy original only.
  /** Stored time of the message delivered last (ms); 0 before the first. */
  #replayLastTs = 0;
  /** The message waiting out its original gap, and when it may go. */
  #replayHold: { seq: number; until: number } | null = null;
  #replayTimer: ReturnType<typeof setTimeout> | null = null;
  /** The stream's last sequence when the consumer started: once past it, delivery is instant (caught up). */
  #replayUpTo = 0;

  constructor(
    readonly stream: Stream,
    readonly config: ConsumerConfig,
    readonly created: number,
    private readonly host: ConsumerHost,
    state?: ConsumerState,
  ) {
    this.name = config.name;
    this.#filters = filtersOf(config);
    this.#fc = config.flow_control === true ? new FlowControl(this.flowControlPrefix) : null;
    const ds = config.deliver_subject;
    this.#turns = ds === undefined ? null : new TurnScheduler(() => this.#pushTurn(ds));
    if (config.replay_policy === "original") this.#replayUpTo = stream.store.lastSeq();
    if (state !== undefined) this.#restore(state);
    else this.#start();
    this.#touch();
  }

  get durable(): boolean {
    return this.config.durable_name !== undefined;
  }

  /** Built once: every delivery's reply subject and every ack's parse start from it. */
  get ackSubjectPrefix(): string {
    return (this.#ackPrefix ??= `$JS.ACK.${this.stream.name}.${this.name}`);
  }

  /** Flow control replies arrive on `<prefix>.<n>` (nats-server uses `$JS.FC.<stream>.<consumer>.<id>`). */
  get flowControlPrefix(): string {
    return `$JS.FC.${this.stream.name}.${this.name}`;
  }

  /** The deliver subject of a push consumer; undefined for a pull consumer. */
  get deliverSubject(): string | undefined {
    return this.config.deliver_subject;
  }

  /** The first message at or after `start` matching the filters. */
  #loadNext(start: number): StoredMsg | null {
    const store = this.stream.store;
    if (this.#filters.length <= 1) return store.loadNext(this.#filters[0] ?? "", start);
    let best: StoredMsg | null = null;
    for (const f of this.#filters) {
      const m = store.loadNext(f, start);
      if (m !== null && (best === null || m.seq < best.seq)) best = m;
    }
    return best;
  }

  #start(): void {
    const c = this.config;
    const st = this.stream.store.state();
    switch (c.deliver_policy) {
      case "all":
        this.#sseq = st.first_seq;
        break;
      case "last": {
        const fs = this.#filters.length > 0 ? this.#filters : [""];
        const last = Math.max(0, ...fs.map((f) => this.stream.store.loadLast(f)?.seq ?? 0));
        this.#sseq = last > 0 ? last : st.last_seq + 1;
        break;
      }
      case "new":
        this.#sseq = st.last_seq + 1;
        break;
      case "by_start_sequence":
        this.#sseq = c.opt_start_seq ?? 1;
        break;
      case "by_start_time": {
        const t = Date.parse(c.opt_start_time ?? "");
        let m = this.stream.store.loadNext("", st.first_seq);
        while (m !== null && m.ts < t) m = this.stream.store.loadNext("", m.seq + 1);
        this.#sseq = m?.seq ?? st.last_seq + 1;
        break;
      }
      case "last_per_subject": {
        const store = this.stream.store;
        const subjects = new Set<string>();
        for (const f of this.#filters.length > 0 ? this.#filters : [""]) for (const subj of store.subjectCounts(f).keys()) subjects.add(subj);
        this.#initial = [...subjects]
          .map((s) => store.loadLast(s)?.seq ?? 0)
          .filter((s) => s > 0)
          .sort((a, b) => a - b);
        this.#sseq = st.last_seq + 1;
        break;
      }
      default:
        break;
    }
    // nats-server's selectStartingSeqNo keeps the start within the stream: a start before what the stream
    // still has begins at its first message (a mirror's consumer then reports the gap, which the mirror
    // skips), one past its end at the next message stored.
    if (st.last_seq === 0) this.#sseq = Math.max(1, this.#sseq);
    else if (this.#sseq < st.first_seq) this.#sseq = st.first_seq;
    else if (this.#sseq > st.last_seq + 1) this.#sseq = st.last_seq + 1;
    this.#lastDeliveredStream = Math.max(0, this.#sseq - 1);
    this.#ackFloorCache = { consumer_seq: 0, stream_seq: this.#lastDeliveredStream };
  }

  #restore(s: ConsumerState): void {
    this.#dseq = s.dseq;
    this.#sseq = s.sseq;
    this.#lastDeliveredStream = s.lastDeliveredStream;
    this.#ackFloorCache = s.ackFloor;
    for (const [sseq, cseq, ts, dc] of s.pending) this.#pending.set(sseq, { cseq, ts, dc });
    this.#pendingInOrder = false;
    this.#armAckTimer();
  }

  state(): ConsumerState {
    return {
      config: this.config,
      created: this.created,
      dseq: this.#dseq,
      sseq: this.#sseq,
      lastDeliveredStream: this.#lastDeliveredStream,
      ackFloor: this.#ackFloor(),
      pending: [...this.#pending].map(([sseq, p]) => [sseq, p.cseq, p.ts, p.dc]),
    };
  }

  // ---- pull requests --------------------------------------------------------------------------------------

  pull(reply: string, args: PullArgs): void {
    this.#touch();
    if (this.deliverSubject !== undefined) {
      this.host.status(reply, statusHeader(409, "Consumer is push based"));
      return;
    }
    const refused = exceededLimit(this.config, args);
    if (refused !== null) {
      this.host.status(reply, refused);
      return;
    }
    const req: PullRequest = { reply, batch: args.batch, maxBytes: args.maxBytes, noWait: args.noWait, delivered: 0 };
    if (args.expiresMs < 0) {
      // Expired on arrival: nats-server queues it and answers the timeout before delivering to it.
      this.host.status(reply, Status.timeout(req));
      return;
    }
    if (args.noWait) {
      // nats-server 2.9.10's processNextMsgRequest: nothing to deliver and no expiry ends it at once; fewer
      // messages than the requests already waiting want refuses it. Otherwise it is queued like any request,
      // and the end of what there is answers it (see #endOfStream) — one held back by max_ack_pending waits.
      const msgsPending = this.numPending() + this.#redeliver.length;
      if (msgsPending === 0 && args.expiresMs === 0) {
        this.host.status(reply, Status.noMessages());
        return;
      }
      if (msgsPending > 0 && msgsPending < this.#waiting.reduce((n, r) => n + r.batch, 0)) {
        this.host.status(reply, Status.requestsPending());
        return;
      }
    }
    if (this.#waiting.length >= (this.config.max_waiting ?? 0)) {
      this.host.status(reply, Status.maxWaiting());
      return;
    }
    this.#waiting.push(req);
    if (args.expiresMs > 0) {
      req.expiryTimer = setTimeout(() => {
        this.#finish(req);
        this.host.status(reply, Status.timeout(req));
      }, args.expiresMs);
    }
    if (args.heartbeatMs > 0) {
      req.heartbeatTimer = setInterval(() => this.host.status(reply, Status.heartbeat(this.#dseq, this.#lastDeliveredStream)), args.heartbeatMs);
    }
    this.#dispatch();
  }

  #finish(req: PullRequest): void {
    clearTimeout(req.expiryTimer);
    clearInterval(req.heartbeatTimer);
    const i = this.#waiting.indexOf(req);
    if (i >= 0) this.#waiting.splice(i, 1);
    this.#touch();
  }

  /** A new message was stored in the stream. */
  onAppended(seq: number, subject: string): void {
    const pc = this.#pendingCount;
    if (pc !== null && seq > pc.upTo) {
      if (seq === pc.upTo + 1) {
        if (seq >= this.#sseq && this.matches(subject)) pc.value++;
        pc.upTo = seq;
      } else {
        this.#pendingCount = null; // notifications arrived out of order: recount when next read
      }
    }
    this.#wake();
  }

  /** Retention: whether this consumer no longer needs message `seq`, because it acked it or never will see it. */
  hasAcked(seq: number, subject: string): boolean {
    if (!this.matches(subject)) return true;
    return seq < this.#sseq && !this.#pending.has(seq) && !this.#initial.includes(seq);
  }

  matches(subject: string): boolean {
    return this.#filters.length === 0 || this.#filters.some((f) => matchLiteral(subject, f));
  }

  /** Dispatches when someone may take a message now: a push consumer, or a pull one with requests waiting. */
  #wake(): void {
    if (this.#waiting.length > 0 || this.deliverSubject !== undefined) this.#dispatch();
  }

  /**
   * Sends available messages: to waiting requests, oldest first (pull), or to the deliver subject (push) in
   * bounded turns, of which this makes sure one is scheduled.
   */
  #dispatch(): void {
    if (this.#turns !== null) {
      this.#turns.ensure();
      return;
    }
    // Interest cannot change while this loop runs: each request's reply subject is looked up once per
    // dispatch, not once per message.
    let checked: PullRequest | null = null;
    while (this.#waiting.length > 0 && !this.#closed) {
      const req = this.#waiting[0]!;
      if (req !== checked) {
        if (!req.noWait && !this.host.hasInterest(req.reply)) {
          this.#finish(req);
          continue;
        }
        checked = req;
      }
      const msg = this.#nextMsg();
      if (msg === null) return this.#endOfStream();
      const redelivery = this.#isRedelivery;
      if (this.#replayWait(msg, redelivery)) return;
      if (req.maxBytes > 0) {
        const size = this.#pullSize(msg, redelivery);
        if (size > req.maxBytes) {
          // nats-server 2.9.10 ends the request so whether or not it delivered some already.
          if (redelivery) this.#redeliver.unshift(msg.seq);
          this.#finish(req);
          this.host.status(req.reply, Status.sizeExceeded(req));
          continue;
        }
        req.maxBytes -= size;
      }
      if (!redelivery) this.#advance(msg);
      this.#send(req.reply, msg);
      req.delivered++;
      req.batch--;
      if (req.batch <= 0) this.#finish(req);
    }
  }

  /**
   * What a delivery of `msg` counts against a request's max_bytes, as nats-server sizes it: the subject, the
   * ack reply it will carry, the headers (with Nats-Msg-Size for headers_only) and the payload. Called before
   * the delivery moves the cursor, which takes a first delivery off the pending count in its reply.
   */
  #pullSize(msg: StoredMsg, redelivery: boolean): number {
    const dc = (this.#pending.get(msg.seq)?.dc ?? 0) + 1;
    const pending = this.numPending() - (redelivery ? 0 : 1);
    const ack = (this.#ackReply ??= new AckReplyWriter(this.ackSubjectPrefix)).write(dc, msg.seq, this.#dseq + 1, msg.ts, pending);
    if (this.config.headers_only !== true) return msg.subject.length + ack.length + msg.hdr.length + msg.payload.length;
    const hdr = withHeaders(msg.hdr, [["Nats-Msg-Size", msg.payload.length]]);
    return msg.subject.length + ack.length + hdr.length;
  }

  /** Nothing more to deliver: a no_wait request that got messages is done (nats-server's 408 at end of stream). */
  #endOfStream(): void {
    for (const req of this.#waiting) {
      if (!req.noWait || req.delivered === 0) continue;
      this.#finish(req);
      this.host.status(req.reply, Status.timeout(req));
      return this.#endOfStream();
    }
  }

  /**
   * The next message to deliver, null when nothing is available; #isRedelivery says whether it is a
   * redelivery (a field, not a pair: this runs for every delivery).
   */
  #nextMsg(): StoredMsg | null {
    const store = this.stream.store;
    while (this.#redeliver.length > 0) {
      const seq = this.#redeliver.shift()!;
      if (!this.#pending.has(seq)) continue;
      const m = store.load(seq);
      if (m !== null) {
        this.#isRedelivery = true;
        return m;
      }
      this.#pending.delete(seq); // removed from the stream meanwhile
    }
    if (this.config.max_ack_pending > 0 && this.#pending.size >= this.config.max_ack_pending) return null;
    while (this.#initial.length > 0) {
      // Taken off the list only once delivered (#advance): a pull that cannot take it leaves it first.
      const m = store.load(this.#initial[0]!);
      if (m !== null) {
        this.#isRedelivery = false;
        return m;
      }
      this.#initial.shift();
    }
    this.#isRedelivery = false;
    return this.#loadNext(this.#sseq);
  }

  /**
   * replay_policy original: whether `next` must wait for the gap between its stored time and that of the
   * message delivered before it (nats-server waits out gaps over 1ms, from when it reached the message), until
   * the consumer has caught up with what was stored when it started. A redelivery waiting here goes back to
   * the front of its queue; a timer dispatches again once the gap passed.
   */
  #replayWait(msg: StoredMsg, redelivery: boolean): boolean {
    if (this.config.replay_policy !== "original") return false;
    if (msg.seq > this.#replayUpTo) {
      this.#replayUpTo = 0;
      return false;
    }
    const gap = msg.ts - this.#replayLastTs;
    if (this.#replayLastTs === 0 || gap <= 1) return false;
    const now = Date.now();
    let hold = this.#replayHold;
    if (hold === null || hold.seq !== msg.seq) hold = this.#replayHold = { seq: msg.seq, until: now + gap };
    if (now >= hold.until) {
      this.#replayHold = null;
      return false;
    }
    if (redelivery) this.#redeliver.unshift(msg.seq);
    if (this.#replayTimer === null) {
      this.#replayTimer = setTimeout(() => {
        this.#replayTimer = null;
        this.#dispatch();
      }, hold.until - now);
    }
    return true;
  }

  /** Moves the first-delivery cursor past `msg`. */
  #advance(msg: StoredMsg): void {
    const pc = this.#pendingCount;
    if (this.#initial.length > 0 && this.#initial[0] === msg.seq) {
      this.#initial.shift(); // one of the last_per_subject messages, counted through #initial's length
      if (pc !== null) pc.value--;
    } else if (msg.seq >= this.#sseq) {
      this.#sseq = msg.seq + 1;
      // Not yet seen by the count (its notification is still to come): nothing to take back, and the
      // notification will find it behind #sseq.
      if (pc !== null && msg.seq <= pc.upTo) pc.value--;
    }
  }

  /** Sends a stored message (as headers only when so configured); returns the bytes sent. */
  #send(inbox: string, msg: StoredMsg): number {
    const now = Date.now();
    const p = this.#pending.get(msg.seq);
    const dc = (p?.dc ?? 0) + 1;
    const cseq = ++this.#dseq;
    this.#lastDeliveredStream = Math.max(this.#lastDeliveredStream, msg.seq);
    this.#replayLastTs = msg.ts;
    if (this.config.ack_policy === "none") {
      // Recomputed when read (nothing is pending, so it is what was delivered last): no object per delivery.
      this.#ackFloorCache = null;
      // A limits stream keeps what is acknowledged: no call (and no array and promise) per delivery.
      if (this.stream.config.retention !== "limits") this.stream.acknowledged([msg.seq]);
    } else if (p !== undefined) {
      p.ts = now;
      p.dc = dc;
    } else {
      if (msg.seq < this.#lastPendingInsert) this.#pendingInOrder = false;
      this.#lastPendingInsert = msg.seq;
      this.#pending.set(msg.seq, { cseq, ts: now, dc });
    }
    const ack = (this.#ackReply ??= new AckReplyWriter(this.ackSubjectPrefix)).write(dc, msg.seq, cseq, msg.ts, this.numPending());
    const headersOnly = this.config.headers_only === true;
    const hdr = headersOnly ? withHeaders(msg.hdr, [["Nats-Msg-Size", msg.payload.length]]) : msg.hdr;
    const data = headersOnly ? EMPTY : msg.payload;
    // What nats-server's flow control counts (jsPubMsg.size): deliver subject, reply, headers and payload.
    const size = inbox.length + ack.length + hdr.length + data.length;
    this.host.deliver(inbox, msg.subject, ack, hdr, data);
    this.#lastSent = now;
    // Without backoff a new delivery's deadline is never earlier than the one an armed timer waits for; a
    // shorter backoff can make it so, and only then is the timer re-armed (a rescan of everything pending).
    // Nothing is pending under ack none: no ack timer to arm.
    if (this.config.ack_policy !== "none" && (this.#ackTimer === null || now + this.#ackWaitMs(dc) < this.#ackDue)) this.#armAckTimer();
    if (this.durable) this.host.changed(this);
    return size;
  }

  // ---- push -----------------------------------------------------------------------------------------------

  /** Starts a push consumer: heartbeats and the first deliveries. Called once the consumer is registered. */
  start(): void {
    const ds = this.deliverSubject;
    if (ds === undefined || this.#closed) return;
    const hb = (this.config.idle_heartbeat ?? 0) / NS_PER_MS;
    if (hb > 0) this.#armHeartbeat(ds, hb, hb);
    // nats-server answers the create request before its delivery loop runs, so the answer's `delivered` is
    // where the consumer starts, and a mirror skips its own sequences up to it: deliveries wait for the next
    // turn of the event loop, after the answer has gone out.
    this.#startTimer = setTimeout(() => {
      this.#startTimer = null;
      this.#dispatch();
    }, 0);
  }

  /**
   * An idle heartbeat `hb` ms after the last delivery or heartbeat, as nats-server resets its heartbeat timer
   * on each. The timer is not reset per delivery here (a clearTimeout and a setTimeout each): when it fires
   * early it waits out the rest. It names the flow control request outstanding, if any.
   */
  #armHeartbeat(ds: string, hb: number, ms: number): void {
    this.#heartbeatTimer = setTimeout(() => {
      if (this.#closed) return;
      const idle = Date.now() - this.#lastSent;
      if (idle < hb) return this.#armHeartbeat(ds, hb, hb - idle);
      if (this.host.hasInterest(ds)) {
        this.host.status(ds, PushStatus.heartbeat(this.#dseq, this.#lastDeliveredStream, this.#fc?.outstanding ?? null));
      }
      this.#lastSent = Date.now();
      this.#armHeartbeat(ds, hb, hb);
    }, ms);
  }

  /** A publish on this consumer's flow control subject: the client caught up. */
  onFlowControl(subject: string): void {
    if (this.#fc?.answered(subject)) this.#dispatch();
  }

  /**
   * One push delivery turn: up to TURN_BYTES, then the next turn is scheduled. Every other way out waits for
   * a wake-up that #dispatch turns into a new turn: interest appearing, a flow control reply, an ack or a
   * stored message (max_ack_pending, end of stream), or the replay timer.
   */
  #pushTurn(ds: string): void {
    if (this.#closed) return;
    if (!this.host.hasInterest(ds)) {
      if (this.#hasWork()) this.#waitForInterest(ds);
      return;
    }
    let budget = TURN_BYTES;
    while (!this.#closed && this.#fc?.stalled !== true) {
      if (budget <= 0) return this.#dispatch();
      const msg = this.#nextMsg();
      if (msg === null) return;
      const redelivery = this.#isRedelivery;
      if (this.#replayWait(msg, redelivery)) return;
      if (!redelivery) this.#advance(msg);
      const size = this.#send(ds, msg);
      budget -= size;
      const fcReply = this.#fc?.delivered(size) ?? null;
      if (fcReply !== null) this.host.status(ds, PushStatus.flowControl(), fcReply);
    }
  }

  #hasWork(): boolean {
    return this.#redeliver.length > 0 || this.#initial.length > 0 || this.#loadNext(this.#sseq) !== null;
  }

  /** Nobody subscribes to the deliver subject yet (nats.js subscribes after creating the consumer): deliver once someone does. */
  #waitForInterest(ds: string): void {
    if (this.#unwatch !== null) return;
    this.#unwatch = this.host.watchInterest(ds, () => {
      this.#unwatch = null;
      this.#dispatch();
    });
  }

  // ---- acks -----------------------------------------------------------------------------------------------

  /** Handles a message on this consumer's ack subject; `+NXT` also serves a pull to the ack's reply subject. */
  onAck(subject: string, reply: string | null, data: Uint8Array, parsePull: (d: Uint8Array) => PullArgs | string): void {
    this.#touch();
    const sseq = ackStreamSeq(subject, this.ackSubjectPrefix.length + 1);
    if (sseq < 0) return;
    // The plain ack ("+ACK", or an empty body) is nearly every ack: recognised without decoding it.
    const plainAck = data.length === 0 || (data.length === 4 && data[0] === 0x2b && data[1] === 0x41 && data[2] === 0x43 && data[3] === 0x4b);
    const text = plainAck ? "" : decoder.decode(data);
    const kind = text.slice(0, 4);
    let settled: Promise<void> | undefined;
    if (plainAck || kind === "+ACK" || text.startsWith("+OK")) settled = this.#ack(sseq);
    else if (kind === "-NAK") this.#nak(sseq, text.slice(4).trim());
    else if (kind === "+WPI") {
      const p = this.#pending.get(sseq);
      if (p !== undefined) p.ts = Date.now();
      this.#armAckTimer();
    } else if (kind === "+TRM" || text.startsWith("+TERM")) settled = this.#drop(sseq);
    else if (kind === "+NXT") {
      this.#ack(sseq);
      if (reply !== null) {
        const args = parsePull(data.subarray(Math.min(data.length, 5)));
        if (typeof args !== "string") this.pull(reply, args);
      }
      return;
    }
    // AckSync: the client sent the ack as a request and waits for an empty reply, sent once retention
    // has removed what the ack released.
    if (reply === null) return;
    if (settled === undefined) this.host.status(reply, EMPTY);
    else settled.then(() => this.host.status(reply, EMPTY));
  }

  #ack(sseq: number): Promise<void> {
    const acked: number[] = [];
    if (this.config.ack_policy === "all") {
      for (const seq of [...this.#pending.keys()]) {
        if (seq <= sseq) {
          this.#pending.delete(seq);
          acked.push(seq);
        }
      }
    } else if (this.#pending.delete(sseq)) {
      acked.push(sseq);
    }
    const settled = this.stream.acknowledged(acked);
    this.#ackFloorCache = null;
    this.host.changed(this);
    this.#wake();
    return settled;
  }

  #drop(sseq: number): Promise<void> {
    // A terminated message counts as acknowledged for retention, as in nats-server.
    const settled = this.#pending.delete(sseq) ? this.stream.acknowledged([sseq]) : Promise.resolve();
    this.#ackFloorCache = null;
    this.host.changed(this);
    // Like an ack, it frees a max_ack_pending slot: a consumer held at the limit delivers again.
    this.#wake();
    return settled;
  }

  #nak(sseq: number, arg: string): void {
    const p = this.#pending.get(sseq);
    if (p === undefined) return;
    const delayMs = nakDelayMs(arg);
    if (delayMs > 0) {
      // Due again after the delay: pretend it was delivered so that it times out then.
      p.ts = Date.now() + delayMs - this.config.ack_wait / NS_PER_MS;
      this.#armAckTimer();
      return;
    }
    this.#queueRedelivery(sseq);
    this.#dispatch();
  }

  #queueRedelivery(sseq: number): void {
    const p = this.#pending.get(sseq)!;
    if (this.config.max_deliver > 0 && p.dc >= this.config.max_deliver) {
      // Out of deliveries: it stays unacknowledged but is never sent again (nats-server's behaviour).
      return;
    }
    if (this.#redeliver.includes(sseq)) return;
    const i = this.#redeliver.findIndex((s) => s > sseq);
    this.#redeliver.splice(i < 0 ? this.#redeliver.length : i, 0, sseq);
  }

  /**
   * Below the oldest unacknowledged delivery, or everything delivered when nothing is pending. Computed when
   * read (info, saved state) rather than on every ack, where it cost an iterator and two objects each.
   */
  #ackFloor(): SeqPair {
    if (this.#ackFloorCache !== null) return this.#ackFloorCache;
    let min: [number, Pending] | null = null;
    if (this.#pendingInOrder) {
      // Deliveries went out in stream order, so the Map's first entry is the lowest sequence: O(1) per ack.
      min = this.#pending.entries().next().value ?? null;
    } else {
      for (const e of this.#pending) if (min === null || e[0] < min[0]) min = e;
      if (min === null) this.#pendingInOrder = true;
    }
    return (this.#ackFloorCache = min === null
      ? { consumer_seq: this.#dseq, stream_seq: this.#lastDeliveredStream }
      : { consumer_seq: min[1].cseq - 1, stream_seq: min[0] - 1 });
  }

  /** One timer for the earliest ack deadline; expired deliveries are queued for redelivery. */
  #armAckTimer(): void {
    if (this.#ackTimer !== null) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    if (this.#pending.size === 0 || this.#closed) return;
    const now = Date.now();
    let earliest = Infinity;
    for (const [seq, p] of this.#pending) {
      if (this.#redeliver.includes(seq)) continue;
      if (this.config.max_deliver > 0 && p.dc >= this.config.max_deliver) continue;
      earliest = Math.min(earliest, p.ts + this.#ackWaitMs(p.dc));
    }
    if (earliest === Infinity) return;
    this.#ackDue = earliest;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      const t = Date.now();
      for (const [seq, p] of this.#pending) if (p.ts + this.#ackWaitMs(p.dc) <= t) this.#queueRedelivery(seq);
      this.#dispatch();
      this.#armAckTimer();
    }, Math.max(0, earliest - now));
  }

  /**
   * How long the `dc`th delivery waits for its ack: backoff[dc-1] (its last entry once past the end), else
   * ack_wait. A delayed NAK still offsets from ack_wait (see #nak), so after a later delivery its delay is
   * off by backoff[dc-1] - ack_wait: nats-server 2.9.10 computes it the same way.
   */
  #ackWaitMs(dc: number): number {
    const backoff = this.config.backoff;
    return (backoff === undefined ? this.config.ack_wait : backoff[Math.min(dc, backoff.length) - 1]!) / NS_PER_MS;
  }

  // ---- lifecycle and info ---------------------------------------------------------------------------------

  /**
   * Marks activity. The inactivity timer is not reset here (that was a clearTimeout and a setTimeout per
   * ack): when it fires it looks at the last activity and waits out the rest of the threshold if need be.
   */
  #touch(): void {
    this.#lastActive = Date.now();
    const ns = this.config.inactive_threshold;
    if (ns === undefined || ns <= 0 || this.#inactiveTimer !== null) return;
    this.#armInactive(ns / NS_PER_MS);
  }

  #armInactive(ms: number): void {
    this.#inactiveTimer = setTimeout(() => {
      this.#inactiveTimer = null;
      const threshold = (this.config.inactive_threshold ?? 0) / NS_PER_MS;
      if (threshold <= 0 || this.#closed) return;
      const idle = Date.now() - this.#lastActive;
      if (idle < threshold) return this.#armInactive(threshold - idle);
      const ds = this.deliverSubject;
      if (this.#waiting.length > 0 || (ds !== undefined && this.host.hasInterest(ds))) this.#touch();
      else this.host.inactive(this);
    }, ms);
  }

  /**
   * Retention removed messages this consumer no longer needed (acknowledged, or not its subject), so its
   * cached pending count still holds even though the stream's first sequence moved from `oldFirst`.
   */
  keepPendingCount(oldFirst: number): void {
    const pc = this.#pendingCount;
    if (pc !== null && pc.removals === this.stream.removals && pc.first === oldFirst) pc.first = this.stream.store.state().first_seq;
  }

  /** Messages matching the filter not yet delivered (cached; recounted after removals). */
  numPending(): number {
    const pc = this.#pendingCount;
    if (pc !== null && pc.removals === this.stream.removals && pc.first === this.stream.store.firstSeq()) {
      // Stored but not yet notified (their writes are in flight): counted now, and their notifications skipped.
      const last = this.stream.store.lastSeq();
      if (last > pc.upTo) {
        for (let m = this.#loadNext(Math.max(pc.upTo + 1, this.#sseq)); m !== null && m.seq <= last; m = this.#loadNext(m.seq + 1)) pc.value++;
        pc.upTo = last;
      }
      return pc.value;
    }
    const st = this.stream.store.state();
    let n = this.#initial.length;
    if (this.#sseq > st.last_seq) {
      // Nothing stored past the start: deliver policy new, or a consumer that has caught up.
    } else if (this.#sseq <= st.first_seq && this.#filters.length <= 1) {
      // Everything matching the filter is pending: the store's counts answer without reading a message.
      const f = this.#filters[0] ?? "";
      if (f === "" || f === ">") n += st.msgs;
      else for (const c of this.stream.store.subjectCounts(f).values()) n += c;
    } else {
      for (let m = this.#loadNext(this.#sseq); m !== null; m = this.#loadNext(m.seq + 1)) n++;
    }
    this.#pendingCount = { value: n, removals: this.stream.removals, first: st.first_seq, upTo: st.last_seq };
    return n;
  }

  info(): Record<string, unknown> {
    return {
      stream_name: this.stream.name,
      name: this.name,
      created: rfc3339(this.created),
      config: this.config,
      delivered: { consumer_seq: this.#dseq, stream_seq: this.#lastDeliveredStream, ...(this.#dseq > 0 ? { last_active: rfc3339(this.#lastActive) } : {}) },
      ack_floor: this.#ackFloor(),
      num_ack_pending: this.#pending.size,
      num_redelivered: [...this.#pending.values()].filter((p) => p.dc > 1).length,
      num_waiting: this.#waiting.length,
      num_pending: this.numPending(),
      ts: new Date().toISOString(),
    };
  }

  /** Stops timers; waiting pulls are told the consumer is gone when `deleted`. */
  close(deleted: boolean): void {
    this.#closed = true;
    for (const req of [...this.#waiting]) {
      this.#finish(req);
      if (deleted) this.host.status(req.reply, Status.deleted(req));
    }
    if (this.#ackTimer !== null) clearTimeout(this.#ackTimer);
    if (this.#inactiveTimer !== null) clearTimeout(this.#inactiveTimer);
    if (this.#heartbeatTimer !== null) clearTimeout(this.#heartbeatTimer);
    if (this.#startTimer !== null) clearTimeout(this.#startTimer);
    if (this.#replayTimer !== null) clearTimeout(this.#replayTimer);
    this.#turns?.cancel();
    this.#unwatch?.();
    this.#unwatch = null;
  }
}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

/**
 * The stream sequence of an ack subject `<prefix>.<dc>.<sseq>.<cseq>.<ts>.<pending>` whose tokens start at
 * `from`, or -1 when it is not one. Read in place: splitting the subject of every ack showed in profiles.
 */
function ackStreamSeq(subject: string, from: number): number {
  let dots = 0;
  let seq = 0;
  let digits = 0;
  for (let i = from; i < subject.length; i++) {
    const c = subject.charCodeAt(i);
    if (c === 46) dots++;
    else if (dots === 1) {
      if (c < 48 || c > 57) return -1;
      seq = seq * 10 + (c - 48);
      digits++;
    }
  }
  return dots >= 4 && digits > 0 ? seq : -1;
}

/** `-NAK {"delay":ns}` or `-NAK <go duration>`; 0 when absent or unparseable (a plain NAK). */
function nakDelayMs(arg: string): number {
  if (arg === "") return 0;
  if (arg.startsWith("{")) {
    try {
      const d = JSON.parse(arg).delay;
      return typeof d === "number" && d > 0 ? d / NS_PER_MS : 0;
    } catch {
      return 0;
    }
  }
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(arg);
  if (m === null) return 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  return Number(m[1]) * unit[m[2]!]!;
}
