/**
 * /jsz: the running JetStream as nats-server 2.9.10 reports it (JSInfo, monitor.go), or its "disabled"
 * answer: the server's totals over its JetStream accounts, and with `accounts` or `acc` each account's. natsedge
 * has no cluster, so the meta block is fixed.
 */
import type { JetStreamAccountView, JetStreamStreamView, JetStreamView, MonitorHost } from "./host.ts";
import { queryBool, queryInt, rfc3339 } from "./format.ts";

/** Bun and Deno have JSON.rawJSON (ES2026); the ES2022 lib the type check uses does not declare it. */
interface RawJSON {
  rawJSON(text: string): unknown;
}

/**
 * nats-server reports an account without JetStream limits as reserving -1 cast to uint64. Written raw: a JS
 * number would print 18446744073709552000, which Go clients (prometheus-nats-exporter) reject for a uint64.
 */
const UNLIMITED_RESERVATION = (JSON as unknown as RawJSON).rawJSON("18446744073709551615");

/** The fields of a `$JS.API` STREAM.INFO state the monitor reads. */
export interface StreamState {
  messages: number;
  bytes: number;
  first_seq: number;
  last_seq: number;
  consumer_count: number;
}

interface StreamInfo {
  config: Record<string, unknown>;
  created: string;
  state: StreamState;
  mirror?: Record<string, unknown>;
  sources?: Record<string, unknown>[];
}

/** The fields of a `$JS.API` CONSUMER.INFO the monitor reads. */
export interface ConsumerInfo {
  name: string;
  created: string;
  config: { description?: string } & Record<string, unknown>;
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  num_ack_pending: number;
  num_redelivered: number;
  num_waiting: number;
  num_pending: number;
}

interface JszOptions {
  accounts: boolean;
  streams: boolean;
  consumers: boolean;
  config: boolean;
  acc: string;
  offset: number;
}

/** JetStreamConfig as /jsz and /varz write it. */
export function jetStreamConfig(js: JetStreamView): object {
  return {
    max_memory: js.maxMemory,
    max_storage: js.maxStore,
    store_dir: js.storeDir,
    ...(js.domain ? { domain: js.domain } : {}),
  };
}

/** JetStreamStats as /jsz and /varz write it: the server's totals over its accounts. */
export function jetStreamStats(js: JetStreamView): object {
  const u = js.usage();
  return {
    memory: u.memory,
    storage: u.storage,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: js.accounts.size,
    ha_assets: 0,
    api: { total: js.apiTotal, errors: js.apiErrors },
  };
}

function parseJszOptions(q: URLSearchParams): JszOptions {
  const consumers = queryBool(q, "consumers");
  // As nats-server: consumers imply streams, and streams imply accounts.
  const streams = queryBool(q, "streams") || consumers;
  const accounts = queryBool(q, "accounts") || streams;
  const config = queryBool(q, "config");
  queryBool(q, "leader-only");
  queryBool(q, "raft");
  const offset = queryInt(q, "offset");
  queryInt(q, "limit");
  return { accounts, streams, consumers, config, acc: q.get("acc") ?? "", offset };
}

function streamInfo(s: JetStreamStreamView): StreamInfo {
  return s.info() as unknown as StreamInfo;
}

/** nats-server 2.9.10's StreamInfo and ConsumerInfo carry no `ts`. */
function withoutTimestamp(info: Record<string, unknown>, config: boolean): Record<string, unknown> {
  const { ts: _ts, config: cfg, ...rest } = info;
  return config ? { ...rest, config: cfg } : rest;
}

function streamDetail(srv: MonitorHost, js: JetStreamAccountView, o: JszOptions): object[] {
  return [...js.streams.values()].map((s) => {
    const info = streamInfo(s);
    const consumers = o.consumers ? [...s.consumers.values()].map((c) => withoutTimestamp(c.info(), o.config)) : [];
    return {
      name: s.name,
      created: info.created,
      cluster: { leader: srv.name },
      ...(o.config ? { config: info.config } : {}),
      state: info.state,
      ...(consumers.length > 0 ? { consumer_detail: consumers } : {}),
      ...(info.mirror !== undefined ? { mirror: info.mirror } : {}),
      ...(info.sources !== undefined ? { sources: info.sources } : {}),
    };
  });
}

/** nats-server reports an account's max_mem/max_file as what it reserves; -1 (no limit) as uint64. */
function reservation(limit: number | undefined): unknown {
  return limit === undefined || limit < 0 ? UNLIMITED_RESERVATION : limit;
}

function accountDetail(srv: MonitorHost, js: JetStreamAccountView, o: JszOptions): object {
  const u = js.usage();
  const streams = o.streams ? streamDetail(srv, js, o) : [];
  const name = js.account.name;
  return {
    name,
    id: name,
    memory: u.memory,
    storage: u.storage,
    reserved_memory: reservation(js.account.limits?.max_memory),
    reserved_storage: reservation(js.account.limits?.max_storage),
    accounts: 0,
    ha_assets: 0,
    api: { total: js.apiTotal, errors: js.apiErrors },
    ...(streams.length > 0 ? { stream_detail: streams } : {}),
  };
}

export function jsz(srv: MonitorHost, q: URLSearchParams): object {
  const o = parseJszOptions(q);
  const js = srv.jetstream();
  const head = { server_id: srv.id, now: rfc3339(Date.now()) };
  if (js === null) {
    return {
      ...head,
      disabled: true,
      config: { max_memory: 0, max_storage: 0 },
      memory: 0,
      storage: 0,
      reserved_memory: 0,
      reserved_storage: 0,
      accounts: 0,
      ha_assets: 0,
      api: { total: 0, errors: 0 },
      streams: 0,
      consumers: 0,
      messages: 0,
      bytes: 0,
    };
  }
  let streams = 0;
  let consumers = 0;
  let messages = 0;
  let bytes = 0;
  for (const a of js.accounts.values()) {
    for (const s of a.streams.values()) {
      const st = streamInfo(s).state;
      streams++;
      consumers += st.consumer_count;
      messages += st.messages;
      bytes += st.bytes;
    }
  }
  // An `acc` naming an account with JetStream details it alone; otherwise `accounts` pages over them all.
  const named = o.acc === "" ? undefined : js.accounts.get(o.acc);
  const detailed = named !== undefined ? [named] : o.acc === "" && o.accounts ? [...js.accounts.values()].slice(o.offset) : [];
  return {
    ...head,
    config: jetStreamConfig(js),
    ...jetStreamStats(js),
    streams,
    consumers,
    messages,
    bytes,
    ...(detailed.length > 0 ? { account_details: detailed.map((a) => accountDetail(srv, a, o)) } : {}),
  };
}
