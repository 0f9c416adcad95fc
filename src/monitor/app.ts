/**
 * The monitoring HTTP API as a hono app: nats-server's paths under http_base_path, indented JSON with
 * `Content-Type: application/json`, a permissive CORS header, JSONP via `callback`, and per-path request
 * counts for /varz's http_req_stats.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { MonitorHost } from "./host.ts";
import { accountz } from "./accountz.ts";
import { accstatz } from "./accstatz.ts";
import { gatewayz, leafz, routez } from "./cluster.ts";
import { connz } from "./connz.ts";
import { dashboardPage, dashboardStatus } from "./dashboard.ts";
import { QueryError, queryInt } from "./format.ts";
import { healthz } from "./healthz.ts";
import { jsz } from "./jsz.ts";
import { metrics } from "./metrics.ts";
import { CONTENT_TYPE as PROMETHEUS_TEXT } from "./prom_text.ts";
import { rootPage } from "./root.ts";
import { channelsz, clientsz, NotFoundError, serverz, storez, streamingPage } from "./streaming.ts";
import { subsz } from "./subsz.ts";
import { varz } from "./varz.ts";

type Endpoint = (srv: MonitorHost, q: URLSearchParams) => object;

const JSON_ENDPOINTS: [string, Endpoint][] = [
  ["/varz", (srv) => varz(srv)],
  ["/connz", connz],
  ["/subsz", subsz],
  ["/subscriptionsz", subsz],
  ["/routez", routez],
  ["/leafz", leafz],
  ["/gatewayz", gatewayz],
  ["/accountz", accountz],
  ["/accstatz", accstatz],
  ["/jsz", jsz],
  ["/dashboard/status", dashboardStatus],
  ["/streaming/serverz", serverz],
  ["/streaming/storez", storez],
  ["/streaming/clientsz", clientsz],
  ["/streaming/channelsz", channelsz],
];

/** The dashboard's polling period by default, and the shortest it accepts (ms). */
const DASHBOARD_REFRESH_MS = 2000;
const DASHBOARD_MIN_REFRESH_MS = 250;

/** nats-server's normalizeBasePath: always a leading slash, no trailing one ("" for the root). */
export function normalizeBasePath(p: string | undefined): string {
  if (p === undefined || p === "") return "";
  const withSlash = p.startsWith("/") ? p : `/${p}`;
  return withSlash.replace(/\/+$/, "");
}

function respond(c: Context, body: string, status: 200 | 503): Response {
  const callback = c.req.query("callback");
  c.header("Access-Control-Allow-Origin", "*");
  if (callback) {
    c.header("Content-Type", "application/javascript");
    return c.body(`${callback}(${body})`, status);
  }
  c.header("Content-Type", "application/json");
  return c.body(body, status);
}

export function createMonitorApp(srv: MonitorHost): Hono {
  const base = normalizeBasePath(srv.options.http_base_path);
  // Not strict: "/base" and "/base/" both reach the index page, as in nats-server.
  const app = new Hono({ strict: false }).basePath(base === "" ? "/" : base);
  const stats = srv.lifecycle.httpReqStats;
  const count = (path: string) => stats.set(path, (stats.get(path) ?? 0) + 1);

  app.onError((err, c) => {
    if (err instanceof QueryError) return c.text(err.message, 400);
    if (err instanceof NotFoundError) return c.text(`${err.message}\n`, 404);
    srv.log.error(`Monitoring request ${c.req.path} failed: ${err instanceof Error ? err.message : String(err)}`);
    return c.text("internal error", 500);
  });
  app.notFound((c) => c.text("404 page not found", 404));

  app.get("/", (c) => {
    count("/");
    return c.html(rootPage(base));
  });
  for (const [path, handler] of JSON_ENDPOINTS) {
    app.get(path, (c) => {
      count(path);
      const q = new URL(c.req.url).searchParams;
      return respond(c, JSON.stringify(handler(srv, q), null, 2), 200);
    });
  }
  app.get("/streaming", (c) => {
    if (srv.streaming() === null) return c.text("404 page not found", 404);
    count("/streaming");
    return c.html(streamingPage(base));
  });
  app.get("/dashboard", (c) => {
    count("/dashboard");
    const refresh = queryInt(new URL(c.req.url).searchParams, "refresh") || DASHBOARD_REFRESH_MS;
    return c.html(dashboardPage(base, Math.max(DASHBOARD_MIN_REFRESH_MS, refresh)));
  });
  app.get("/metrics", (c) => {
    count("/metrics");
    c.header("Content-Type", PROMETHEUS_TEXT);
    return c.body(metrics(srv), 200);
  });
  app.get("/healthz", (c) => {
    count("/healthz");
    const h = healthz(srv, new URL(c.req.url).searchParams);
    if (h.status !== "ok") srv.log.warn(`Healthcheck failed: ${JSON.stringify(h.error)}`);
    // nats-server writes this one body compact.
    return respond(c, JSON.stringify(h), h.status === "ok" ? 200 : 503);
  });
  return app;
}
