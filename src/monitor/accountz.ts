/**
 * /accountz: the accounts (nats-server's Accountz): $G, the configured ones and the system account; with
 * `acc`, one account's detail with its mappings, exports and imports as 2.9.10's ExtMap, ExtExport and
 * ExtImport write them.
 */
import type { AccountView, ImportView, MonitorHost, ServiceExportView } from "./host.ts";
import { QueryError, rfc3339 } from "./format.ts";
import { extMappings } from "./mappings.ts";

/** jwt.ResponseType's names, as nats-server writes an export's response type. */
const RESPONSE_TYPES = { singleton: "Singleton", stream: "Streamed", chunked: "Chunked" } as const;

/** jwt.ServiceLatency: sampling 0 (by trace headers) is written "headers". */
function latency(l: { sampling: number; subject: string }): object {
  return { sampling: l.sampling === 0 ? "headers" : l.sampling, results: l.subject };
}

function exportsOf(acc: AccountView): object[] {
  const approved = (accounts: ReadonlySet<string> | null) => (accounts === null ? {} : { approved_accounts: [...accounts] });
  const service = (e: ServiceExportView) => ({
    subject: e.subject,
    type: "service",
    response_type: RESPONSE_TYPES[e.responseType],
    ...(e.latency !== null && { service_latency: latency(e.latency) }),
    ...approved(e.accounts),
  });
  return [
    ...acc.exports.services.map(service),
    ...acc.exports.streams.map((e) => ({ subject: e.subject, type: "stream", ...approved(e.accounts) })),
  ];
}

/** A stream import names the importer's subject `local_subject`; a service import names it `subject`. */
function importOf(i: ImportView): object {
  const common = { invalid: false, share: i.type === "service" && i.share, tracking: false };
  if (i.type === "stream") return { subject: i.subject, account: i.exporter.name, local_subject: i.to, type: "stream", ...common };
  return { subject: i.to, account: i.exporter.name, to: i.subject, type: "service", ...common, ...(i.latency !== null && { latency: latency(i.latency) }) };
}

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
  const exports = exportsOf(acc);
  // The config's mappings: $G's are the top-level ones.
  const configured = name === "$G" ? srv.options.mappings : srv.options.accounts?.find((a) => a.name === name)?.mappings;
  const imports = srv.accounts.importsInto(name).map(importOf);
  return {
    ...head,
    account_detail: {
      account_name: name,
      update_time: rfc3339(srv.lifecycle.configLoadTime),
      ...(acc === sys && { is_system: true }),
      expired: false,
      complete: true,
      jetstream_enabled: srv.jetstream()?.accounts.has(name) === true,
      leafnode_connections: srv.leafz(false).filter((l) => l.account === name).length,
      client_connections: clients,
      subscriptions: acc.router.sublist.count(),
      ...(configured !== undefined && configured.length > 0 && { mappings: extMappings(configured) }),
      ...(exports.length > 0 && { exports }),
      ...(imports.length > 0 && { imports }),
      sublist_stats: acc.router.sublist.stats(),
    },
  };
}
