/**
 * /jsz: JetStream is not served yet, so this answers as nats-server does when JetStream is disabled: the
 * query is validated and the counters are zero.
 */
import type { MonitorHost } from "./host.ts";
import { queryBool, queryInt, rfc3339 } from "./format.ts";

export function jsz(srv: MonitorHost, q: URLSearchParams): object {
  for (const b of ["accounts", "streams", "consumers", "config", "leader-only", "raft"]) queryBool(q, b);
  queryInt(q, "offset");
  queryInt(q, "limit");
  return {
    server_id: srv.id,
    now: rfc3339(Date.now()),
    disabled: true,
    config: { max_memory: 0, max_storage: 0 },
    memory: 0,
    storage: 0,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: 0,
    ha_assets: 0,
    api: { total: 0, errors: 0 },
    streams: 0,
    consumers: 0,
    messages: 0,
    bytes: 0,
  };
}
