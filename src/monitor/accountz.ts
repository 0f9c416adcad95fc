/** /accountz: the accounts (nats-server's Accountz): $G, the configured ones and the system account. */
import type { MonitorHost } from "./host.ts";
import { QueryError, rfc3339 } from "./format.ts";

export function accountz(srv: MonitorHost, q: URLSearchParams): object {
  const now = rfc3339(Date.now());
  const name = q.get("acc") ?? "";
  const sys = srv.accounts.system;
  const head = { server_id: srv.id, now, ...(sys !== null && { system_account: sys.name }) };
  if (name === "") return { ...head, accounts: srv.accounts.list().map((a) => a.name) };
  const acc = srv.accounts.get(name);
  if (acc === undefined) throw new QueryError(`Account ${name} does not exist`);
  let clients = 0;
  for (const c of srv.clients.values()) if (c.account.name === name) clients++;
  return {
    ...head,
    account_detail: {
      account_name: name,
      update_time: rfc3339(srv.lifecycle.configLoadTime),
      expired: false,
      complete: true,
      jetstream_enabled: srv.jetstream()?.accounts.has(name) === true,
      leafnode_connections: srv.leafz(false).filter((l) => l.account === name).length,
      client_connections: clients,
      subscriptions: acc.router.sublist.count(),
      sublist_stats: acc.router.sublist.stats(),
    },
  };
}
