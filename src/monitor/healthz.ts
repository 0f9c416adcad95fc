/**
 * /healthz: 200 {"status":"ok"}, or 503 with the reason. The checks are nats-server's readiness check (the
 * client listener is up) followed by the health of each running service (server/services.ts).
 */
import type { MonitorHost } from "./host.ts";
import { queryBool } from "./format.ts";

export interface Health {
  status: "ok" | "error" | "unavailable";
  error?: string;
}

export function healthz(srv: MonitorHost, q: URLSearchParams): Health {
  const jsEnabled = queryBool(q, "js-enabled");
  if (jsEnabled) srv.log.warn("Healthcheck: js-enabled deprecated, use js-enabled-only instead");
  queryBool(q, "js-enabled-only");
  queryBool(q, "js-server-only");
  // nats-server's readyForConnections names the listeners that are down; natsedge has one.
  if (!srv.lifecycle.listening) return { status: "error", error: "failed to be ready for connections after 1ms: server" };
  // Without JetStream configured nats-server stops here, whatever the js-* parameters ask.
  const err = srv.services.health();
  return err === null ? { status: "ok" } : { status: "unavailable", error: err };
}
