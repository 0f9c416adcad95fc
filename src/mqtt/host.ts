/** What MQTT needs from the server it runs in. */
import type { Authenticator } from "../auth/authenticator.ts";
import type { ServerOptions } from "../config/options.ts";
import type { ConnectionHost } from "../connection/connection.ts";
import type { Logger } from "../log/logger.ts";
import type { ConnSnapshot } from "../monitor/conn_info.ts";
import type { Router } from "../routing/router.ts";
import type { Runtime } from "../runtime/types.ts";

export interface MqttHost extends ConnectionHost {
  readonly options: ServerOptions;
  readonly runtime: Runtime;
  readonly router: Router;
  readonly log: Logger;
  readonly auth: Authenticator;
  /** Where /connz finds closed connections. */
  readonly lifecycle: { readonly closed: { add(s: ConnSnapshot): void } };
  flushPending(): void;
  newCid(): number;
}
