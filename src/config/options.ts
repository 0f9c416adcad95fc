/**
 * Typed server options: what the config file and the command line produce and what the server consumes.
 * Names follow nats-server's Go `Options` fields in snake_case as they appear in the config file.
 * Blocks that later subsystems apply (tls, authorization, jetstream, cluster, leafnodes) are parsed into
 * typed shapes now so that a config written for nats-server is validated up front.
 */

/** Durations are kept in milliseconds (nats-server keeps time.Duration; ms is enough for every timer here). */
export type Millis = number;

export interface TLSOptions {
  cert_file?: string;
  key_file?: string;
  ca_file?: string;
  verify?: boolean;
  verify_and_map?: boolean;
  verify_cert_and_check_known_urls?: boolean;
  insecure?: boolean;
  /** Go cipher suite names as written in the config, e.g. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384. */
  cipher_suites?: string[];
  /** Go curve names as written in the config, e.g. CurveP256, X25519. */
  curve_preferences?: string[];
  /** Handshake timeout. Default 2s. */
  timeout?: Millis;
  handshake_first?: boolean | Millis;
  pinned_certs?: string[];
}

export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface ResponsePermission {
  max: number;
  expires: Millis;
}

export interface Permissions {
  publish?: SubjectPermission;
  subscribe?: SubjectPermission;
  allow_responses?: ResponsePermission;
}

export interface UserEntry {
  user?: string;
  password?: string;
  nkey?: string;
  permissions?: Permissions;
  account?: string;
  allowed_connection_types?: string[];
}

export interface AuthorizationOptions {
  user?: string;
  password?: string;
  token?: string;
  /** Auth timeout. Default 2s (TLS timeout + 1s when TLS is configured). */
  timeout?: Millis;
  users?: UserEntry[];
  default_permissions?: Permissions;
  /** Leafnode listener only: the account leafnodes authenticating with `user`/`password` bind to. */
  account?: string;
}

/** An account's stream or service export (nats-server's parseExportStreamOrService). */
export interface AccountExport {
  stream?: string;
  service?: string;
  /** Accounts allowed to import it; absent: public. */
  accounts?: string[];
  /** Service exports only. Default singleton. */
  response_type?: "singleton" | "stream" | "chunked";
  /** Service exports only: how long a response may take before its reply mapping is dropped. Default 2m. */
  response_threshold?: Millis;
  /**
   * Service exports only: the share of requests (1-100 %) whose latency is published on `subject` in this
   * account; `at`, the accounts block, where nats-server reports what is wrong with it.
   */
  latency?: { sampling: number; subject: string; at?: string };
  /** Operator mode: only imports with a valid activation token may use it. */
  token_req?: boolean;
}

/** An account's stream or service import (nats-server's parseImportStreamOrService). */
export interface AccountImport {
  stream?: { account: string; subject: string };
  service?: { account: string; subject: string };
  /** Stream imports: delivered as `<prefix>.<subject>`. */
  prefix?: string;
  /** Service imports: the local subject (default the exported one); stream imports: the delivered subject. */
  to?: string;
  share?: boolean;
  /** Operator mode: the import's activation token was checked against its exporter and holds. */
  activated?: boolean;
}

/** One destination of a subject mapping; weights of one source add up to at most 100. */
export interface MappingDest {
  destination: string;
  /** Percent, 0..100. A plain string mapping is one destination of weight 100. */
  weight: number;
  /** Applies only in the cluster of this name. */
  cluster?: string;
}

export interface AccountOptions {
  name: string;
  /** Where the account's block is in the config (`file:line:col`), for errors found when accounts are linked. */
  at?: string;
  nkey?: string;
  users?: UserEntry[];
  exports?: AccountExport[];
  imports?: AccountImport[];
  /** Source subject → destinations, in config order. */
  mappings?: { subject: string; dests: MappingDest[]; at?: string }[];
  default_permissions?: Permissions;
  /** `jetstream`: the account's JetStream limits (-1: none); absent or null when it has no JetStream. */
  jetstream?: JetStreamAccountLimits | null;
  /** `limits`: what the account's connections may do, as an account JWT's `conn`/`subs`/`payload`/`leaf`. */
  limits?: AccountLimits;
}

