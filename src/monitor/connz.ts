/** /connz: open and recently closed client connections (nats-server's Connz, monitor.go). */
import type { MonitorHost } from "./host.ts";
import { type ConnSnapshot, snapshot } from "./conn_info.ts";
import { QueryError, queryBool, queryInt, queryUint, rfc3339, uptime } from "./format.ts";
import { formatGoDuration } from "../config/_duration.ts";

const GLOBAL_ACCOUNT = "$G";

/** nats-server's DefaultConnListSize. */
const DEFAULT_LIMIT = 1024;

type State = "open" | "closed" | "any";

/** monitor_sort_opts.go: only cid (and start, which follows cid) sort ascending; the rest descending. */
const SORTS: Record<string, ((a: ConnSnapshot, b: ConnSnapshot, now: number) => number) | undefined> = {
  cid: (a, b) => a.cid - b.cid,
  start: (a, b) => a.cid - b.cid,
  subs: (a, b) => b.numSubs - a.numSubs,
  pending: (a, b) => b.pending - a.pending,
  msgs_to: (a, b) => b.outMsgs - a.outMsgs,
  msgs_from: (a, b) => b.inMsgs - a.inMsgs,
  bytes_to: (a, b) => b.outBytes - a.outBytes,
  bytes_from: (a, b) => b.inBytes - a.inBytes,
  last: (a, b) => b.last - a.last,
  idle: (a, b, now) => (now - b.last) - (now - a.last),
  uptime: (a, b, now) => ((b.stop || now) - b.start) - ((a.stop || now) - a.start),
  stop: (a, b) => b.stop - a.stop,
  reason: (a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
  rtt: (a, b) => (b.rtt ?? 0) - (a.rtt ?? 0),
};

function decodeState(q: URLSearchParams): State {
  const s = q.get("state");
  if (s === null || s === "") return "open";
  switch (s.toLowerCase()) {
    case "open":
      return "open";
    case "closed":
      return "closed";
    case "any":
    case "all":
      return "any";
  }
  throw new QueryError(`Error decoding state for ${s}`);
}

export function connz(srv: MonitorHost, q: URLSearchParams): object {
  const sortOpt = q.get("sort") ?? "";
  const auth = queryBool(q, "auth");
  const subsDetail = (q.get("subs") ?? "").toLowerCase() === "detail";
  const subs = !subsDetail && queryBool(q, "subs");
  const offset = Math.max(0, queryInt(q, "offset"));
  let limit = queryInt(q, "limit");
  if (limit <= 0) limit = DEFAULT_LIMIT;
  const cid = queryUint(q, "cid");
  const state = decodeState(q);
  const user = q.get("user") ?? "";
  const acc = q.get("acc") ?? "";
  const by = SORTS[sortOpt === "" ? "cid" : sortOpt];
  if (by === undefined) throw new QueryError(`invalid sorting option: ${sortOpt}`);
  if ((sortOpt === "stop" || sortOpt === "reason") && state !== "closed") {
    throw new QueryError(`sort by ${sortOpt} only valid on closed connections`);
  }
  if (cid > 0) limit = 1;

  const now = Date.now();
  let conns: ConnSnapshot[] = [];
  if (state !== "closed") for (const c of srv.clients.values()) conns.push(snapshot(c));
  if (state !== "closed") conns.push(...(srv.mqtt()?.connections() ?? []));
  if (state !== "open") conns.push(...srv.lifecycle.closed.list());
  if (cid > 0) conns = conns.filter((c) => c.cid === cid);
  if (user !== "") conns = conns.filter((c) => c.user === user);
  const mqttClient = q.get("mqtt_client") ?? "";
  if (mqttClient !== "") conns = conns.filter((c) => c.mqttClient === mqttClient);
  if (acc !== "") {
    // nats-server answers an unknown account with an empty Connz: no server_id and a null list.
    if (srv.accounts.get(acc) === undefined) {
      return { server_id: "", now: rfc3339(now), num_connections: 0, total: 0, offset, limit, connections: null };
    }
    conns = conns.filter((c) => c.account === acc);
  }
  conns.sort((a, b) => by(a, b, now));
  const page = conns.slice(Math.min(offset, conns.length), Math.min(offset + limit, conns.length));

  return {
    server_id: srv.id,
    now: rfc3339(now),
    num_connections: page.length,
    total: conns.length,
    offset,
    limit,
    connections: page.map((c) => connInfo(c, now, { auth, subs, subsDetail })),
  };
}

function connInfo(c: ConnSnapshot, now: number, o: { auth: boolean; subs: boolean; subsDetail: boolean }): object {
  const end = c.stop || now;
  return {
    cid: c.cid,
    kind: "Client",
    type: c.type,
    ip: c.ip,
    port: c.port,
    start: rfc3339(c.start),
    last_activity: rfc3339(c.last),
    ...(c.stop > 0 && { stop: rfc3339(c.stop), reason: c.reason }),
    ...((c.rtt ?? 0) > 0 && { rtt: formatGoDuration(c.rtt!) }),
    uptime: uptime(end - c.start),
    idle: uptime(end - c.last),
    pending_bytes: c.pending,
    in_msgs: c.inMsgs,
    out_msgs: c.outMsgs,
    in_bytes: c.inBytes,
    out_bytes: c.outBytes,
    subscriptions: c.numSubs,
    ...(c.name !== "" && { name: c.name }),
    ...(c.lang !== "" && { lang: c.lang }),
    ...(c.version !== "" && { version: c.version }),
    ...(c.tlsVersion !== "" && { tls_version: c.tlsVersion, tls_cipher_suite: c.tlsCipher }),
    ...(o.auth && c.user !== "" && { authorized_user: c.user }),
    // nats-server names the account only when it is not the global one.
    ...(o.auth && c.account !== GLOBAL_ACCOUNT && { account: c.account }),
    ...(c.mqttClient !== undefined && { mqtt_client: c.mqttClient }),
    ...(o.subs && c.subs.length > 0 && { subscriptions_list: c.subs.map((s) => s.subject) }),
    ...(o.subsDetail && c.subs.length > 0 && { subscriptions_list_detail: c.subs }),
  };
}
