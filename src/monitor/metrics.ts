/**
 * /metrics: what prometheus-nats-exporter would publish from this server's /varz, /connz, /routez, /leafz
 * and /jsz (same metric names, labels and types, collector/*.go), so existing dashboards and alerts work
 * without the exporter beside the broker, plus the process's memory. Built from the JSON endpoints' own
 * answers: a scrape costs what those requests cost, nothing per connection beyond /connz.
 */
import process from "node:process";
import type { MonitorHost } from "./host.ts";
import { leafz, routez } from "./cluster.ts";
import { connz } from "./connz.ts";
import { type ConsumerInfo, jsz, type StreamState } from "./jsz.ts";
import { Exposition, type Labels } from "./prom_text.ts";
import { varz } from "./varz.ts";

type Json = Record<string, unknown>;

/** The exporter's /varz collector: every top-level number a gauge, three strings as `value` labels. */
const VARZ_LABEL_FIELDS = ["server_id", "server_name", "version"];

function varzMetrics(e: Exposition, v: Json, id: Labels): void {
  for (const [k, value] of Object.entries(v)) {
    if (typeof value === "number") e.add(`gnatsd_varz_${k}`, "gauge", k, id, value);
    else if (typeof value === "string" && VARZ_LABEL_FIELDS.includes(k)) e.add(`gnatsd_varz_${k}`, "gauge", k, { ...id, value }, 1);
  }
}

interface ConnzBody {
  num_connections: number;
  total: number;
  offset: number;
  limit: number;
  connections: { pending_bytes: number; subscriptions: number; in_bytes: number; out_bytes: number; in_msgs: number; out_msgs: number }[];
}

/** collector/connz.go (the summary collector): sums over the connections one /connz page lists. */
function connzMetrics(e: Exposition, c: ConnzBody, id: Labels): void {
  const sum = (f: keyof ConnzBody["connections"][number]) => c.connections.reduce((n, conn) => n + conn[f], 0);
  e.add("gnatsd_connz_num_connections", "gauge", "num_connections", id, c.num_connections);
  e.add("gnatsd_connz_total", "gauge", "total", id, c.total);
  e.add("gnatsd_connz_offset", "gauge", "offset", id, c.offset);
  e.add("gnatsd_connz_limit", "gauge", "limit", id, c.limit);
  e.add("gnatsd_connz_pending_bytes", "gauge", "pending_bytes", id, sum("pending_bytes"));
  e.add("gnatsd_connz_subscriptions", "gauge", "subscriptions", id, sum("subscriptions"));
  e.add("gnatsd_connz_in_bytes", "counter", "in_bytes", id, sum("in_bytes"));
  e.add("gnatsd_connz_out_bytes", "counter", "out_bytes", id, sum("out_bytes"));
  e.add("gnatsd_connz_in_msgs", "counter", "in_msgs", id, sum("in_msgs"));
  e.add("gnatsd_connz_out_msgs", "counter", "out_msgs", id, sum("out_msgs"));
}

interface RoutezBody {
  server_id: string;
  server_name?: string;
  num_routes: number;
  routes: { rid: number; remote_id?: string; remote_name?: string; account?: string; ip?: string; compression?: string; subscriptions: number; in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number }[];
}

/** collector/routez.go. */
function routezMetrics(e: Exposition, r: RoutezBody, id: Labels, serverName: string): void {
  e.add("gnatsd_routez_server_id", "gauge", "server_id", { ...id, value: r.server_id }, 1);
  e.add("gnatsd_routez_server_name", "gauge", "server_name", { ...id, value: r.server_name ?? serverName }, 1);
  e.add("gnatsd_routez_num_routes", "gauge", "num_routes", id, r.num_routes);
  for (const rt of r.routes) {
    const rid = { ...id, rid: String(rt.rid) };
    const info = { ...rid, remote_id: rt.remote_id ?? "", remote_name: rt.remote_name ?? "", account: rt.account ?? "", ip: rt.ip ?? "", compression: rt.compression ?? "" };
    e.add("gnatsd_routez_route_info", "gauge", "route_info", info, 1);
    e.add("gnatsd_routez_route_subscriptions", "gauge", "subscriptions", rid, rt.subscriptions);
    e.add("gnatsd_routez_route_in_msgs", "gauge", "in_msgs", rid, rt.in_msgs);
    e.add("gnatsd_routez_route_out_msgs", "gauge", "out_msgs", rid, rt.out_msgs);
    e.add("gnatsd_routez_route_in_bytes", "gauge", "in_bytes", rid, rt.in_bytes);
    e.add("gnatsd_routez_route_out_bytes", "gauge", "out_bytes", rid, rt.out_bytes);
  }
}

