/**
 * Dialling a route (nats-server's connectToRoute): an explicit one (from `routes`) is tried for ever, an
 * implicit one (learned by gossip) `connect_retries` more times; both wait DEFAULT_ROUTE_CONNECT between
 * attempts. A route that closes is redialled (nats-server's reConnectToRoute): an explicit one after
 * DEFAULT_ROUTE_RECONNECT plus up to 100 ms of jitter, unless the peer is still reached over another
 * connection (the duplicate that won), in which case it waits for that one to close; an implicit one after
 * the jitter alone, with its `connect_retries` again, unless it lost to a duplicate.
 */
import { CloseReason } from "../connection/close_reason.ts";
import { Connection } from "../connection/connection.ts";
import { Kind } from "../protocol/kind.ts";
import type { Conn, ConnHandler } from "../runtime/types.ts";
import type { Routes } from "./mod.ts";
import { RouteConn } from "./route_conn.ts";
import { type RouteURL, parseRouteURL, routeHostPort } from "./urls.ts";

/** DEFAULT_ROUTE_CONNECT: between failed dials. */
const ROUTE_CONNECT_MS = 1000;
/** DEFAULT_ROUTE_RECONNECT: after an explicit route closed. */
const ROUTE_RECONNECT_MS = 1000;
/** DEFAULT_ROUTE_DIAL. */
const DIAL_TIMEOUT_MS = 1000;

export class RouteSolicitor {
  readonly url: RouteURL;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  current: RouteConn | null = null;
  /** The peer this URL reached last: a duplicate route to it makes us wait rather than redial. */
  remoteId = "";

  constructor(
    private readonly svc: Routes,
    readonly raw: string,
    readonly explicit: boolean,
  ) {
    this.url = parseRouteURL(raw);
  }

  start(): void {
    void this.dial();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.dial();
    }, ms);
  }

  private async dial(): Promise<void> {
    if (this.stopped || this.current !== null) return;
    if (this.remoteId !== "" && this.svc.connectedTo(this.remoteId)) {
      // An implicit route is not waited for: the connection that reaches the peer now is enough.
      if (!this.explicit) {
        this.stop();
        this.svc.forget(this);
      }
      return;
    }
    const attempt = ++this.attempts;
    this.svc.log.debugf(`Trying to connect to route on ${routeHostPort(this.url)}`);
    try {
      await this.svc.runtime.dial(this.url.host, this.url.port, { open: (conn) => this.open(conn), timeoutMs: DIAL_TIMEOUT_MS });
    } catch (err) {
      if (this.stopped) return;
      if (attempt === 1 || attempt % 3600 === 0) {
        this.svc.log.error(`Error trying to connect to route (attempt ${attempt}): ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!this.explicit && attempt > (this.svc.options.cluster?.connect_retries ?? 0)) {
        this.svc.forget(this);
        return;
      }
      this.schedule(ROUTE_CONNECT_MS);
    }
  }

  private open(conn: Conn): ConnHandler {
    const link = new Connection(this.svc.newCid(), conn, this.svc, Kind.ROUTER);
    const route = new RouteConn(link, this.svc, true, this.raw, this.explicit);
    this.current = route;
    this.svc.track(route);
    this.svc.opened(route, this.url);
    if (this.stopped) link.close(CloseReason.serverShutdown);
    return link;
  }

  connected(route: RouteConn): void {
    this.attempts = 0;
    this.remoteId = route.peer.id;
  }

  /** The route this solicitor dialled closed; `self` when it reached this very server. */
  closed(route: RouteConn, self: boolean): void {
    if (this.current !== route) return;
    this.current = null;
    const jitter = Math.floor(Math.random() * 100);
    if (self || (!this.explicit && route.link.closeReason === CloseReason.duplicateRoute)) {
      this.stop();
      this.svc.forget(this);
      return;
    }
    this.schedule(this.explicit ? ROUTE_RECONNECT_MS + jitter : jitter);
  }

  /** The route to our peer over another connection closed: it is our turn again. */
  wake(): void {
    if (this.current === null && this.explicit) this.schedule(ROUTE_RECONNECT_MS + Math.floor(Math.random() * 100));
  }
}