/** An account's `limits {}` (nats-server's mconns, msubs, mpay, mleafs); -1: no limit. */
export interface AccountLimits {
  /** Client connections in the account. */
  max_connections: number;
  /** Subscriptions per connection. */
  max_subscriptions: number;
  /** A message's payload. */
  max_payload: number;
  /** Leaf node connections bound to the account. */
  max_leafnodes: number;
}

/** An account's JetStream limits as `$JS.API.INFO` reports them (nats-server's JetStreamAccountLimits). */
export interface JetStreamAccountLimits {
  max_memory: number;
  max_storage: number;
  max_streams: number;
  max_consumers: number;
  /** A consumer's max_ack_pending at most (and its default); -1: none. */
  max_ack_pending: number;
  /** A memory or file stream's max_bytes at most; -1: none. */
  memory_max_stream_bytes: number;
  storage_max_stream_bytes: number;
  /** Whether every stream must set max_bytes. */
  max_bytes_required: boolean;
}

export type JetStreamCipher = "chacha" | "aes" | "xchacha";

export interface JetStreamOptions {
  enabled: boolean;
  store_dir?: string;
  max_memory_store?: number;
  max_file_store?: number;
  /** Encryption key material exactly as configured. Never log it. */
  key?: string;
  prev_key?: string;
  cipher?: JetStreamCipher;
  domain?: string;
  /** "always" or a duration in ms. */
  sync_interval?: "always" | Millis;
}

/** One channel's limits; absent inherits, 0 (or -1 from an explicit 0 in a per-channel block) is unlimited. */
export interface ChannelLimits {
  max_subs?: number;
  max_msgs?: number;
  max_bytes?: number;
  max_age?: Millis;
  max_inactivity?: Millis;
}

export interface StoreLimitsOptions extends ChannelLimits {
  max_channels?: number;
  /** Per-channel overrides by channel name or wildcard pattern. */
  channels?: Record<string, ChannelLimits>;
}

/** nats-streaming-server's settings (the `streaming {}` block and its flags); STAN runs when present. */
export interface StreamingOptions {
  /** `cluster_id`; clients connect with it (nats-streaming-server's default is "test-cluster"). */
  cluster_id: string;
  store: "memory" | "file";
  /** `dir`: the FILE store's root. */
  dir?: string;
  discover_prefix?: string;
  encrypt: boolean;
  encryption_cipher?: "chacha" | "aes";
  /** Resolved key: NATS_STREAMING_ENCRYPTION_KEY, else `encryption_key`. Never log it. */
  encryption_key?: string;
  hb_interval?: Millis;
  hb_timeout?: Millis;
  hb_fail_count?: number;
  store_limits?: StoreLimitsOptions;
  /** A durable subscribing while its twin is active replaces it instead of being refused. */
  replace_durable?: boolean;
}

export interface ClusterOptions {
  name?: string;
  host?: string;
  port?: number;
  tls?: TLSOptions;
  authorization?: AuthorizationOptions;
  routes?: string[];
  /** The route URL gossiped to peers instead of the listen address (`advertise`, `cluster_advertise`). */
  advertise?: string;
  /** Peers do not tell clients about this server's client URLs. */
  no_advertise?: boolean;
  /** How often an implicit (gossiped) route is redialled before it is given up; 0: never. */
  connect_retries?: number;
}

export interface LeafRemote {
  urls: string[];
  no_randomize?: boolean;
  credentials?: string;
  nkey?: string;
  account?: string;
  tls?: TLSOptions;
  /** Subjects the hub's messages may not bring in (also sent to the hub as CONNECT deny_pub). */
  deny_imports?: string[];
  /** Subjects local messages may not take out to the hub. */
  deny_exports?: string[];
  /**
   * We are the hub of this link although we dial it (nats-server's remote `hub`): we advertise all our
   * interest, and the accepting side takes the spoke's part.
   */
  hub?: boolean;
  /** Over ws:// or wss://: offer permessage-deflate. */
  ws_compression?: boolean;
  /** Over ws:// or wss://: ask the server to take unmasked frames (Nats-No-Masking). */
  ws_no_masking?: boolean;
}

