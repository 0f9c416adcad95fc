/**
 * Maps a parsed config onto typed ServerOptions: nats-server's processConfigFileLine for the keys
 * natsedge implements. Keys are case-insensitive; an unknown key is an error at its position unless
 * it only exists to be used as a `$variable`. The first problem found is thrown as a ConfigError.
 */
import type { ServerOptions } from "./options.ts";
import type { ConfMap, ConfNode } from "./parser.ts";
import { authorizationFromConf } from "./_auth.ts";
import { accountsFromConf, checkAccountUsers, type AccountsConf, mappingsFromConf } from "./_accounts.ts";
import { clusterFromConf, leafnodesFromConf } from "./_cluster.ts";
import { formatGoDuration } from "./_duration.ts";
import { jetstreamFromConf } from "./_jetstream.ts";
import { operatorHandlers, operatorSystemAccount } from "./_operator.ts";
import { streamingFromConf } from "./_streaming.ts";
import {
  aliases,
  bool,
  duration,
  fail,
  goType,
  type Handler,
  hostPort,
  int,
  port,
  str,
  type Warn,
  walk,
  warningCollector,
} from "./_read.ts";
import { tlsFromConf } from "./_tls.ts";
import { mqttFromConf } from "./_mqtt.ts";
import { websocketFromConf } from "./_websocket.ts";
import { memoryLimit } from "./_memory.ts";

/** nats-server keys that only tune logging, profiling or reporting: accepted and ignored with a warning. */
const IGNORED_TOP_LEVEL = [
  "syslog",
  "remote_syslog",
  "log_max_num",
  "prof_port",
  "connect_error_reports",
  "reconnect_error_reports",
  "server_metadata",
  "trace_headers",
];
/** JetStream tuning knobs of nats-server's clustered or file-store internals that natsedge does not have. */
const IGNORED_JETSTREAM = [
  "unique_tag",
  "strict",
  "extension_hint",
  "max_outstanding_catchup",
  "max_catchup",
  "max_buffered_msgs",
  "max_buffered_size",
  "request_queue_limit",
];
const INT32_MAX = 2 ** 31 - 1;
const MAX_SUB_TOKENS = 255;
const MIN_LAME_DUCK_MS = 30 * 1000;

export interface ConfResult {
  options: ServerOptions;
  /** Already formatted `file:line:col: invalid use of field "x": reason`. */
  warnings: string[];
}

