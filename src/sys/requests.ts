/**
 * The server's answers on the system account (nats-server 2.9.10's `$SYS.REQ.SERVER.PING[.<type>]` and
 * `$SYS.REQ.SERVER.<id>.<type>`): STATSZ (also plain PING), VARZ, CONNZ, SUBSZ, HEALTHZ, JSZ, ACCOUNTZ, LEAFZ,
 * ROUTEZ and GATEWAYZ (2.9.10 has no IDZ), each `{"server": ..., "data": ...}` (`"statsz"` for statsz) built
 * from the monitor's endpoints; and `$SYS.REQ.ACCOUNT.<acc>.<type>` (CONNZ, STATZ, INFO, SUBSZ, LEAFZ, JSZ).
 * A request body is the endpoint's options as nats-server's JSON names them (options.ts); one that is not
 * JSON gets its 400 error, an endpoint that fails its 500 with `"data": null`.
 */
import { connz } from "../monitor/connz.ts";
import { healthz } from "../monitor/healthz.ts";
import { subsz } from "../monitor/subsz.ts";
import { varz } from "../monitor/varz.ts";
import { accountz } from "../monitor/accountz.ts";
import { accountStatz } from "../monitor/accstatz.ts";
import { gatewayz, leafz, routez } from "../monitor/cluster.ts";
import { jetStreamConfig, jetStreamStats, jsz } from "../monitor/jsz.ts";
import { queryBool, rfc3339 } from "../monitor/format.ts";
import type { InternalMsg } from "../routing/internal.ts";
import type { Envelope } from "./envelope.ts";
import type { SysHost } from "./host.ts";
import { filtersOut, queryOf, type ServerIdentity } from "./options.ts";

type Endpoint = (srv: SysHost, q: URLSearchParams) => object;

const ENDPOINTS: Record<string, Endpoint> = {
  VARZ: (srv) => varz(srv),
  CONNZ: connz,
  SUBSZ: (srv, q) => subsz(srv, q, true),
  HEALTHZ: healthz,
  JSZ: jsz,
  ACCOUNTZ: accountz,
  LEAFZ: leafz,
  ROUTEZ: routez,
  GATEWAYZ: gatewayz,
};

/** An endpoint's failure as nats-server answers it: its error text, code 500 and no data. */
class EndpointError extends Error {
  override readonly name = "EndpointError";
}

/** nats-server's RouteStat for each route, from the /routez entries the routes service fills. */
function routeStats(srv: SysHost): object[] {
  return srv.routez(false).map((entry) => {
    const r = entry as unknown as Record<string, number | string>;
    return {
      rid: r.rid,
      ...(r.remote_name && { name: r.remote_name }),
      sent: { msgs: r.out_msgs, bytes: r.out_bytes },
      received: { msgs: r.in_msgs, bytes: r.in_bytes },
      pending: r.pending_size,
    };
  });
}

/** STATSZ (nats-server's ServerStats) from the /varz numbers, with the routes nats-server lists. */
export function statsz(srv: SysHost): object {
  const v = varz(srv) as Record<string, unknown>;
  const active = new Set<string>();
  for (const c of srv.clients.values()) active.add(c.account.name);
  const routes = routeStats(srv);
  // nats-server's statsz carries JetStream's config without its store directory.
  const js = srv.jetstream();
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
    ...(routes.length > 0 && { routes }),
    active_servers: 1 + routes.length,
    ...(js !== null && { jetstream: { config: { ...jetStreamConfig(js), store_dir: undefined }, stats: jetStreamStats(js) } }),
  };
}

/**
 * `{server, data}`, or nats-server's error answer: 400 for options it cannot read, 500 for the endpoint's;
 * null when `build` has nothing to say (no answer at all).
 */
function wrap(env: Envelope, type: string, msg: InternalMsg, build: (q: URLSearchParams) => object | null): object | null {
  let q: URLSearchParams;
  try {
    q = queryOf(type, msg.data);
  } catch (err) {
    return { server: env.server(), error: { code: 400, description: (err as Error).message } };
  }
  try {
    const data = build(q);
    return data === null ? null : { server: env.server(), data };
  } catch (err) {
    return { server: env.server(), data: null, error: { code: 500, description: (err as Error).message } };
  }
}

/** One account's JetStream usage, as `$SYS.REQ.ACCOUNT.<acc>.JSZ` answers (the /jsz account detail alone). */
function accountJsz(srv: SysHost, name: string, q: URLSearchParams): object {
  if (srv.accounts.get(name) === undefined) throw new EndpointError(`account ${JSON.stringify(name)} not found`);
  q.set("acc", name);
  const details = (jsz(srv, q) as { account_details?: object[] }).account_details;
  if (details === undefined) throw new EndpointError(`account ${JSON.stringify(name)} not jetstream enabled`);
  return details[0]!;
}

/**
 * The answer to `$SYS.REQ.ACCOUNT.<name>.<type>`, or null where nats-server stays silent: a filter that
 * leaves this server out, STATZ for an unknown account, or for one without client connections unless
 * `include_unused` asks for it.
 */
export function accountAnswer(srv: SysHost, env: Envelope, name: string, type: string, msg: InternalMsg): object | null {
  if (filtersOut(msg.data, self(srv))) return null;
  switch (type) {
    case "CONNZ":
      return wrap(env, type, msg, (q) => (q.set("acc", name), connz(srv, q)));
    case "STATZ": {
      if (srv.accounts.get(name) === undefined) return null;
      const statz = accountStatz(srv, name);
      // As nats-server's numLocalConnections: client connections only, leaf connections do not count.
      return wrap(env, type, msg, (q) => statz.conns > 0 || queryBool(q, "include_unused")
        ? { server_id: srv.id, now: rfc3339(Date.now()), account_statz: [statz] }
        : null);
    }
    case "INFO":
      return wrap(env, type, msg, () => (accountz(srv, new URLSearchParams({ acc: name })) as { account_detail: object }).account_detail);
    case "SUBSZ":
      // The account's own subscriptions, listed whatever the options say.
      return wrap(env, type, msg, (q) => (q.set("acc", name), q.set("subs", "1"), subsz(srv, q, true)));
    case "LEAFZ":
      return wrap(env, type, msg, (q) => (q.set("acc", name), leafz(srv, q)));
    case "JSZ":
      return wrap(env, type, msg, (q) => accountJsz(srv, name, q));
  }
  return null;
}

export const ACCOUNT_REQUEST_TYPES = ["CONNZ", "STATZ", "INFO", "SUBSZ", "LEAFZ", "JSZ"];

/** This server as a request's filter sees it. */
function self(srv: SysHost): ServerIdentity {
  const cluster = (srv.clusterVarz() as { name?: string }).name ?? "";
  return { name: srv.name, host: srv.options.host, cluster, domain: srv.jetstream()?.domain ?? "", tags: srv.options.server_tags ?? [] };
}

/** The answer to a request of `type` ("PING" or "STATSZ" for statsz), or null when its filter leaves this server out. */
export function answer(srv: SysHost, env: Envelope, type: string, msg: InternalMsg): object | null {
  if (filtersOut(msg.data, self(srv))) return null;
  if (type === "PING" || type === "STATSZ") return { server: env.server(), statsz: statsz(srv) };
  const endpoint = ENDPOINTS[type]!;
  return wrap(env, type, msg, (q) => endpoint(srv, q));
}

export const REQUEST_TYPES = ["STATSZ", ...Object.keys(ENDPOINTS)];
