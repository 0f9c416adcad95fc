/**
 * The websocket block's own authorization (nats-server's wsConfigAuth): a user, a token or a no_auth_user
 * there overrides the server's authorization for WebSocket clients only.
 */
import { Authenticator } from "../auth/authenticator.ts";
import type { ServerOptions } from "../config/options.ts";

/** The override's authenticator, or null when the block has none and WebSocket clients use the server's. */
export function websocketAuthenticator(o: ServerOptions): Authenticator | null {
  const ws = o.websocket;
  const a = ws?.authorization;
  if (a?.user === undefined && a?.token === undefined && ws?.no_auth_user === undefined) return null;
  const authorization =
    a?.user !== undefined ? { user: a.user, password: a.password ?? "" } : a?.token !== undefined ? { token: a.token } : o.authorization;
  // The client port's TLS does not apply: WebSocket TLS ends in the HTTP listener, with no certificate to map.
  const { tls: _tls, ...rest } = o;
  // A user or token of the block's own replaces every user, the accounts' users too.
  const own = a?.user !== undefined || a?.token !== undefined;
  return new Authenticator({ ...rest, authorization, no_auth_user: ws?.no_auth_user, ...(own && { accounts: undefined }) });
}
