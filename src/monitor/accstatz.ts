/**
 * /accstatz: per-account connection and message counts (nats-server 2.9's Accstatz and AccountStatz): the
 * live connections, and for the traffic also those that have closed, as nats-server's account counters keep
 * it: `received` is what the account's clients published, `sent` what they were sent.
 * Accounts without client connections (leaf connections do not count) are left out unless `unused`;
 * nats-server 2.9.10 takes no other filter (an `acc` or `accounts` parameter changes nothing), and neither
 * does natsedge.
 */
import type { MonitorHost } from "./host.ts";
import { queryBool, rfc3339 } from "./format.ts";

export interface AccountStatz {
  acc: string;
  conns: number;
  leafnodes: number;
  total_conns: number;
  sent: { msgs: number; bytes: number };
  received: { msgs: number; bytes: number };
  slow_consumers: number;
}

export function accountStatz(srv: MonitorHost, name: string): AccountStatz {
  const gone = srv.lifecycle.accountTotalsGone(name);
  let conns = 0;
  let inMsgs = gone?.inMsgs ?? 0, inBytes = gone?.inBytes ?? 0, outMsgs = gone?.outMsgs ?? 0, outBytes = gone?.outBytes ?? 0;
  for (const c of srv.clients.values()) {
    if (c.account.name !== name) continue;
    conns++;
    inMsgs += c.link.inMsgs;
    inBytes += c.link.inBytes;
    outMsgs += c.link.outMsgs;
    outBytes += c.link.outBytes;
  }
  const leafnodes = srv.leafz(false).filter((l) => l.account === name).length;
  return {
    acc: name,
    conns,
    leafnodes,
    total_conns: conns + leafnodes,
    sent: { msgs: outMsgs, bytes: outBytes },
    received: { msgs: inMsgs, bytes: inBytes },
    slow_consumers: 0,
  };
}

export function accstatz(srv: MonitorHost, q: URLSearchParams): object {
  const unused = queryBool(q, "unused");
  const account_statz = srv.accounts.list().map((a) => accountStatz(srv, a.name)).filter((s) => unused || s.conns > 0);
  return { server_id: srv.id, now: rfc3339(Date.now()), account_statz };
}
