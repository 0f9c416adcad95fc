/**
 * /subsz (alias /subscriptionsz): sublist statistics summed over every account, as nats-server 2.9.10's Subsz
 * does, and with subs=1 the subscriptions themselves; `acc` keeps one account's. The system account's
 * requests ask for the `full` form, which carries the header and paging fields even without the list.
 */
import type { AccountView, MonitorHost } from "./host.ts";
import { isValidLiteralSubject, matchLiteral } from "../subject/subject.ts";
import type { SublistStats } from "../subject/sublist.ts";
import type { SubDetail } from "./conn_info.ts";
import { QueryError, queryBool, queryInt, rfc3339 } from "./format.ts";

/** nats-server's DefaultSubListSize. */
const DEFAULT_LIMIT = 1024;

/**
 * nats-server's SublistStats.add: counts summed, the largest fanout kept, and the hit rate and average
 * fanout recomputed from the hits and fanout totals they were derived from.
 */
function sumStats(accounts: AccountView[]): SublistStats {
  let hits = 0, fanout = 0;
  const sum: SublistStats = { num_subscriptions: 0, num_cache: 0, num_inserts: 0, num_removes: 0, num_matches: 0, cache_hit_rate: 0, max_fanout: 0, avg_fanout: 0 };
  for (const a of accounts) {
    const s = a.router.sublist.stats();
    sum.num_subscriptions += s.num_subscriptions;
    sum.num_cache += s.num_cache;
    sum.num_inserts += s.num_inserts;
    sum.num_removes += s.num_removes;
    sum.num_matches += s.num_matches;
    sum.max_fanout = Math.max(sum.max_fanout, s.max_fanout);
    hits += Math.round(s.cache_hit_rate * s.num_matches);
    fanout += Math.round(s.avg_fanout * s.num_cache);
  }
  if (fanout > 0) sum.avg_fanout = fanout / sum.num_cache;
  if (sum.num_matches > 0) sum.cache_hit_rate = hits / sum.num_matches;
  return sum;
}

export function subsz(srv: MonitorHost, q: URLSearchParams, full = false): object {
  const subs = queryBool(q, "subs");
  const offset = Math.max(0, queryInt(q, "offset"));
  let limit = queryInt(q, "limit");
  if (limit <= 0) limit = DEFAULT_LIMIT;
  const test = q.get("test") ?? "";
  if (test !== "" && !isValidLiteralSubject(test)) {
    throw new QueryError(`invalid test subject, must be valid publish subject: ${test}`);
  }
  const acc = q.get("acc") ?? "";
  const accounts = srv.accounts.list().filter((a) => acc === "" || a.name === acc);
  const stats = sumStats(accounts);
  // nats-server's HTTP handler answers with the bare statistics unless the list is asked for.
  if (!subs && !full) return stats;

  let all: SubDetail[] = [];
  if (subs) {
    all = accounts.flatMap((a) => a.router.sublist.all().map((s) => ({
      account: a.name,
      subject: s.subject,
      ...(s.queue !== null && { qgroup: s.queue }),
      sid: s.sid,
      msgs: s.delivered,
      ...(s.max > 0 && { max: s.max }),
      cid: s.client.cid,
    })));
  }
  if (test !== "") all = all.filter((s) => matchLiteral(test, s.subject));
  return {
    server_id: srv.id,
    now: rfc3339(Date.now()),
    ...stats,
    total: all.length,
    offset,
    limit,
    ...(all.length > 0 && { subscriptions_list: all.slice(Math.min(offset, all.length), Math.min(offset + limit, all.length)) }),
  };
}