interface LeafzBody {
  leafnodes: number;
  leafs: { name?: string; account?: string; ip?: string; port?: number; rtt?: string; in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number; subscriptions: number; subscriptions_list?: string[] }[] | null;
}

/** Go's time.ParseDuration for the units nats-server writes an RTT in, as seconds (0 when absent). */
function durationSeconds(d: string | undefined): number {
  const scale: Record<string, number> = { ns: 1e-9, "µs": 1e-6, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of (d ?? "").matchAll(/([\d.]+)(ns|µs|us|ms|s|m|h)/g)) total += Number(m[1]) * scale[m[2]!]!;
  return total;
}

/** collector/leafz.go. */
function leafzMetrics(e: Exposition, l: LeafzBody, id: Labels): void {
  for (const lf of l.leafs ?? []) {
    const account = lf.account ?? "";
    const base = { ...id, account, account_id: account, ip: lf.ip ?? "", port: String(lf.port ?? 0), name: lf.name ?? "" };
    e.add("gnatsd_leafz_info", "gauge", "info", base, 1);
    e.add("gnatsd_leafz_conn_rtt", "gauge", "rtt", base, durationSeconds(lf.rtt));
    e.add("gnatsd_leafz_conn_in_msgs", "gauge", "in_msgs", base, lf.in_msgs);
    e.add("gnatsd_leafz_conn_out_msgs", "gauge", "out_msgs", base, lf.out_msgs);
    e.add("gnatsd_leafz_conn_in_bytes", "gauge", "in_bytes", base, lf.in_bytes);
    e.add("gnatsd_leafz_conn_out_bytes", "gauge", "out_bytes", base, lf.out_bytes);
    e.add("gnatsd_leafz_conn_subscriptions_total", "gauge", "subscriptions_total", base, lf.subscriptions);
    for (const sub of lf.subscriptions_list ?? []) e.add("gnatsd_leafz_conn_subscriptions", "gauge", "subscriptions", { ...base, subscription: sub }, 0);
  }
  e.add("gnatsd_leafz_conn_nodes_total", "gauge", "nodes_total", id, l.leafnodes);
}

interface JszBody {
  disabled?: boolean;
  config: { max_memory: number; max_storage: number; domain?: string };
  streams: number;
  consumers: number;
  messages: number;
  bytes: number;
  account_details?: { name: string; id: string; stream_detail?: { name: string; cluster?: { leader?: string }; state: StreamState; consumer_detail?: (ConsumerInfo & { cluster?: { leader?: string } })[] }[] }[];
}

