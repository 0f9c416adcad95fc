/** Route tests: /routez of either server, and a cluster's readiness (every member routed to every other). */
import type { TestServer } from "./server.ts";
import { ROUTES } from "../../src/server/builtin_services.ts";

export interface RoutezEntry {
  rid: number;
  remote_id: string;
  did_solicit: boolean;
  is_configured: boolean;
  subscriptions: number;
  subscriptions_list?: string[];
}

/** /routez?subs=1 of a nats-server started with `http: 127.0.0.1:<port>`. */
export async function httpRoutez(httpPort: number): Promise<RoutezEntry[]> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/routez?subs=1`);
  const j = (await r.json()) as { routes: RoutezEntry[] | null };
  return j.routes ?? [];
}

/** /routez?subs=1 of an in-process natsedge, read from its routes service. */
export function edgeRoutez(srv: TestServer): RoutezEntry[] {
  return (srv.server.services.get(ROUTES)?.routez(true) ?? []) as RoutezEntry[];
}

/** The cluster port an in-process natsedge listens on. */
export function edgeClusterPort(srv: TestServer): number {
  return srv.server.services.get(ROUTES)?.listen?.port ?? 0;
}

/** Whether some route in `routes` carries the peer's interest on `key` (`subject` or `subject queue`). */
export function routeInterest(routes: RoutezEntry[], key: string): boolean {
  return routes.some((r) => r.subscriptions_list?.includes(key));
}
