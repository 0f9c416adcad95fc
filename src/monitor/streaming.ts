/**
 * NATS Streaming's monitoring pages (nats-streaming-server's server/monitor.go) on the monitoring port:
 * /streaming/serverz, /storez, /clientsz and /channelsz with its field names, its offset/limit paging (offset
 * below 0 is 0, a limit of 0 or less is 1024), `subs=1`, `client=` and `channel=`, and its 404 texts.
 */
import type { MonitorHost, StreamingClientView, StreamingSubz, StreamingView } from "./host.ts";
import { rfc3339, uptime } from "./format.ts";
import { NATSEDGE_VERSION } from "../version.ts";
import { nodeFs } from "../runtime/lazy_fs.ts";

const DEFAULT_LIST_LIMIT = 1024;

/** A 404 in nats-streaming-server's words ("Channel foo not found"), written as text. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** Go's strconv.Atoi as nats-streaming-server reads these parameters: anything unparsable is 0. */
function atoi(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  return v !== null && /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : 0;
}

function page(q: URLSearchParams, total: number): { offset: number; limit: number; from: number; to: number } {
  const offset = Math.max(0, atoi(q, "offset"));
  const l = atoi(q, "limit");
  const limit = l <= 0 ? DEFAULT_LIST_LIMIT : l;
  return { offset, limit, from: Math.min(offset, total), to: Math.min(offset + limit, total) };
}

function envelope(stan: StreamingView): { cluster_id: string; server_id: string; now: string } {
  return { cluster_id: stan.clusterID, server_id: stan.serverID, now: rfc3339(Date.now()) };
}

function totals(stan: StreamingView): { msgs: number; bytes: number } {
  let msgs = 0;
  let bytes = 0;
  for (const ch of stan.channels().values()) {
    const st = ch.state();
    msgs += st.msgs;
    bytes += st.bytes;
  }
  return { msgs, bytes };
}

function running(srv: MonitorHost): StreamingView {
  const stan = srv.streaming();
  // Without streaming these pages do not exist, as on a nats-server.
  if (stan === null) throw new NotFoundError("404 page not found");
  return stan;
}

export function serverz(srv: MonitorHost): object {
  const stan = running(srv);
  const now = Date.now();
  const t = totals(stan);
  const s = stan.stats();
  let subscriptions = 0;
  for (const c of stan.clients().values()) for (const subs of c.subscriptions().values()) subscriptions += subs.length;
  return {
    ...envelope(stan),
    version: NATSEDGE_VERSION,
    // As in /varz: the runtime in the Go version's place.
    go: `natsedge ${NATSEDGE_VERSION} (${srv.runtime.name} ${srv.runtime.version})`,
    state: "STANDALONE",
    start_time: rfc3339(stan.startedAt),
    uptime: uptime(now - stan.startedAt),
    clients: stan.clients().size,
    subscriptions,
    channels: stan.channels().size,
    total_msgs: t.msgs,
    total_bytes: t.bytes,
    in_msgs: s.inMsgs,
    in_bytes: s.inBytes,
    out_msgs: s.outMsgs,
    out_bytes: s.outBytes,
    ...fileDescriptors(),
  };
}

/** The process's open file descriptors and their soft limit, as nats-streaming-server reports them (Linux). */
function fileDescriptors(): { open_fds: number; max_fds: number } {
  try {
    const fs = nodeFs();
    const open = fs.readdirSync("/proc/self/fd").length;
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"));
    return { open_fds: open, max_fds: m === null || m[1] === "unlimited" ? 0 : Number(m[1]) };
  } catch {
    return { open_fds: 0, max_fds: 0 };
  }
}

export function storez(srv: MonitorHost): object {
  const stan = running(srv);
  const t = totals(stan);
  return { ...envelope(stan), type: stan.storeType, limits: stan.limits(), total_msgs: t.msgs, total_bytes: t.bytes };
}

function clientz(c: StreamingClientView, subs: boolean): object {
  const bySubject = c.subscriptions();
  let count = 0;
  for (const list of bySubject.values()) count += list.length;
  const out: Record<string, unknown> = { id: c.id, hb_inbox: c.hbInbox, subs_count: count };
  if (subs) {
    // omitempty: a client without subscriptions has no map.
    if (bySubject.size > 0) out.subscriptions = Object.fromEntries(bySubject);
  }
  return out;
}

export function clientsz(srv: MonitorHost, q: URLSearchParams): object {
  const stan = running(srv);
  const subs = atoi(q, "subs") === 1;
  const one = q.get("client");
  if (one !== null && one !== "") {
    const c = stan.clients().get(one);
    if (c === undefined) throw new NotFoundError(`Client ${one} not found`);
    return clientz(c, subs);
  }
  const ids = [...stan.clients().keys()].sort();
  const p = page(q, ids.length);
  const clients = ids.slice(p.from, p.to).map((id) => clientz(stan.clients().get(id)!, subs));
  return { ...envelope(stan), offset: p.offset, limit: p.limit, count: clients.length, total: ids.length, clients };
}

function channelz(stan: StreamingView, name: string, subs: boolean): object {
  const ch = stan.channels().get(name)!;
  const list: StreamingSubz[] = ch.subscriptions();
  const out: Record<string, unknown> = { name, ...ch.state(), subs_count: list.length };
  if (subs && list.length > 0) out.subscriptions = list;
  return out;
}

export function channelsz(srv: MonitorHost, q: URLSearchParams): object {
  const stan = running(srv);
  const subs = atoi(q, "subs") === 1;
  const one = q.get("channel");
  if (one !== null && one !== "") {
    if (!stan.channels().has(one)) throw new NotFoundError(`Channel ${one} not found`);
    return channelz(stan, one, subs);
  }
  const names = [...stan.channels().keys()].sort();
  const p = page(q, names.length);
  const shown = names.slice(p.from, p.to);
  const out: Record<string, unknown> = { ...envelope(stan), offset: p.offset, limit: p.limit, count: shown.length, total: names.length };
  // omitempty on both lists: no channels, neither key.
  if (shown.length > 0) {
    if (subs) out.channels = shown.map((n) => channelz(stan, n, true));
    else out.names = shown;
  }
  return out;
}

/** The /streaming index page, as nats-streaming-server's handleRootz links its four pages. */
export function streamingPage(base: string): string {
  const links = ["serverz", "storez", "clientsz", "channelsz"].map((p) => `    <a href="${base}/streaming/${p}">${p.replace(/z$/, "")}</a><br/>`).join("\n");
  return `<html lang="en">\n  <body>\n    <h1>NATS Streaming</h1>\n${links}\n  </body>\n</html>\n`;
}