/** Go's time.RFC3339: whole seconds, as the exporter labels a consumer's creation. */
function rfc3339Seconds(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

/** collector/jsz.go with the exporter's `-jsz=all` (/jsz?consumers=true&config=true). */
function jszMetrics(e: Exposition, j: JszBody, serverId: string, serverName: string): void {
  // No meta cluster: the exporter labels a lone server as its own meta leader.
  const server = { server_id: serverId, server_name: serverName, cluster: "", domain: j.config.domain ?? "", meta_leader: "", is_meta_leader: "true" };
  e.add("jetstream_server_jetstream_disabled", "gauge", "JetStream disabled or not", server, j.disabled ? 1 : 0);
  e.add("jetstream_server_max_memory", "gauge", "JetStream Max Memory", server, j.config.max_memory);
  e.add("jetstream_server_max_storage", "gauge", "JetStream Max Storage", server, j.config.max_storage);
  e.add("jetstream_server_total_streams", "gauge", "Total number of streams in JetStream", server, j.streams);
  e.add("jetstream_server_total_consumers", "gauge", "Total number of consumers in JetStream", server, j.consumers);
  e.add("jetstream_server_total_messages", "gauge", "Total number of stored messages in JetStream", server, j.messages);
  e.add("jetstream_server_total_message_bytes", "gauge", "Total number of bytes stored in JetStream", server, j.bytes);
  for (const acc of j.account_details ?? []) {
    for (const s of acc.stream_detail ?? []) {
      const leader = s.cluster?.leader;
      const stream = { ...server, account: acc.name, account_id: acc.id, stream_name: s.name, stream_leader: leader ?? "", is_stream_leader: String(leader === undefined || leader === serverName) };
      e.add("jetstream_stream_total_messages", "gauge", "Total number of messages from a stream", stream, s.state.messages);
      e.add("jetstream_stream_total_bytes", "gauge", "Total stored bytes from a stream", stream, s.state.bytes);
      e.add("jetstream_stream_first_seq", "gauge", "First sequence from a stream", stream, s.state.first_seq);
      e.add("jetstream_stream_last_seq", "gauge", "Last sequence from a stream", stream, s.state.last_seq);
      e.add("jetstream_stream_consumer_count", "gauge", "Total number of consumers from a stream", stream, s.state.consumer_count);
      for (const c of s.consumer_detail ?? []) {
        const cl = c.cluster?.leader;
        const consumer = {
          ...stream,
          consumer_name: c.name,
          consumer_leader: cl ?? "",
          is_consumer_leader: String(cl === undefined || cl === serverName),
          consumer_desc: c.config?.description ?? "",
          consumer_created: rfc3339Seconds(c.created),
        };
        e.add("jetstream_consumer_delivered_consumer_seq", "gauge", "Latest sequence number of a stream consumer", consumer, c.delivered.consumer_seq);
        e.add("jetstream_consumer_delivered_stream_seq", "gauge", "Latest sequence number of a stream", consumer, c.delivered.stream_seq);
        e.add("jetstream_consumer_num_ack_pending", "gauge", "Number of pending acks from a consumer", consumer, c.num_ack_pending);
        e.add("jetstream_consumer_num_redelivered", "gauge", "Number of redelivered messages from a consumer", consumer, c.num_redelivered);
        e.add("jetstream_consumer_num_waiting", "gauge", "Number of inflight fetch requests from a pull consumer", consumer, c.num_waiting);
        e.add("jetstream_consumer_num_pending", "gauge", "Number of pending messages from a consumer", consumer, c.num_pending);
        e.add("jetstream_consumer_ack_floor_stream_seq", "gauge", "Number of ack floor stream seq from a consumer", consumer, c.ack_floor.stream_seq);
        e.add("jetstream_consumer_ack_floor_consumer_seq", "gauge", "Number of ack floor consumer seq from a consumer", consumer, c.ack_floor.consumer_seq);
      }
    }
  }
}

/** The runtime's own numbers, under the names prom-client's default metrics use. */
function processMetrics(e: Exposition): void {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  e.add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", {}, mem.rss);
  e.add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", {}, (cpu.user + cpu.system) / 1e6);
  e.add("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", {}, Math.floor(performance.timeOrigin / 1000));
  e.add("nodejs_heap_size_total_bytes", "gauge", "Process heap size from the JavaScript engine in bytes.", {}, mem.heapTotal);
  e.add("nodejs_heap_size_used_bytes", "gauge", "Process heap size used from the JavaScript engine in bytes.", {}, mem.heapUsed);
  e.add("nodejs_external_memory_bytes", "gauge", "JavaScript engine external memory size in bytes.", {}, mem.external);
}

const NO_QUERY = new URLSearchParams();
const JSZ_ALL = new URLSearchParams("consumers=true&config=true");

export function metrics(srv: MonitorHost): string {
  const e = new Exposition();
  const id = { server_id: srv.id };
  varzMetrics(e, varz(srv) as Json, id);
  connzMetrics(e, connz(srv, NO_QUERY) as ConnzBody, id);
  routezMetrics(e, routez(srv, NO_QUERY) as RoutezBody, id, srv.name);
  leafzMetrics(e, leafz(srv, NO_QUERY) as LeafzBody, id);
  jszMetrics(e, jsz(srv, JSZ_ALL) as JszBody, srv.id, srv.name);
  processMetrics(e);
  return e.toString();
}
