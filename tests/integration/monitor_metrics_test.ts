/**
 * GET /metrics: read back with a real Prometheus text parser after known traffic, the families
 * prometheus-nats-exporter would publish must be there with the values the traffic implies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { rmSync } from "node:fs";
import { scratchDir } from "../_helpers/certs.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";

/** Quotes, a backslash and a line feed: each must be escaped in a label value and come back intact. */
const AWKWARD = 'say "hi"\\ then\nstop';

let srv: TestServer;
let nc: NatsConnection;
let dir: string;
let base: string;

beforeAll(async () => {
  dir = scratchDir("natsedge-metrics-");
  srv = await runServer({ http_port: -1, jetstream: { enabled: true, store_dir: dir } });
  base = `http://127.0.0.1:${srv.server.lifecycle.httpPort}`;
  nc = await client(srv);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  await jsm.consumers.add("ORDERS", { durable_name: "proc", ack_policy: AckPolicy.Explicit, description: AWKWARD });
  const js = jetstream(nc);
  for (let i = 0; i < 4; i++) await js.publish("orders.new", "0123456789");
});

afterAll(async () => {
  await nc.close();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<Map<string, ParsedFamily>> {
  const r = await fetch(`${base}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return new Map(parsePrometheusTextFormat(await r.text()).map((f) => [f.name, f]));
}

function family(all: Map<string, ParsedFamily>, name: string): ParsedFamily {
  const f = all.get(name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f;
}

/** The one sample of a family; a family with several must be picked by label. */
function value(all: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number {
  const hits = family(all, name).metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  expect([name, hits.length]).toEqual([name, 1]);
  return Number(hits[0]!.value);
}

describe("/metrics", () => {
  test("the exporter's varz and connz families follow core traffic", async () => {
    const before = await scrape();
    const inMsgs = value(before, "gnatsd_varz_in_msgs");
    const sub = nc.subscribe("metrics.x");
    const pub = await client(srv);
    for (let i = 0; i < 5; i++) pub.publish("metrics.x", "abcdefgh");
    await pub.flush();
    let got = 0;
    for await (const _ of sub) if (++got === 5) break;

    const all = await scrape();
    const id = { server_id: srv.server.id };
    expect(value(all, "gnatsd_varz_connections", id)).toBe(2);
    expect(value(all, "gnatsd_connz_num_connections", id)).toBe(2);
    expect(value(all, "gnatsd_varz_in_msgs")).toBeGreaterThanOrEqual(inMsgs + 5);
    expect(family(all, "gnatsd_varz_in_msgs").type).toBe("GAUGE");
    expect(family(all, "gnatsd_connz_in_msgs").type).toBe("COUNTER");
    expect(value(all, "gnatsd_connz_in_msgs")).toBeGreaterThanOrEqual(5);
    expect(value(all, "gnatsd_varz_server_id", { value: srv.server.id })).toBe(1);
    expect(value(all, "gnatsd_varz_version", { value: "2.9.10" })).toBe(1);
    expect(value(all, "gnatsd_routez_num_routes")).toBe(0);
    expect(value(all, "gnatsd_leafz_conn_nodes_total")).toBe(0);
    expect(value(all, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(value(all, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    await pub.close();
  });

  test("the exporter's jetstream families, with stream and consumer labels", async () => {
    const all = await scrape();
    expect(value(all, "jetstream_server_jetstream_disabled")).toBe(0);
    expect(value(all, "jetstream_server_total_streams")).toBe(1);
    expect(value(all, "jetstream_server_total_consumers")).toBe(1);
    expect(value(all, "jetstream_server_total_messages")).toBe(4);
    const stream = { stream_name: "ORDERS", account: "$G", is_stream_leader: "true", server_id: srv.server.id };
    expect(value(all, "jetstream_stream_total_messages", stream)).toBe(4);
    expect(value(all, "jetstream_stream_last_seq", stream)).toBe(4);
    expect(value(all, "jetstream_stream_consumer_count", stream)).toBe(1);
    const consumer = { ...stream, consumer_name: "proc", consumer_desc: AWKWARD };
    expect(value(all, "jetstream_consumer_num_pending", consumer)).toBe(4);
    expect(value(all, "jetstream_consumer_num_ack_pending", consumer)).toBe(0);
    const created = family(all, "jetstream_consumer_num_pending").metrics[0]!.labels!.consumer_created!;
    expect(created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(value(all, "jetstream_server_max_storage")).toBe(srv.server.jetstream()!.maxStore);
  });

  test("listed on the monitor's index page and counted in http_req_stats", async () => {
    expect(await (await fetch(`${base}/`)).text()).toContain(`href="./metrics"`);
    const varz = (await (await fetch(`${base}/varz`)).json()) as { http_req_stats: Record<string, number> };
    expect(varz.http_req_stats["/metrics"]).toBeGreaterThanOrEqual(1);
  });
});
