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
    // natsedge forms no cluster, gateway, MQTT or websocket listener: nats-server reports such blocks (and
    // JetStream when disabled) as empty objects.
    cluster: {},
    gateway: {},
    leaf: {},
    mqtt: {},
    websocket: {},
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
    leafnodes: 0,
    in_msgs: t.inMsgs,
    out_msgs: t.outMsgs,
    in_bytes: t.inBytes,
    out_bytes: t.outBytes,
    slow_consumers: srv.slowConsumers,
    subscriptions: srv.router.sublist.count(),
    http_req_stats: Object.fromEntries(lc.httpReqStats),
    config_load_time: rfc3339(lc.configLoadTime),
  };
}
