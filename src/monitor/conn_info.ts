/** One connection as /connz reports it (nats-server's ConnInfo), from a live client or a closed one. */
import type { Client } from "../client/client.ts";
import type { Connection } from "../connection/connection.ts";
import { tlsVersionNumber } from "../config/tls_config.ts";
import { clientTypeName } from "../protocol/kind.ts";

/** A subscription in /connz?subs=detail and /subsz?subs=1 (nats-server's SubDetail). */
export interface SubDetail {
  account?: string;
  subject: string;
  qgroup?: string;
  sid: string;
  msgs: number;
  max?: number;
  cid: number;
}

/** The numbers connz sorts and prints; times in ms since the epoch, 0 for "not stopped". */
export interface ConnSnapshot {
  cid: number;
  /** "nats", "websocket". */
  type: string;
  ip: string;
  port: number;
  start: number;
  last: number;
  stop: number;
  reason: string;
  pending: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  numSubs: number;
  name: string;
  lang: string;
  version: string;
  tlsVersion: string;
  tlsCipher: string;
  /** The authenticated identity (connz?auth=true), as nats-server's getRawAuthUser. */
  user: string;
  /** The account the connection is bound to. */
  account: string;
  subs: SubDetail[];
  /** An MQTT connection's client ID (connz mqtt_client). */
  mqttClient?: string;
  /** The client's RTT estimate in ms (Client.rtt); absent or 0 before it has one, and for MQTT, as nats-server. */
  rtt?: number;
}

export function subDetails(c: Client, account?: string): SubDetail[] {
  const out: SubDetail[] = [];
  for (const s of c.subs.values()) {
    out.push({
      ...(account !== undefined && { account }),
      subject: s.subject,
      ...(s.queue !== null && { qgroup: s.queue }),
      sid: s.sid,
      msgs: s.delivered,
      ...(s.max > 0 && { max: s.max }),
      cid: c.cid,
    });
  }
  return out;
}

/** What every client connection reports, whatever protocol it speaks. */
export type LinkSnapshot = Omit<ConnSnapshot, "numSubs" | "name" | "lang" | "version" | "user" | "account" | "subs" | "mqttClient">;

export function linkSnapshot(l: Connection, stop: number): LinkSnapshot {
  return {
    cid: l.cid,
    type: clientTypeName(l.clientType),
    ip: l.conn.remoteAddress,
    port: l.conn.remotePort,
    start: l.start,
    last: l.lastIn || l.start,
    stop,
    reason: stop > 0 ? (l.closeReason ?? "") : "",
    pending: l.out.pending,
    inMsgs: l.inMsgs,
    outMsgs: l.outMsgs,
    inBytes: l.inBytes,
    outBytes: l.outBytes,
    tlsVersion: l.tls ? tlsVersionNumber(l.tls.version) : "",
    tlsCipher: l.tls?.cipher ?? "",
  };
}

export function snapshot(c: Client, stop = 0): ConnSnapshot {
  return {
    ...linkSnapshot(c.link, stop),
    numSubs: c.subs.size,
    name: c.opts.name ?? "",
    lang: c.opts.lang ?? "",
    version: c.opts.version ?? "",
    user: c.user?.name ?? c.opts.user ?? c.opts.nkey ?? "",
    account: c.account.name,
    subs: subDetails(c),
    rtt: c.rtt,
  };
}
