/** Route URLs: `nats-route://[user:pass@]host:port` (nats-server's default cluster port 6222). */

export const DEFAULT_ROUTE_PORT = 6222;

export interface RouteURL {
  host: string;
  port: number;
  user?: string;
  pass?: string;
}

export function parseRouteURL(s: string): RouteURL {
  const u = new URL(s);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const out: RouteURL = { host, port: u.port === "" ? DEFAULT_ROUTE_PORT : Number(u.port) };
  if (u.username !== "") {
    out.user = decodeURIComponent(u.username);
    out.pass = decodeURIComponent(u.password);
  }
  return out;
}

export function routeHostPort(u: { host: string; port: number }): string {
  return u.host.includes(":") ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

/** The `host:port` a URL names, to compare a gossiped URL with configured ones. */
export function routeKey(s: string): string {
  try {
    return routeHostPort(parseRouteURL(s));
  } catch {
    return s;
  }
}
