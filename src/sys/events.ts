/**
 * Connection advisories on the system account (nats-server 2.9's `$SYS.ACCOUNT.<account>.CONNECT` and
 * `.DISCONNECT`, ConnectEventMsg and DisconnectEventMsg, for clients and for leaf connections a leaf made to
 * this server; a client refused at CONNECT gets the disconnect one on `$SYS.SERVER.<id>.CLIENT.AUTH.ERR`):
 * built only when someone in the system account listens, so an edge box without a system-account subscriber
 * pays nothing per connection.
 */
import type { Client } from "../client/client.ts";
import { nanos, rfc3339 } from "../monitor/format.ts";
import { clientTypeName } from "../protocol/kind.ts";
import type { Envelope } from "./envelope.ts";
import { nuid } from "../protocol/nuid.ts";

/** nats-server's ClientInfo; `server` (the server's name) where a service latency measure names it. */
export function clientInfo(c: Client, stop: number, server?: string): object {
  const o = c.opts;
  return {
    start: rfc3339(c.link.start),
    host: c.link.conn.remoteAddress,
    id: c.cid,
    acc: c.account.name,
    // A client refused at CONNECT has no user yet: nats-server names the one it asked to be.
    ...(c.user !== null ? { user: c.user.name } : o.user && { user: o.user }),
    ...(o.name && { name: o.name }),
    ...(o.lang && { lang: o.lang }),
    ...(o.version && { ver: o.version }),
    ...(c.rtt > 0 && { rtt: nanos(c.rtt) }),
    ...(server !== undefined && { server }),
    ...(stop > 0 && { stop: rfc3339(stop) }),
    kind: "Client",
    client_type: clientTypeName(c.link.clientType),
  };
}

export function connectEvent(env: Envelope, c: Client): object {
  return {
    type: "io.nats.server.advisory.v1.client_connect",
    id: nuid(),
    timestamp: rfc3339(Date.now()),
    server: env.server(),
    client: clientInfo(c, 0),
  };
}

/** What a closed connection moved and why it closed, as a disconnect advisory reports it. */
interface Traffic {
  readonly inMsgs: number;
  readonly inBytes: number;
  readonly outMsgs: number;
  readonly outBytes: number;
  readonly closeReason: string | null;
}

function disconnectAdvisory(env: Envelope, client: object, now: number, t: Traffic): object {
  return {
    type: "io.nats.server.advisory.v1.client_disconnect",
    id: nuid(),
    timestamp: rfc3339(now),
    server: env.server(),
    client,
    // What the client sent the server, and what it was sent, as nats-server counts them.
    sent: { msgs: t.inMsgs, bytes: t.inBytes },
    received: { msgs: t.outMsgs, bytes: t.outBytes },
    reason: t.closeReason ?? "",
  };
}

export function disconnectEvent(env: Envelope, c: Client): object {
  const now = Date.now();
  return disconnectAdvisory(env, clientInfo(c, now), now, c.link);
}

/** A leaf connection as the system account's events see it (the server fills it from the leaf link). */
export interface LeafLink extends Traffic {
  readonly cid: number;
  readonly start: number;
  readonly host: string;
  readonly account: string;
  /** A leaf that dialled this server: its CONNECT's user, name (the leaf server's) and version. */
  readonly accepted: boolean;
  readonly user: string | undefined;
  readonly name: string;
  readonly version: string | undefined;
}

/** nats-server's ClientInfo for a leaf connection: kind Leafnode, no language or client type. */
function leafInfo(l: LeafLink, stop: number): object {
  return {
    start: rfc3339(l.start),
    host: l.host,
    id: l.cid,
    acc: l.account,
    ...(l.user !== undefined && { user: l.user }),
    ...(l.name !== "" && { name: l.name }),
    ...(l.version !== undefined && l.version !== "" && { ver: l.version }),
    ...(stop > 0 && { stop: rfc3339(stop) }),
    kind: "Leafnode",
  };
}

export function leafConnectEvent(env: Envelope, l: LeafLink): object {
  return { type: "io.nats.server.advisory.v1.client_connect", id: nuid(), timestamp: rfc3339(Date.now()), server: env.server(), client: leafInfo(l, 0) };
}

export function leafDisconnectEvent(env: Envelope, l: LeafLink): object {
  const now = Date.now();
  return disconnectAdvisory(env, leafInfo(l, now), now, l);
}
