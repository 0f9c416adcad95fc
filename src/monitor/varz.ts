/** /varz: the server's configuration and counters (nats-server's Varz, monitor.go). */
import os from "node:os";
import process from "node:process";
import type { MonitorHost } from "./host.ts";
import { DEFAULT_TLS_TIMEOUT_MS } from "../config/tls_config.ts";
import { ADVERTISED_VERSION, NATSEDGE_VERSION, PROTO } from "../version.ts";
import { nanos, rfc3339, uptime } from "./format.ts";
import { jetStreamConfig, jetStreamStats } from "./jsz.ts";

const CORES = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;

/** CPU use since the previous /varz, in percent of one core, the way nats-server's pse reports it. */
class CpuMeter {
  private last = process.cpuUsage();
  private at = performance.now();

  sample(): number {
    const now = performance.now();
    const usage = process.cpuUsage();
    const usedMicros = usage.user - this.last.user + usage.system - this.last.system;
    const wallMicros = (now - this.at) * 1000;
    this.last = usage;
    this.at = now;
    return wallMicros > 0 ? Math.round((usedMicros / wallMicros) * 10000) / 100 : 0;
  }
}

const cpu = new CpuMeter();

export function varz(srv: MonitorHost): object {
  const o = srv.options;
  const lc = srv.lifecycle;
  const now = Date.now();
  const t = lc.totals();
  const js = srv.jetstream();
  const tlsTimeout = o.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_MS;
  const authTimeout = o.authorization?.timeout ?? (o.tls ? tlsTimeout + 1000 : 2000);
  return {
    server_id: srv.id,
    server_name: srv.name,
    version: ADVERTISED_VERSION,
    proto: PROTO,
    go: `natsedge ${NATSEDGE_VERSION} (${srv.runtime.name} ${srv.runtime.version})`,
    host: o.host,
    port: lc.clientPort,
    ...(srv.auth.required && { auth_required: true }),
    ...(o.tls && { tls_required: true }),
    ...((o.tls?.verify || o.tls?.verify_and_map) && { tls_verify: true }),
    max_connections: o.max_connections,
    ...(o.max_subscriptions > 0 && { max_subscriptions: o.max_subscriptions }),
    ping_interval: nanos(o.ping_interval),
    ping_max: o.ping_max,
    http_host: lc.httpHost,
    http_port: lc.httpPort,
    http_base_path: o.http_base_path ?? "",
    https_port: lc.httpsPort,
    auth_timeout: authTimeout / 1000,
    max_control_line: o.max_control_line,
    max_payload: o.max_payload,
    max_pending: o.max_pending,
    // nats-server reports a block it has nothing for (no cluster, gateway, MQTT, disabled JetStream) as an
    // empty object.
    cluster: srv.clusterVarz(),
    gateway: {},
    leaf: leafVarz(srv),
    mqtt: srv.mqtt()?.varz() ?? {},
    websocket: websocketVarz(srv),
    jetstream: js === null ? {} : { config: jetStreamConfig(js), stats: jetStreamStats(js) },
    tls_timeout: tlsTimeout / 1000,
    write_deadline: nanos(o.write_deadline),
    start: rfc3339(lc.startedAt),
    now: rfc3339(now),
    uptime: uptime(now - lc.startedAt),
    mem: process.memoryUsage().rss,
    cores: CORES,
    gomaxprocs: CORES,
    cpu: cpu.sample(),
    connections: srv.clients.size,
    total_connections: srv.totalConnections,
    routes: 0,
    remotes: 0,
    leafnodes: srv.leafz(false).length,
    in_msgs: t.inMsgs,
    out_msgs: t.outMsgs,
    in_bytes: t.inBytes,
    out_bytes: t.outBytes,
    slow_consumers: srv.slowConsumers,
    // Every account's, as nats-server's NumSubscriptions counts them.
    subscriptions: srv.accounts.list().reduce((n, a) => n + a.router.sublist.count(), 0),
    http_req_stats: Object.fromEntries(lc.httpReqStats),
    config_load_time: rfc3339(lc.configLoadTime),
    ...((srv.options.server_tags ?? []).length > 0 && { tags: srv.options.server_tags }),
    ...(srv.accounts.system !== null && { system_account: srv.accounts.system.name }),
  };
}

/** nats-server's WebsocketOptsVarz: zero values left out, as its omitempty tags do. */
function websocketVarz(srv: MonitorHost): object {
  const ws = srv.options.websocket;
  if (ws === undefined || srv.websocketPort === 0) return {};
  return {
    host: ws.host ?? "0.0.0.0",
    port: srv.websocketPort,
    ...(ws.advertise !== undefined && { advertise: ws.advertise }),
    ...(ws.no_auth_user !== undefined && { no_auth_user: ws.no_auth_user }),
    ...(ws.jwt_cookie !== undefined && { jwt_cookie: ws.jwt_cookie }),
    ...(ws.handshake_timeout ? { handshake_timeout: nanos(ws.handshake_timeout) } : {}),
    ...(ws.authorization?.timeout ? { auth_timeout: ws.authorization.timeout / 1000 } : {}),
    ...(ws.no_tls === true && { no_tls: true }),
    ...(ws.tls?.verify_and_map === true && { tls_map: true }),
    ...(ws.same_origin === true && { same_origin: true }),
    ...(ws.allowed_origins !== undefined && ws.allowed_origins.length > 0 && { allowed_origins: ws.allowed_origins }),
    ...(ws.compression === true && { compression: true }),
  };
}

/** nats-server 2.9.10's LeafNodeOptsVarz: the listener (when there is one) and each remote's URLs, without credentials. */
function leafVarz(srv: MonitorHost): object {
  const l = srv.options.leafnodes;
  if (l === undefined) return {};
  const listen = srv.leafListen();
  return {
    ...(listen !== null ? { host: listen.host, port: listen.port, auth_timeout: (l.authorization?.timeout ?? 2000) / 1000, tls_timeout: (l.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_MS) / 1000 } : {}),
    ...(l.remotes !== undefined && l.remotes.length > 0
      ? { remotes: l.remotes.map((r) => ({ local_account: r.account ?? "$G", urls: r.urls.map(withoutUserInfo), ...(r.tls ? { tls_timeout: (r.tls.timeout ?? 2000) / 1000 } : {}) })) }
      : {}),
  };
}

function withoutUserInfo(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}
