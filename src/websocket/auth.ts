/**
 * The authenticator for WebSocket clients. The block's own authorization (nats-server's wsConfigAuth): a
 * user, a token or a no_auth_user there overrides the server's authorization for WebSocket clients only.
 * verify_and_map is the block's TLS setting, not the client port's (auth.go takes Websocket.TLSMap for them).
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
  // A user or token of the block's own replaces every user, the accounts' users too.
  const own = a?.user !== undefined || a?.token !== undefined;
  return new Authenticator({ ...o, tls: ws?.tls, authorization, no_auth_user: ws?.no_auth_user, ...(own && { accounts: undefined }) });
}

/** Does the block map certificates differently from the client port, so the server's authenticator will not do? */
export function mapsOwnCertificates(o: ServerOptions): boolean {
  return (o.websocket?.tls?.verify_and_map === true) !== (o.tls?.verify_and_map === true);
}

/** The server's authorization with the block's verify_and_map (no override in the block). */
export function withWebsocketTLS(o: ServerOptions): Authenticator {
  return new Authenticator({ ...o, tls: o.websocket?.tls });
}
