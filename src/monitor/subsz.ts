/** /subsz (alias /subscriptionsz): sublist statistics and, with subs=1, the subscriptions themselves. */
import type { MonitorHost } from "./host.ts";
import { isValidLiteralSubject, matchLiteral } from "../subject/subject.ts";
import type { SubDetail } from "./conn_info.ts";
import { QueryError, queryBool, queryInt, rfc3339 } from "./format.ts";

/** nats-server's DefaultSubListSize. */
const DEFAULT_LIMIT = 1024;

export function subsz(srv: MonitorHost, q: URLSearchParams): object {
  const subs = queryBool(q, "subs");
  const offset = Math.max(0, queryInt(q, "offset"));
  let limit = queryInt(q, "limit");
  if (limit <= 0) limit = DEFAULT_LIMIT;
  const test = q.get("test") ?? "";
  if (test !== "" && !isValidLiteralSubject(test)) {
    throw new QueryError(`invalid test subject, must be valid publish subject: ${test}`);
  }
  const stats = srv.router.sublist.stats();
  // nats-server answers with the bare statistics unless the list is asked for.
  if (!subs) return stats;

  let all: SubDetail[] = srv.router.sublist.all().map((s) => ({
    account: "$G",
    subject: s.subject,
    ...(s.queue !== null && { qgroup: s.queue }),
    sid: s.sid,
    msgs: s.delivered,
    ...(s.max > 0 && { max: s.max }),
    cid: s.client.cid,
  }));
  if (test !== "") all = all.filter((s) => matchLiteral(test, s.subject));
  const acc = q.get("acc");
  if (acc !== null && acc !== "" && acc !== "$G") all = [];
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
