/** /accountz: natsedge has one account, the global account $G, which every client is in. */
import type { MonitorHost } from "./host.ts";
import { QueryError, rfc3339 } from "./format.ts";

const GLOBAL = "$G";

export function accountz(srv: MonitorHost, q: URLSearchParams): object {
  const now = rfc3339(Date.now());
  const acc = q.get("acc") ?? "";
  if (acc === "") return { server_id: srv.id, now, accounts: [GLOBAL] };
  if (acc !== GLOBAL) throw new QueryError(`Account ${acc} does not exist`);
  return {
    server_id: srv.id,
    now,
    account_detail: {
      account_name: GLOBAL,
      update_time: rfc3339(srv.lifecycle.configLoadTime),
      expired: false,
      complete: true,
      jetstream_enabled: false,
      leafnode_connections: srv.leafz(false).length,
      client_connections: srv.clients.size,
      subscriptions: srv.router.sublist.count(),
      sublist_stats: srv.router.sublist.stats(),
    },
  };
}
