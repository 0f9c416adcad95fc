/**
 * /routez, /leafz and /gatewayz in nats-server's shapes: /routez lists the registered routes, /leafz the leaf
 * node connections, both those natsedge dialled and those it accepted (`acc` keeps one account's), and
 * /gatewayz has no gateways to list (natsedge has none) but answers as nats-server does without them.
 */
import type { MonitorHost } from "./host.ts";
import { queryBool, rfc3339 } from "./format.ts";

export function routez(srv: MonitorHost, q: URLSearchParams): object {
  const routes = srv.routez(queryBool(q, "subs"));
  return { server_id: srv.id, now: rfc3339(Date.now()), num_routes: routes.length, routes };
}

export function leafz(srv: MonitorHost, q: URLSearchParams): object {
  const acc = q.get("acc") ?? "";
  const all = srv.leafz(queryBool(q, "subs"));
  const leafs = acc === "" ? all : all.filter((l) => l.account === acc);
  // nats-server writes `null` for no leafs (a nil Go slice); an empty list means the same to its readers.
  return { server_id: srv.id, now: rfc3339(Date.now()), leafnodes: leafs.length, leafs };
}

export function gatewayz(srv: MonitorHost, _q: URLSearchParams): object {
  return { server_id: srv.id, now: rfc3339(Date.now()), outbound_gateways: {}, inbound_gateways: {} };
}
