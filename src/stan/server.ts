/**
 * The NATS Streaming server protocol over core NATS (nats-streaming-server's server/server.go): discover
 * and connect, publish, subscribe, unsubscribe and sub-close, ack inboxes, client pings, server heartbeats
 * and close, all as internal subscriptions answering protobufs. Channels are opened through the
 * `StoreProvider` on first publish or subscription, and every one on disk is reopened at start.
 */
import type { StreamingOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import { nuid } from "../protocol/nuid.ts";
import type { InternalEndpoint, InternalMsg } from "../routing/internal.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { StoreProvider } from "../store/provider.ts";
import type { StreamStore } from "../store/store.ts";
import type { Channel, ChannelHost } from "./channel.ts";
import { ChannelRegistry } from "./channels.ts";
import { ERR, isValidChannel, isValidClientID } from "./errors.ts";
import {
  CloseRequest,
  CloseResponse,
  ConnectRequest,
  ConnectResponse,
  Ping,
  PingResponse,
  SubscriptionRequest,
  SubscriptionResponse,
  UnsubscribeRequest,
} from "./proto.ts";
import { CLIENTS_STORE, ClientStore } from "./clients.ts";
import { channelLimits, DEFAULT_LIMITS } from "./limits.ts";
import { Requester } from "./requester.ts";
import { decodeAck, decodePubMsg, type PubMsgFields, WireWriter } from "./wire.ts";
import type { Sub } from "./sub.ts";
import { type SubView, subView } from "./channel.ts";

export interface StanHost {
  readonly internal: InternalEndpoint;
  readonly log: Logger;
}

/** nats-streaming-server's defaults (server/server.go). */
const DEFAULT_HB_INTERVAL_MS = 30_000;
const DEFAULT_HB_TIMEOUT_MS = 10_000;
const DEFAULT_HB_FAIL_COUNT = 10;
/** How long the registered client of a duplicate client ID has to answer before it is replaced. */
const DUP_CID_TIMEOUT_MS = 500;

const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder();

interface StanClient {
  readonly id: string;
  readonly hbInbox: string;
  readonly connID: string;
  readonly subs: Set<{ channel: Channel; sub: Sub }>;
  hbFails: number;
  /** A heartbeat is waiting for its answer: the next waits for it, as each client has one heartbeat timer. */
  hbOut?: boolean;
}

/** A client as /streaming/clientsz shows it. */
export interface ClientView {
  readonly id: string;
  readonly hbInbox: string;
  subscriptions(): Map<string, SubView[]>;
}

const nanos = (ms: number): number => ms * 1_000_000;

export class StanServer implements ChannelHost {
  readonly clusterID: string;
  /** The streaming server's own id (nats-streaming-server's server_id), new each run. */
  readonly serverID: string;
  readonly startedAt = Date.now();
  readonly #stats = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
  readonly #clients = new Map<string, StanClient>();
  readonly #byConnID = new Map<string, StanClient>();
  /** Client IDs whose duplicate check is running: a third connect for them is refused. */
  readonly #checking = new Set<string>();
  readonly #channels: ChannelRegistry;
  readonly #subs: Subscription[] = [];
  readonly #requester: Requester;
  readonly #ackPrefix: string;
  readonly #ackSubject: string;
  /** PubAcks, one per publish, encoded into one reused buffer (`#reply` copies them out at once). */
  readonly #wire = new WireWriter();
  #nextSub = 1;
  #clientStore: ClientStore | null = null;
  #hbTimer: ReturnType<typeof setInterval> | null = null;
  readonly #subjects: {
    discover: string;
    pub: string;
    sub: string;
    unsub: string;
    subClose: string;
    close: string;
    ping: string;
  };

  constructor(
    private readonly host: StanHost,
    private readonly options: StreamingOptions,
    private readonly stores: StoreProvider,
  ) {
    this.clusterID = options.cluster_id;
    const id = this.clusterID;
    const discover = `${options.discover_prefix ?? "_STAN.discover"}.${id}`;
    this.#subjects = {
      discover,
      pub: `_STAN.pub.${id}`,
      sub: `_STAN.sub.${id}`,
      unsub: `_STAN.unsub.${id}`,
      subClose: `_STAN.subclose.${id}`,
      close: `_STAN.close.${id}`,
      ping: `${discover}.pings`,
    };
    const run = nuid();
    this.serverID = run;
    // Stable across restarts (durables keep their ack inboxes); each run's subscriptions are apart under it.
    this.#ackSubject = `_STAN.ack.${id}.>`;
    this.#ackPrefix = `_STAN.ack.${id}.${run}`;
    this.#requester = new Requester(host.internal, run);
    this.#channels = new ChannelRegistry(options, stores, this, (what, p) => this.#guard(what, () => p));
  }

  get log(): Logger {
    return this.host.log;
  }

  async start(): Promise<void> {
    const clients = new ClientStore(await this.#openClientStore());
    this.#clientStore = clients;
    for (const rec of clients.recover((name, err) => this.log.error(`STREAM: Unable to recover client record ${name}: ${err.message}`))) {
      this.#register({ ...rec, subs: new Set(), hbFails: 0 });
    }
    await this.#channels.recover();
    const s = this.#subjects;
    const on = (subject: string, f: (m: InternalMsg) => void | Promise<void>) =>
      this.#subs.push(this.host.internal.subscribe(subject, null, (m) => this.#guard(subject, () => f(m))));
    on(s.discover, (m) => this.#connect(m));
    on(`${s.pub}.>`, (m) => this.#publish(m));
    on(s.sub, (m) => this.#subscribe(m));
    on(s.unsub, (m) => this.#unsubscribe(m, false));
    on(s.subClose, (m) => this.#unsubscribe(m, true));
    on(s.close, (m) => this.#close(m));
    on(s.ping, (m) => this.#ping(m));
    on(this.#ackSubject, (m) => this.#ack(m));
    await this.#reattach();
    const every = this.options.hb_interval ?? DEFAULT_HB_INTERVAL_MS;
    this.#hbTimer = setInterval(() => this.#heartbeat(), every);
    this.log.notice(`STREAM: Starting nats-streaming protocol for cluster ID "${this.clusterID}"`);
    this.log.notice(`STREAM: Store type: ${this.options.store === "file" ? "FILE" : "MEMORY"}`);
    if (this.options.store === "file") this.log.notice(`STREAM: Store directory: ${this.stores.dir}`);
    if (this.stores.cipher !== null) this.log.notice(`STREAM: Encryption: ${this.stores.cipher.toUpperCase()}, every record sealed`);
    this.log.notice(`STREAM: Recovered ${this.#channels.size} channel(s) and ${this.#clients.size} client(s)`);
  }

  /**
   * A clients' store that cannot be opened (a wrong key) must not keep STAN down or be overwritten: this run
   * keeps its clients in memory, and a restart with the right key finds them all.
   */
  async #openClientStore(): Promise<StreamStore> {
    try {
      return await this.stores.open(CLIENTS_STORE, { storage: this.options.store });
    } catch (err) {
      this.log.error(`STREAM: Unable to recover clients, keeping them in memory until restart: ${(err as Error).message}`);
      return await this.stores.open(CLIENTS_STORE, { storage: "memory" });
    }
  }

  /** Recovered clients take their subscriptions back, as nats-streaming-server restores a client's. */
  async #reattach(): Promise<void> {
    for (const channel of this.#channels.values()) {
      const subs = await channel.recover((id) => this.#clients.get(id));
      for (const sub of subs) {
        this.#clients.get(sub.clientID)!.subs.add({ channel, sub });
        channel.start(sub);
      }
      this.#channels.watchInactivity(channel);
    }
  }

  /** Runs a handler, logging what it throws; a synchronous one (a publish to an open channel) costs no promise. */
  #guard(subject: string, f: () => void | Promise<void>): void {
    const failed = (err: unknown) => this.log.error(`STREAM: handling ${JSON.stringify(subject)}: ${err instanceof Error ? err.message : String(err)}`);
    try {
      const p = f();
      if (p !== undefined) p.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  #reply(m: InternalMsg, data: Uint8Array): void {
    if (m.reply !== null) this.host.internal.publish(m.reply, null, null, data);
  }

  // ---------------------------------------------------------------- ChannelHost

  send(subject: string, data: Uint8Array): void {
    this.host.internal.publish(subject, null, null, data);
  }

  nextSubId(): number {
    return this.#nextSub++;
  }

  sawSubId(id: number): void {
    if (id >= this.#nextSub) this.#nextSub = id + 1;
  }

  ackInbox(sub: number): string {
    return `${this.#ackPrefix}.${sub}`;
  }

  delivered(bytes: number): void {
    this.#stats.outMsgs++;
    this.#stats.outBytes += bytes;
  }

  replaced(sub: Sub): void {
    const client = this.#clients.get(sub.clientID);
    if (client === undefined) return;
    for (const e of client.subs) if (e.sub === sub) client.subs.delete(e);
  }

  // ---------------------------------------------------------------- connect and close

  async #connect(m: InternalMsg): Promise<void> {
    const refuse = (error: string) => this.#reply(m, ConnectResponse.encode({ error }));
    let req;
    try {
      req = ConnectRequest.decode(m.data);
    } catch {
      return refuse(ERR.invalidConnReq);
    }
    if (req.heartbeatInbox === "") return refuse(ERR.invalidConnReq);
    if (!isValidClientID(req.clientID)) return refuse(ERR.invalidClientID);
    if (this.#checking.has(req.clientID)) return refuse(ERR.dupClientID);
    const old = this.#clients.get(req.clientID);
    if (old !== undefined) {
      this.#checking.add(req.clientID);
      let alive: boolean;
      try {
        alive = await this.#requester.ask(old.hbInbox, DUP_CID_TIMEOUT_MS);
      } finally {
        this.#checking.delete(req.clientID);
      }
      if (alive) return refuse(ERR.dupClientID);
      this.log.notice(`STREAM: [Client:${req.clientID}] Replacing old client that did not answer its heartbeat`);
      await this.#removeClient(old);
    }
    const client: StanClient = {
      id: req.clientID,
      hbInbox: req.heartbeatInbox,
      connID: textDecoder.decode(req.connID),
      subs: new Set(),
      hbFails: 0,
    };
    // Another connect for this ID while the record is written is refused, as during the duplicate check.
    this.#checking.add(client.id);
    try {
      await this.#clientStore!.add({ id: client.id, hbInbox: client.hbInbox, connID: client.connID });
    } finally {
      this.#checking.delete(client.id);
    }
    this.#register(client);
    const s = this.#subjects;
    this.#reply(
      m,
      ConnectResponse.encode({
        pubPrefix: s.pub,
        subRequests: s.sub,
        unsubRequests: s.unsub,
        closeRequests: s.close,
        subCloseRequests: s.subClose,
        protocol: 1,
        ...(req.protocol >= 1 && { pingRequests: s.ping, pingInterval: req.pingInterval, pingMaxOut: req.pingMaxOut }),
      }),
    );
  }

  #register(client: StanClient): void {
    this.#clients.set(client.id, client);
    if (client.connID !== "") this.#byConnID.set(client.connID, client);
  }

  async #close(m: InternalMsg): Promise<void> {
    let req;
    try {
      req = CloseRequest.decode(m.data);
    } catch {
      return this.#reply(m, CloseResponse.encode({ error: ERR.invalidCloseReq }));
    }
    const client = this.#clients.get(req.clientID);
    if (client === undefined) return this.#reply(m, CloseResponse.encode({ error: ERR.unknownClient }));
    await this.#removeClient(client);
    this.#reply(m, CloseResponse.encode({}));
  }

  /** Non-durable subscriptions go, durables go offline (nats-streaming-server's closeClient). */
  async #removeClient(client: StanClient): Promise<void> {
    this.#clients.delete(client.id);
    if (this.#byConnID.get(client.connID) === client) this.#byConnID.delete(client.connID);
    for (const { channel, sub } of client.subs) {
      await channel.close(sub);
      this.#channels.watchInactivity(channel);
    }
    client.subs.clear();
    await this.#clientStore?.remove(client.id);
  }

  #ping(m: InternalMsg): void {
    if (m.data.length === 0) return;
    let connID: string;
    try {
      connID = textDecoder.decode(Ping.decode(m.data).connID);
    } catch {
      return;
    }
    const client = this.#byConnID.get(connID);
    if (client === undefined) return this.#reply(m, PingResponse.encode({ error: ERR.clientReplaced }));
    if (client.hbFails > 0) void this.#heartbeatOne(client);
    this.#reply(m, EMPTY);
  }

  #heartbeat(): void {
    for (const c of this.#clients.values()) void this.#heartbeatOne(c);
  }

  async #heartbeatOne(c: StanClient): Promise<void> {
    if (c.hbOut) return;
    c.hbOut = true;
    const answered = await this.#requester.ask(c.hbInbox, this.options.hb_timeout ?? DEFAULT_HB_TIMEOUT_MS);
    c.hbOut = false;
    if (this.#clients.get(c.id) !== c) return;
    if (answered) {
      c.hbFails = 0;
      return;
    }
    c.hbFails++;
    this.log.debugf(`STREAM: [Client:${c.id}] Missed heartbeat (${c.hbFails} in a row)`);
    if (c.hbFails > (this.options.hb_fail_count ?? DEFAULT_HB_FAIL_COUNT)) {
      this.log.notice(`STREAM: [Client:${c.id}] Timed out on heartbeats`);
      await this.#removeClient(c);
    }
  }

  // ---------------------------------------------------------------- publish

  /**
   * Synchronous up to the store append when the channel is open (JetStream's ingest does the same): every
   * PubMsg of one read is appended in one go and shares one group commit, and its PubAck goes out once that
   * write is durable.
   */
  #publish(m: InternalMsg): void | Promise<void> {
    let pm: PubMsgFields;
    try {
      pm = decodePubMsg(m.data);
    } catch {
      return this.#reply(m, this.#wire.pubAck(EMPTY, ERR.invalidPubReq));
    }
    // An open channel's name was checked when it was created.
    const open = this.#channels.get(pm.subject);
    if (pm.guid.length === 0 || (open === undefined && !isValidChannel(pm.subject))) return this.#reply(m, this.#wire.pubAck(pm.guid, ERR.invalidPubReq));
    const client = pm.connID !== "" ? this.#byConnID.get(pm.connID) : this.#clients.get(pm.clientID);
    if (client === undefined || client.id !== pm.clientID) return this.#reply(m, this.#wire.pubAck(pm.guid, ERR.invalidPubReq));
    if (open !== undefined) return this.#store(m, pm, open);
    const found = this.#channels.lookupOrCreate(pm.subject);
    if (typeof found === "string") return this.#reply(m, this.#wire.pubAck(pm.guid, found));
    return found.then((channel) => this.#store(m, pm, channel));
  }

  #store(m: InternalMsg, pm: PubMsgFields, channel: Channel): void {
    this.#stats.inMsgs++;
    this.#stats.inBytes += pm.data.length;
    channel.publish(pm.data, pm.reply).then(
      () => {
        this.#channels.watchInactivity(channel);
        this.#reply(m, this.#wire.pubAck(pm.guid, ""));
      },
      (err: Error) => {
        this.log.error(`STREAM: [Client:${pm.clientID}] Error storing message on ${JSON.stringify(pm.subject)}: ${err.message}`);
        this.#reply(m, this.#wire.pubAck(pm.guid, err.message));
      },
    );
  }

  // ---------------------------------------------------------------- subscriptions

  async #subscribe(m: InternalMsg): Promise<void> {
    const refuse = (error: string) => this.#reply(m, SubscriptionResponse.encode({ error }));
    let req;
    try {
      req = SubscriptionRequest.decode(m.data);
    } catch {
      return refuse(ERR.invalidSubReq);
    }
    if (req.clientID === "") return refuse(ERR.missingClientID);
    if (req.ackWaitInSecs < 1) return refuse(ERR.invalidAckWait);
    if (req.maxInFlight < 1) return refuse(ERR.invalidMaxInflight);
    if (req.startPosition < 0 || req.startPosition > 4) return refuse(ERR.invalidStart);
    if (!isValidChannel(req.subject)) return refuse(ERR.invalidSubject);
    const client = this.#clients.get(req.clientID);
    if (client === undefined) return refuse(ERR.unknownClient);
    const found = this.#channels.lookupOrCreate(req.subject);
    if (typeof found === "string") return refuse(found);
    const channel = await found;
    const maxSubs = channelLimits(this.options.store_limits, req.subject).max_subs;
    if (maxSubs > 0 && channel.subCount() >= maxSubs) return refuse("too many subscriptions per channel");
    const sub = await channel.subscribe({
      owner: client,
      clientID: req.clientID,
      inbox: req.inbox,
      qGroup: req.qGroup,
      durable: req.durableName,
      maxInFlight: req.maxInFlight,
      ackWaitMs: req.ackWaitInSecs * 1000,
      startPosition: req.startPosition,
      startSequence: req.startSequence,
      startTimeDeltaNs: req.startTimeDelta,
      replaceDurable: this.options.replace_durable === true,
    });
    if (typeof sub === "string") return refuse(sub);
    if (this.#clients.get(client.id) !== client) {
      // The client closed while the subscription was being stored.
      await channel.close(sub);
      return refuse(ERR.unknownClient);
    }
    client.subs.add({ channel, sub });
    this.#channels.watchInactivity(channel);
    // The response goes out before the first message: the client acks to the inbox it names.
    this.#reply(m, SubscriptionResponse.encode({ ackInbox: sub.ackInbox }));
    channel.start(sub);
  }

  async #unsubscribe(m: InternalMsg, keepDurable: boolean): Promise<void> {
    const refuse = (error: string) => this.#reply(m, SubscriptionResponse.encode({ error }));
    let req;
    try {
      req = UnsubscribeRequest.decode(m.data);
    } catch {
      return refuse(ERR.invalidUnsubReq);
    }
    const client = this.#clients.get(req.clientID);
    if (client === undefined) return refuse(ERR.unknownClient);
    const channel = this.#channels.get(req.subject);
    if (channel === undefined) return refuse(ERR.unknownChannel);
    let entry: { channel: Channel; sub: Sub } | undefined;
    // Clients name the ack inbox; the Go client names the delivery inbox after a subscribe timeout.
    for (const e of client.subs) if (e.channel === channel && e.sub.ackInbox === req.inbox) entry = e;
    if (entry === undefined) for (const e of client.subs) if (e.channel === channel && e.sub.inbox === req.inbox) entry = e;
    if (entry === undefined) return refuse(ERR.invalidSub);
    client.subs.delete(entry);
    if (keepDurable) await channel.close(entry.sub);
    else await channel.unsubscribe(entry.sub);
    this.#channels.watchInactivity(channel);
    this.#reply(m, SubscriptionResponse.encode({}));
  }

  #ack(m: InternalMsg): void {
    let ack;
    try {
      ack = decodeAck(m.data);
    } catch {
      this.log.error(`STREAM: Unable to decode ack on ${m.subject}`);
      return;
    }
    const channel = this.#channels.get(ack.subject);
    const sub = channel?.byAckInbox.get(m.subject);
    if (channel === undefined || sub === undefined) return;
    channel.ack(sub, ack.sequence);
  }

  // ---------------------------------------------------------------- monitoring (the monitor's StreamingView)

  get storeType(): string {
    return this.options.store === "file" ? "FILE" : "MEMORY";
  }

  stats(): { inMsgs: number; inBytes: number; outMsgs: number; outBytes: number } {
    return { ...this.#stats };
  }

  channels(): ReadonlyMap<string, Channel> {
    return this.#channels.all();
  }

  clients(): ReadonlyMap<string, ClientView> {
    const out = new Map<string, ClientView>();
    for (const c of this.#clients.values()) {
      out.set(c.id, {
        id: c.id,
        hbInbox: c.hbInbox,
        subscriptions() {
          const by = new Map<string, SubView[]>();
          for (const { channel, sub } of c.subs) {
            const list = by.get(channel.name) ?? [];
            list.push(subView(sub));
            by.set(channel.name, list);
          }
          return by;
        },
      });
    }
    return out;
  }

  /** nats-streaming-server's StoreLimits as /streaming/storez writes it: durations in ns, 0 for unlimited. */
  limits(): Record<string, unknown> {
    const o = this.options.store_limits;
    const resolved = (name: string) => {
      const l = channelLimits(o, name);
      return {
        max_msgs: l.max_msgs,
        max_bytes: l.max_bytes,
        max_age: nanos(l.max_age),
        max_subscriptions: l.max_subs,
        max_inactivity: nanos(l.max_inactivity),
      };
    };
    const global = channelLimits({ ...o, channels: {} }, "");
    const out: Record<string, unknown> = {
      max_channels: o?.max_channels ?? DEFAULT_LIMITS.max_channels,
      max_msgs: global.max_msgs,
      max_bytes: global.max_bytes,
      max_age: nanos(global.max_age),
      max_subscriptions: global.max_subs,
      max_inactivity: nanos(global.max_inactivity),
    };
    const patterns = Object.keys(o?.channels ?? {});
    if (patterns.length > 0) out.channels = Object.fromEntries(patterns.map((p) => [p, resolved(p)]));
    return out;
  }

  // ---------------------------------------------------------------- stop

  health(): string | null {
    return null;
  }

  async stop(): Promise<void> {
    if (this.#hbTimer !== null) clearInterval(this.#hbTimer);
    for (const s of this.#subs) this.host.internal.removeSub(s);
    this.#subs.length = 0;
    this.#requester.close();
    await this.#channels.stop();
    await this.#clientStore?.close();
    this.#clientStore = null;
  }
}