export interface LeafNodeOptions {
  host?: string;
  port?: number;
  remotes?: LeafRemote[];
  /** `host:port` leaves are told to reconnect to, instead of the listen address. */
  advertise?: string;
  /** Not to gossip our leaf URL to route peers; natsedge has no routes, so it changes nothing. */
  no_advertise?: boolean;
  /** Leaves older than this are refused after CONNECT (at least 2.8.0). */
  min_version?: string;
  /** Wait between attempts to dial a remote; nats-server 2.9 takes whole seconds. Default 1s. */
  reconnect?: Millis;
  tls?: TLSOptions;
  authorization?: AuthorizationOptions;
  /**
   * nats-server 2.9.10 keys that were given but natsedge does not apply yet, as `leafnodes.<key>` or
   * `leafnodes.remotes.<key>`: the server refuses to start naming them.
   */
  unapplied?: string[];
}

/** The `websocket {}` block (nats-server's WebsocketOpts). */
export interface WebsocketOptions {
  host?: string;
  /** 0 or absent: no WebSocket listener; -1 picks a free port. */
  port?: number;
  advertise?: string;
  no_tls?: boolean;
  tls?: TLSOptions;
  same_origin?: boolean;
  allowed_origins?: string[];
  compression?: boolean;
  /** 0: none. */
  handshake_timeout?: Millis;
  /** Overrides the server's authorization for WebSocket clients: a single user or a token, and a timeout. */
  authorization?: Pick<AuthorizationOptions, "user" | "password" | "token" | "timeout">;
  no_auth_user?: string;
  jwt_cookie?: string;
}

/** The `mqtt {}` block (nats-server's MQTTOpts); keys natsedge cannot apply are refused when parsed. */
export interface MqttOptions {
  host?: string;
  /** 0 or absent: no MQTT listener; -1 picks a free port. */
  port?: number;
  /** QoS 1/2 messages in flight per session; 0 or absent: nats-server's 1024. */
  max_ack_pending?: number;
  /** QoS 1/2 redelivery interval while connected; absent: nats-server's 30 s. */
  ack_wait?: Millis;
  tls?: TLSOptions;
  /** Overrides the server's authorization for MQTT clients: a single user or a token, and a timeout. */
  authorization?: Pick<AuthorizationOptions, "user" | "password" | "token" | "timeout">;
  no_auth_user?: string;
  /** Accepted for nats-server's configs; natsedge's MQTT state is in its own local store (README). */
  stream_replicas?: number;
  consumer_replicas?: number;
  consumer_memory_storage?: boolean;
  /** nats-server 2.10's switches back to 2.9's QoS 2 behaviour. */
  reject_qos2_publish?: boolean;
  downgrade_qos2_subscribe?: boolean;
}

export interface ServerOptions {
  /** Path of the config file these options came from, if any. */
  config_file?: string;
server_name?: string;
  /** `server_tags`, trimmed and lower-cased as nats-server's jwt.TagList keeps them (system events, /varz). */
  server_tags?: string[];
  host: string;
  port: number;
  client_advertise?: string;

  max_connections: number;
  max_payload: number;
  max_pending: number;
  max_control_line: number;
  max_subscriptions: number;
  max_sub_tokens?: number;
  ping_interval: Millis;
  ping_max: number;
  write_deadline: Millis;
  no_header_support: boolean;
  disable_sublist_cache: boolean;

  debug: boolean;
  trace: boolean;
  trace_verbose: boolean;
  logtime: boolean;
  logtime_utc: boolean;
  log_file?: string;
  log_size_limit?: number;
  max_traced_msg_len?: number;
  pid_file?: string;
  ports_file_dir?: string;

