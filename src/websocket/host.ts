/** What the WebSocket listener needs from the server it serves clients of; keeps websocket/ free of server/. */
import type { Authenticator } from "../auth/authenticator.ts";
import type { ClientListener } from "../client/listener.ts";
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { Conn, ConnHandler, Runtime } from "../runtime/types.ts";

export interface WebSocketHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly runtime: Pick<Runtime, "name" | "serverTLS" | "listen" | "prepareTLS">;
  /** The client port's authenticator, which WebSocket clients share unless the block overrides it. */
  readonly auth: Authenticator;
  /** The cluster's WebSocket URLs once routes run (null before): the connect_urls WebSocket clients get. */
  readonly websocketConnectUrls: string[] | null;
  /** Serves `conn` as a NATS client that came in through `via`. */
  acceptClient(conn: Conn, via: ClientListener): ConnHandler;
  /** MQTT over WebSocket (the /mqtt path): serves `conn` as an MQTT client; absent or null without MQTT. */
  acceptMqttWebSocket?(conn: Conn): ConnHandler | null;
  /** A leaf node over WebSocket (the /leafnode path); null without a leafnode port. */
  acceptLeafWebSocket?(conn: Conn): ConnHandler | null;
  /** Makes `l`'s authenticator the one for its client type. */
  registerListener(l: ClientListener): void;
}
