/**
 * What the monitor reads from the server it reports on. The monitor is loaded lazily by the server, so it
 * must not import the server back: the server implements this, and tests or another host could too.
 */
import type { Client } from "../client/client.ts";
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { Runtime } from "../runtime/types.ts";
import type { Sublist } from "../subject/sublist.ts";
import type { ClosedRing } from "./closed.ts";
import type { ConnSnapshot } from "./conn_info.ts";

/** Message and byte counters summed over open and closed connections. */
export interface Totals {
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

/** The server's lifecycle as /varz, /connz, /accountz and /healthz see it. */
export interface MonitorLifecycle {
  readonly startedAt: number;
  readonly configLoadTime: number;
  readonly clientPort: number;
  readonly listening: boolean;
  readonly closed: ClosedRing;
  readonly httpReqStats: Map<string, number>;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  totals(): Totals;
  /** The traffic of an account's connections that have closed (none yet: undefined). */
  accountTotalsGone(account: string): Totals | undefined;
}

/** One leaf connection as /leafz lists it (nats-server 2.9.10's LeafInfo). */
export interface LeafzEntry {
  account: string;
  ip: string;
  port: number;
  rtt: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
}

/** One route as /routez lists it (nats-server 2.9.10's RouteInfo; the routes service fills the rest). */
export interface RoutezEntry {
  rid: number;
  remote_id: string;
  subscriptions: number;
  subscriptions_list?: string[];
}

/**
 * A stream or consumer as the monitor reads it: `info()` answers in the `$JS.API` STREAM.INFO / CONSUMER.INFO
 * shape (jsz.ts names the fields it reads).
 */
export interface JetStreamConsumerView {
  readonly name: string;
  info(): Record<string, unknown>;
}

export interface JetStreamStreamView {
  readonly name: string;
  readonly consumers: ReadonlyMap<string, JetStreamConsumerView>;
  info(): Record<string, unknown>;
}

/** One account's JetStream. */
export interface JetStreamAccountView {
  readonly account: { readonly name: string; readonly limits: { readonly max_memory: number; readonly max_storage: number } | null };
  readonly streams: ReadonlyMap<string, JetStreamStreamView>;
  readonly apiTotal: number;
  readonly apiErrors: number;
  usage(): { memory: number; storage: number; streams: number; consumers: number };
}

/** The running JetStream, which the monitor must not import (it is loaded only when enabled). */
export interface JetStreamView {
  /** The accounts with JetStream, by name. */
  readonly accounts: ReadonlyMap<string, JetStreamAccountView>;
  readonly storeDir: string;
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly domain: string | undefined;
  readonly apiTotal: number;
  readonly apiErrors: number;
  /** The cipher new blocks are sealed with ("ChaCha20-Poly1305", "AES-256-GCM"), or null: never the key. */
  readonly cipher: string | null;
  /** The server's totals over its accounts (API counts too). */
  usage(): { memory: number; storage: number; streams: number; consumers: number };
}

/** The MQTT listener, which the monitor must not import (it is loaded only when configured). */
export interface MqttView {
  /** The /varz `mqtt` block. */
  varz(): Record<string, unknown>;
  /** The open MQTT connections, as /connz lists them. */
  connections(): ConnSnapshot[];
}

/** One STAN subscription as /streaming/channelsz and /streaming/clientsz list it (nats-streaming-server's Subscriptionz). */
export interface StreamingSubz {
  client_id: string;
  inbox: string;
  ack_inbox: string;
  durable_name?: string;
  queue_name?: string;
  is_durable: boolean;
  is_offline: boolean;
  max_inflight: number;
  /** seconds */
  ack_wait: number;
  last_sent: number;
  pending_count: number;
  is_stalled: boolean;
}

export interface StreamingChannelView {
  readonly name: string;
  /** Messages and stored bytes, first and last sequence (0 and 0 when empty). */
  state(): { msgs: number; bytes: number; first_seq: number; last_seq: number };
  /** Active subscriptions and queue members, offline durables, durable queue groups without members. */
  subscriptions(): StreamingSubz[];
}

export interface StreamingClientView {
  readonly id: string;
  readonly hbInbox: string;
  /** The client's subscriptions by channel. */
  subscriptions(): Map<string, StreamingSubz[]>;
}

/** The running NATS Streaming service, which the monitor must not import (it is loaded only when enabled). */
export interface StreamingView {
  readonly clusterID: string;
  /** The streaming server's own id, apart from the NATS server's. */
  readonly serverID: string;
  readonly startedAt: number;
  /** "MEMORY" or "FILE". */
  readonly storeType: string;
  /** nats-streaming-server's StoreLimits JSON (max_channels, max_msgs, …, durations in ns, `channels`). */
  limits(): Record<string, unknown>;
  channels(): ReadonlyMap<string, StreamingChannelView>;
  clients(): ReadonlyMap<string, StreamingClientView>;
  stats(): { inMsgs: number; inBytes: number; outMsgs: number; outBytes: number };
}

/** An account's export as /accountz lists it. */
export interface ExportView {
  readonly subject: string;
  /** The accounts allowed to import it; null: public. */
  readonly accounts: ReadonlySet<string> | null;
}

export interface ServiceExportView extends ExportView {
  readonly responseType: "singleton" | "stream" | "chunked";
  readonly latency: { readonly sampling: number; readonly subject: string } | null;
}

/** An import into an account as /accountz lists it: `subject` is the exporter's, `to` the importer's. */
export type ImportView =
  | { readonly type: "stream"; readonly exporter: { readonly name: string }; readonly subject: string; readonly to: string }
  | {
    readonly type: "service";
    readonly exporter: { readonly name: string };
    readonly subject: string;
    readonly to: string;
    readonly share: boolean;
    readonly latency: { readonly sampling: number; readonly subject: string } | null;
  };

/** One account as /accountz and /connz?acc= see it. */
export interface AccountView {
  readonly name: string;
  readonly router: { readonly sublist: Sublist<Subscription> };
  readonly exports: { readonly streams: readonly ExportView[]; readonly services: readonly ServiceExportView[] };
}

export interface MonitorHost {
  readonly id: string;
  readonly name: string;
  readonly options: ServerOptions;
  readonly runtime: Pick<Runtime, "name" | "version" | "serveHTTP">;
  readonly log: Logger;
  readonly auth: { readonly required: boolean };
  readonly clients: ReadonlyMap<number, Client>;
  readonly totalConnections: number;
  /** The WebSocket listener's bound port, 0 when there is none. */
  readonly websocketPort: number;
  readonly slowConsumers: number;
  readonly router: { readonly sublist: Sublist<Subscription> };
  /** $G, the configured accounts and the system account. */
  readonly accounts: {
    list(): AccountView[];
    get(name: string): AccountView | undefined;
    readonly system: AccountView | null;
    /** The imports into the account of that name. */
    importsInto(name: string): readonly ImportView[];
  };
  readonly lifecycle: MonitorLifecycle;
  /** The leaf connections that are set up, with their peer's interest when `subs`. */
  leafz(subs: boolean): LeafzEntry[];
  /** The registered routes, with their peer's interest when `subs`. */
  routez(subs: boolean): RoutezEntry[];
  /** The /varz cluster block; empty without a cluster. */
  clusterVarz(): Record<string, unknown>;
  /** The leafnode listener's address, null when natsedge accepts no leaf connections. */
  leafListen(): { host: string; port: number } | null;
  /** The server's services (JetStream, …): the first unhealthy one's reason, or null. */
  readonly services: { health(): string | null };
  /** The running JetStream, or null when it is not enabled. */
  jetstream(): JetStreamView | null;
  /** The MQTT listener, or null when there is none. */
  mqtt(): MqttView | null;
  /** The running NATS Streaming service, or null when it is not enabled. */
  streaming(): StreamingView | null;
}