export function optionsFromConf(conf: ConfMap, base: ServerOptions): ConfResult {
  const o = structuredClone(base);
  const warnings: string[] = [];
  const warn = warningCollector(warnings);
  const set =
    <K extends keyof ServerOptions>(field: K, read: (n: ConfNode, k: string) => ServerOptions[K]): Handler =>
    (n, k) => {
      o[field] = read(n, k);
    };
  const durationOf = (n: ConfNode, k: string) => duration(n, k, warn);
  let storeDirAt: ConfNode | undefined;
  const claimStoreDir = (n: ConfNode, k: string) => {
    if (storeDirAt !== undefined) throw fail(n, k, "Duplicate 'store_dir' configuration");
    storeDirAt = n;
  };
  let accounts: AccountsConf | undefined;
  // Where to report max_payload > max_pending: the max_payload key if set, else max_pending.
  let limitsAt: { n: ConfNode; k: string } | undefined;

  walk(conf, {
    ...ignored(IGNORED_TOP_LEVEL, warn),
    listen: (n, k) => {
      const hp = hostPort(n, k);
      if (hp.host !== undefined) o.host = hp.host;
      o.port = hp.port;
    },
    port: set("port", port),
    ...aliases(["host", "net"], set("host", str)),
    server_name: set("server_name", serverName),
    server_tags: set("server_tags", serverTags),
    client_advertise: set("client_advertise", str),
    debug: set("debug", bool),
    trace: set("trace", bool),
    trace_verbose: (n, k) => {
      o.trace_verbose = o.trace = bool(n, k);
    },
    logtime: set("logtime", bool),
    logtime_utc: set("logtime_utc", bool),
    ...aliases(["log_file", "logfile"], set("log_file", str)),
    ...aliases(["log_size_limit", "logfile_size_limit"], set("log_size_limit", int)),
    max_traced_msg_len: set("max_traced_msg_len", int),
    ...aliases(["pid_file", "pidfile"], set("pid_file", str)),
    ports_file_dir: set("ports_file_dir", str),
    http: (n, k) => {
      const hp = hostPort(n, k);
      if (hp.host !== undefined) o.http_host = hp.host;
      o.http_port = hp.port;
    },
    https: (n, k) => {
      const hp = hostPort(n, k);
      if (hp.host !== undefined) o.http_host = hp.host;
      o.https_port = hp.port;
    },
    ...aliases(["http_port", "monitor_port"], set("http_port", port)),
    https_port: set("https_port", port),
    http_base_path: set("http_base_path", str),
    ...aliases(["max_connections", "max_conn"], set("max_connections", int)),
    max_payload: (n, k) => {
      o.max_payload = int32(n, k);
      limitsAt = { n, k };
    },
    max_pending: (n, k) => {
      o.max_pending = int(n, k);
      limitsAt ??= { n, k };
    },
    max_control_line: set("max_control_line", int32),
    ...aliases(["max_subscriptions", "max_subs"], set("max_subscriptions", int)),
    max_closed_clients: set("max_closed_clients", int),
    memory_limit: set("memory_limit", memoryLimit),
    ...aliases(["max_sub_tokens", "max_subscription_tokens"], set("max_sub_tokens", subTokens)),
    ping_interval: set("ping_interval", durationOf),
    ping_max: set("ping_max", int),
    write_deadline: set("write_deadline", durationOf),
    lame_duck_duration: (n, k) => {
      const ms = durationOf(n, k);
      if (ms < MIN_LAME_DUCK_MS) {
        throw fail(n, k, `invalid lame_duck_duration of ${formatGoDuration(ms)}, minimum is 30 seconds`);
      }
      o.lame_duck_duration = ms;
    },
    lame_duck_grace_period: (n, k) => {
      const ms = durationOf(n, k);
      if (ms < 0) throw fail(n, k, "invalid lame_duck_grace_period, needs to be positive");
      o.lame_duck_grace_period = ms;
    },
    no_header_support: set("no_header_support", bool),
    ...aliases(["disable_sublist_cache", "no_sublist_cache"], set("disable_sublist_cache", bool)),
    tls: (n, k) => {
      o.tls = tlsFromConf(n, k, true);
    },
    authorization: (n, k) => {
      o.authorization = authorizationFromConf(n, k, warn);
    },
    no_auth_user: set("no_auth_user", str),
    accounts: (n, k) => {
      accounts = accountsFromConf(n, k);
      o.accounts = accounts.accounts;
    },
    ...aliases(["system_account", "system"], set("system_account", str)),
    ...aliases(["mappings", "maps"], set("mappings", mappingsFromConf)),
    ...aliases(["no_system_account", "no_system", "no_sys_acc"], set("no_system_account", bool)),
    ...operatorHandlers(o),
    jetstream: (n, k) => {
      o.jetstream = jetstreamFromConf(n, k, o.jetstream, { warn, claimStoreDir, ignored: ignored(IGNORED_JETSTREAM, warn) });
    },
    ...aliases(["store_dir", "storedir"], (n, k) => {
      claimStoreDir(n, k);
      o.jetstream = { ...o.jetstream, enabled: o.jetstream?.enabled ?? false, store_dir: str(n, k) };
    }),
    streaming: (n, k) => {
      o.streaming = streamingFromConf(n, k, o.streaming, warn);
    },
    cluster: (n, k) => {
      o.cluster = clusterFromConf(n, k, warn);
    },
    ...aliases(["leafnodes", "leaf"], (n, k) => {
      o.leafnodes = leafnodesFromConf(n, k, warn);
    }),
    ...aliases(["websocket", "ws"], (n, k) => {
      o.websocket = websocketFromConf(n, k, warn);
    }),
    mqtt: (n, k) => {
      o.mqtt = mqttFromConf(n, k, warn);
    },
  });

  if (accounts !== undefined) checkAccountUsers(accounts, o.authorization);
  o.system_account = operatorSystemAccount(o);
  if (o.system_account === undefined) delete o.system_account;
  if (limitsAt !== undefined && o.max_payload > o.max_pending) {
    throw fail(limitsAt.n, limitsAt.k, `max_payload (${o.max_payload}) cannot be higher than max_pending (${o.max_pending})`);
  }
  return { options: o, warnings };
}

function ignored(names: string[], warn: Warn): Record<string, Handler> {
  return aliases(names, (n, k) => warn(n, k.toLowerCase(), "not supported by natsedge and ignored"));
}

function serverName(n: ConfNode, k: string): string {
  const name = str(n, k);
  if (name.includes(" ")) throw fail(n, k, "server name cannot contain spaces");
  return name;
}

/**
 * nats-server's server_tags: one string or an array of them, each trimmed and lower-cased, duplicates and
 * empty ones dropped (jwt.TagList.Add). Its errors print Go types: `*conf.token` for an array item that is no
 * string (the item's wrapper, not its value), `int64` and so on for the whole value.
 */
function serverTags(n: ConfNode, k: string): string[] {
  const items = n.kind === "array" ? n.value : n.kind === "string" ? [n] : null;
  if (items === null) throw fail(n, k, `error parsing tags: unsupported type ${goType(n)}`);
  const tags: string[] = [];
  for (const item of items) {
    if (item.kind !== "string") throw fail(n, k, "error parsing tags: unsupported type *conf.token where string is expected");
    const t = item.value.trim().toLowerCase();
    if (t !== "" && !tags.includes(t)) tags.push(t);
  }
  return tags;
}

/** max_payload and max_control_line travel in INFO as Go int32s. */
function int32(n: ConfNode, k: string): number {
  const v = int(n, k);
  if (v > INT32_MAX) throw fail(n, k, `${k} value is too big`);
  return v;
}

function subTokens(n: ConfNode, k: string): number {
  const v = int(n, k);
  if (v > MAX_SUB_TOKENS) throw fail(n, k, `${k} value is too big`);
  if (v <= 0) throw fail(n, k, `${k} value can not be negative`);
  return v;
}
