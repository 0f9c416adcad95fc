/**
 * The mqtt block's own authorization (nats-server's mqttConfigAuth) and its start-up checks
 * (validateMQTTOptions): a user, a token or a no_auth_user there overrides the server's authorization for
 * MQTT clients only.
 */
import { Authenticator } from "../auth/authenticator.ts";
import type { ServerOptions } from "../config/options.ts";

/** The first reason `o` cannot serve MQTT, in nats-server's words, or null. */
export function mqttOptionsError(o: ServerOptions): string | null {
  if (!o.server_name) return "mqtt requires server name to be explicitly set";
  if (o.jetstream?.enabled !== true) return "mqtt requires JetStream to be enabled if running in standalone mode";
  const m = o.mqtt!;
  const users = o.authorization?.users ?? [];
  if (m.no_auth_user !== undefined && !users.some((u) => u.user === m.no_auth_user || u.nkey === m.no_auth_user)) {
    return `mqtt no_auth_user: "${m.no_auth_user}" not present as user or nkey in authorization block or account configuration`;
  }
  if (users.length > 0 && m.authorization?.user !== undefined) return "mqtt authentication username not compatible with presence of users/nkeys";
  if (users.length > 0 && m.authorization?.token !== undefined) return "mqtt authentication token not compatible with presence of users/nkeys";
  return null;
}

/** The override's authenticator, or null when the block has none and MQTT clients use the server's. */
export function mqttAuthenticator(o: ServerOptions): Authenticator | null {
  const m = o.mqtt;
  const a = m?.authorization;
  if (a?.user === undefined && a?.token === undefined && m?.no_auth_user === undefined) return null;
  const authorization =
    a?.user !== undefined ? { user: a.user, password: a.password ?? "" } : a?.token !== undefined ? { token: a.token } : o.authorization;
  // No certificate mapping: MQTT clients authenticate with the CONNECT's user name and password.
  const { tls: _tls, ...rest } = o;
  return new Authenticator({ ...rest, authorization, no_auth_user: m?.no_auth_user ?? o.no_auth_user });
}
