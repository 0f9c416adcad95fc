/** What a client needs from the server that owns it; keeps client/ free of a dependency on server/. */
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Client } from "./client.ts";
import type { Connection } from "../connection/connection.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { AuthVerdict } from "../auth/authenticator.ts";
import type { Publisher } from "../routing/endpoint.ts";

/** The account a client publishes and subscribes in (src/account/account.ts). */
export interface ClientAccount {
  readonly name: string;
  /** Routes a published message to every interested subscription of the account. */
  route(from: Publisher, subject: string, pa: PubArg, buf: Uint8Array, start: number): void;
  /** false when the subject is not a valid subscription subject. */
  addSub(sub: Subscription): boolean;
  removeSub(sub: Subscription): void;
}

export interface ClientHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  /** The account of that name; null (or a name no longer configured) gives the global account. */
  accountFor(name: string | null): ClientAccount;
  /** A new client of that account would be past the account's `limits { max_connections }` (null: $G, no limit). */
  maxConnectionsReached(account: string | null): boolean;
  /** The INFO as the client would get it now: its own id, address and payload cap (generateClientInfoJSON). */
  infoFor(c: Client): Uint8Array;
  /** A client's CONNECT was accepted (the system account's connect advisory). */
  clientConnected(c: Client): void;
  /** The verdict on the CONNECT's credentials: synchronous when it can be, a promise for bcrypt/Ed25519. */
  authenticate(client: Client): AuthVerdict | Promise<AuthVerdict>;
  queueFlush(c: Connection): void;
  /** Writes every connection queued during this read cycle. */
  flushPending(): void;
}