  http_host?: string;
  http_port?: number;
  https_port?: number;
  http_base_path?: string;

  lame_duck_duration: Millis;
  lame_duck_grace_period: Millis;
  /** Closed connections kept for /connz?state=closed (nats-server's default is 10000). */
  max_closed_clients?: number;
  /** natsedge's `memory_limit` (bytes): the process memory target; the machine's (cgroup or physical) when absent. */
  memory_limit?: number;

  tls?: TLSOptions;
  authorization?: AuthorizationOptions;
  no_auth_user?: string;
  /** `accounts {}`: each account with its users, exports, imports and mappings. Absent: the global account $G only. */
  accounts?: AccountOptions[];
  /** Top-level `mappings {}`: the global account's subject mappings. */
  mappings?: AccountOptions["mappings"];
  /** The system account's name; nats-server's default is `$SYS`. */
  system_account?: string;
  no_system_account?: boolean;
  /** Operator mode (`operator`): the trusted operators' JWTs, read from their files or given inline. */
  operator?: string[];
  /** `trusted` / `trusted_keys`: operator public keys trusted to sign accounts, instead of operator JWTs. */
  trusted_keys?: string[];
  /** `resolver`: where account JWTs come from in operator mode. */
  resolver?: ResolverOptions;
  /** `resolver_preload`: account public key → account JWT, stored in the resolver at start. */
  resolver_preload?: Record<string, string>;
  jetstream?: JetStreamOptions;
  streaming?: StreamingOptions;
  cluster?: ClusterOptions;
  leafnodes?: LeafNodeOptions;
  websocket?: WebsocketOptions;
  mqtt?: MqttOptions;
}

/** nats-server's account resolvers natsedge has: MEMORY (preloads only) and the directory-backed full and cache. */
export type ResolverOptions =
  | { type: "memory" }
  | {
    type: "full" | "cache";
    dir: string;
    /** `$SYS.REQ.CLAIMS.DELETE` may remove JWTs (renamed to `<pub>.jwt.deleted`, as nats-server 2.9.10 does). */
    allow_delete?: boolean;
    /** full: how often nats-server syncs with its cluster peers; accepted, natsedge has none to sync with. */
    interval?: Millis;
    /** How many JWTs the directory holds (nats-server's default 1000). */
    limit?: number;
    /** cache: how long a JWT stays cached; accepted, natsedge's cache keeps what it was given. */
    ttl?: Millis;
    timeout?: Millis;
  };

/** nats-server's baseline defaults (server/const.go, setBaselineOptions). */
export const DEFAULTS = {
  host: "0.0.0.0",
  port: 4222,
  max_connections: 64 * 1024,
  max_payload: 1024 * 1024,
  max_pending: 64 * 1024 * 1024,
  max_control_line: 4096,
  max_subscriptions: 0,
  ping_interval: 2 * 60 * 1000,
  ping_max: 2,
  write_deadline: 10 * 1000,
  lame_duck_duration: 2 * 60 * 1000,
  lame_duck_grace_period: 10 * 1000,
  tls_timeout: 2 * 1000,
  auth_timeout: 2 * 1000,
} as const;

export function defaultOptions(): ServerOptions {
  return {
    host: DEFAULTS.host,
    port: DEFAULTS.port,
    max_connections: DEFAULTS.max_connections,
    max_payload: DEFAULTS.max_payload,
    max_pending: DEFAULTS.max_pending,
    max_control_line: DEFAULTS.max_control_line,
    max_subscriptions: DEFAULTS.max_subscriptions,
    ping_interval: DEFAULTS.ping_interval,
    ping_max: DEFAULTS.ping_max,
    write_deadline: DEFAULTS.write_deadline,
    no_header_support: false,
    disable_sublist_cache: false,
    debug: false,
    trace: false,
    trace_verbose: false,
    logtime: true,
    logtime_utc: false,
    lame_duck_duration: DEFAULTS.lame_duck_duration,
    lame_duck_grace_period: DEFAULTS.lame_duck_grace_period,
  };
}
