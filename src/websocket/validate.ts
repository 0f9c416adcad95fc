/** nats-server's validateWebsocketOptions: what makes a `websocket {}` block refuse to start, in its words. */
import type { ServerOptions } from "../config/options.ts";

/** The first problem with o.websocket, or null. A block without a port is not checked: it opens nothing. */
export function websocketOptionsError(o: ServerOptions): string | null {
  const ws = o.websocket;
  if (ws === undefined || !ws.port) return null;
  if (ws.tls === undefined && ws.no_tls !== true) return "websocket requires TLS configuration";
  // nats-server's Users and Nkeys hold the accounts' users too.
  const users = [...(o.authorization?.users ?? []), ...(o.accounts ?? []).flatMap((a) => a.users ?? [])];
  if (ws.no_auth_user !== undefined) {
    if (users.length === 0) return `no_auth_user: "${ws.no_auth_user}" present, but users/nkeys are not defined`;
    if (!users.some((u) => u.user === ws.no_auth_user || u.nkey === ws.no_auth_user)) {
      return `no_auth_user: "${ws.no_auth_user}" not present as user in authorization block or account configuration`;
    }
  }
  if (users.length > 0) {
    if (ws.authorization?.user !== undefined) return "websocket authentication username not compatible with presence of users/nkeys";
    if (ws.authorization?.token !== undefined) return "websocket authentication token not compatible with presence of users/nkeys";
  }
  if (ws.jwt_cookie !== undefined && !(o.operator?.length ?? 0) && !(o.trusted_keys?.length ?? 0)) {
    return `trusted operators or trusted keys configuration is required for JWT authentication via cookie "${ws.jwt_cookie}"`;
  }
  return null;
}
