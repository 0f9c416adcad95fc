/**
 * The server's answers on the system account (nats-server 2.9's `$SYS.REQ.SERVER.PING[.<type>]` and
 * `$SYS.REQ.SERVER.<id>.<type>`): STATSZ (also plain PING), VARZ, CONNZ, SUBSZ and HEALTHZ, each
 * `{"server": ..., "data": ...}` (`"statsz"` for statsz) built from the monitor's endpoints. A request body is
 * the endpoint's options as JSON; one that is not JSON gets nats-server's 400 error.
 */
import { connz } from "../monitor/connz.ts";
import { healthz } from "../monitor/healthz.ts";
import { subsz } from "../monitor/subsz.ts";
import { varz } from "../monitor/varz.ts";
import { accountz } from "../monitor/accountz.ts";
import { accountStatz } from "../monitor/accstatz.ts";
import { rfc3339 } from "../monitor/format.ts";
import type { InternalMsg } from "../routing/internal.ts";
import type { Envelope } from "./envelope.ts";
import type { SysHost } from "./host.ts";

type Endpoint = (srv: SysHost, q: URLSearchParams) => object;

/** JSON option names that differ from the HTTP query names (nats-server's ConnzOptions, SubszOptions). */
const QUERY_NAMES: Record<string, string> = { subscriptions: "subs", subscriptions_detail: "subs", test: "test" };

const ENDPOINTS: Record<string, Endpoint> = {
  VARZ: (srv) => varz(srv),
  CONNZ: connz,
  SUBSZ: subsz,
  HEALTHZ: healthz,
};

/** STATSZ (nats-server's ServerStats) from the /varz numbers. */
export function statsz(srv: SysHost): object {
  const v = varz(srv) as Record<string, unknown>;
  const active = new Set<string>();
  for (const c of srv.clients.values()) active.add(c.account.name);
  return {
    start: v.start,
    mem: v.mem,
    cores: v.cores,
    cpu: v.cpu,
    connections: v.connections,
    total_connections: v.total_connections,
    active_accounts: active.size,
    subscriptions: v.subscriptions,
    sent: { msgs: v.out_msgs, bytes: v.out_bytes },
    received: { msgs: v.in_msgs, bytes: v.in_bytes },
    slow_consumers: v.slow_consumers,
    active_servers: 1,
  };
}

/** The request's JSON options as the endpoint's query parameters. */
function queryOf(data: Uint8Array): URLSearchParams {
  const q = new URLSearchParams();
  if (data.length === 0) return q;
  const opts = JSON.parse(new TextDecoder().decode(data)) as unknown;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) throw new SyntaxError("request options must be a JSON object");
  for (const [k, v] of Object.entries(opts)) {
    if (v === null || v === undefined || v === false) continue;
    const name = QUERY_NAMES[k] ?? k;
    q.set(name, k === "subscriptions_detail" && v === true ? "detail" : String(v));
  }
  return q;
}

/** The answer to `$SYS.REQ.ACCOUNT.<name>.<type>` (CONNZ, STATZ, INFO), or null for an unknown account. */
export function accountAnswer(srv: SysHost, env: Envelope, name: string, type: string, msg: InternalMsg): object | null {
  if (srv.accounts.get(name) === undefined) return null;
  const now = { server_id: srv.id, now: rfc3339(Date.now()) };
  try {
    switch (type) {
      case "CONNZ": {
        const q = queryOf(msg.data);
        q.set("acc", name);
        return { server: env.server(), data: connz(srv, q) };
      }
      case "STATZ":
        return { server: env.server(), data: { ...now, account_statz: [accountStatz(srv, name)] } };
      case "INFO": {
        const detail = (accountz(srv, new URLSearchParams({ acc: name })) as { account_detail: object }).account_detail;
        return { server: env.server(), data: detail };
      }
    }
  } catch (err) {
    return { server: env.server(), error: { code: 400, description: (err as Error).message } };
  }
  return null;
}

export const ACCOUNT_REQUEST_TYPES = ["CONNZ", "STATZ", "INFO"];

/** The answer to a request of `type` ("PING" or "STATSZ" for statsz). */
export function answer(srv: SysHost, env: Envelope, type: string, msg: InternalMsg): object {
  if (type === "PING" || type === "STATSZ") return { server: env.server(), statsz: statsz(srv) };
  const endpoint = ENDPOINTS[type];
  if (endpoint === undefined) return { server: env.server(), error: { code: 400, description: `unknown request type ${type}` } };
  let q: URLSearchParams;
  try {
    q = queryOf(msg.data);
  } catch (err) {
    return { server: env.server(), error: { code: 400, description: (err as Error).message } };
  }
  try {
    return { server: env.server(), data: endpoint(srv, q) };
  } catch (err) {
    return { server: env.server(), error: { code: 400, description: (err as Error).message } };
  }
}

export const REQUEST_TYPES = ["STATSZ", ...Object.keys(ENDPOINTS)];
