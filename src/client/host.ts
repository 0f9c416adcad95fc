/** What a client needs from the server that owns it; keeps client/ free of a dependency on server/. */
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Client } from "./client.ts";
import type { Connection } from "../connection/connection.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { AuthVerdict } from "../auth/authenticator.ts";

export interface ClientHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  /** Routes a published message to every interested subscription. */
  route(from: Client, subject: string, pa: PubArg, buf: Uint8Array, start: number): void;
  /** false when the subject is not a valid subscription subject. */
  addSub(sub: Subscription): boolean;
  removeSub(sub: Subscription): void;
  /** The verdict on the CONNECT's credentials: synchronous when it can be, a promise for bcrypt/Ed25519. */
  authenticate(client: Client): AuthVerdict | Promise<AuthVerdict>;
  queueFlush(c: Connection): void;
  /** Writes every connection queued during this read cycle. */
  flushPending(): void;
}
