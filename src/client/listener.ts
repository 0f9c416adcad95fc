/**
 * A door clients come in through other than the client port (the WebSocket listener; MQTT later): what its
 * clients get instead of the client port's INFO fields, authenticator and auth timeout.
 */
import type { Authenticator } from "../auth/authenticator.ts";
import type { ClientType } from "../protocol/kind.ts";

export interface ClientListener {
  readonly clientType: ClientType;
  /** Read per connection: a config reload replaces the server's authenticator. */
  auth(): Authenticator;
  /** INFO fields laid over the server's (host, port, tls_required, auth_required). */
  info(): Record<string, unknown>;
  /** Overrides the server's auth timeout, in ms. */
  readonly authTimeoutMs?: number;
}
