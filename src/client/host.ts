/** What a client needs from the server that owns it; keeps client/ free of a dependency on server/. */
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import type { PubArg } from "../protocol/parser.ts";
import type { Client } from "./client.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { AuthVerdict } from "../auth/authenticator.ts";

export interface ClientHost {
  readonly options: ServerOptions;
  readonly log: Logger;
  slowConsumers: number;
  /** Outbound bytes pending on a receiver above which its producers are paused. */
  readonly stallThreshold: number;
  /** Routes a published message to every interested subscription. */
  route(from: Client, subject: string, pa: PubArg, buf: Uint8Array, start: number): void;
  /** false when the subject is not a valid subscription subject. */
  addSub(sub: Subscription): boolean;
  removeSub(sub: Subscription): void;
  /** The verdict on the CONNECT's credentials: synchronous when it can be, a promise for bcrypt/Ed25519. */
  authenticate(client: Client): AuthVerdict | Promise<AuthVerdict>;
  queueFlush(client: Client): void;
  flushPending(): void;
  clientClosed(client: Client): void;
}
