/** What the system account's services need from the server; keeps sys/ free of a dependency on server/. */
import type { MonitorHost } from "../monitor/host.ts";
import type { Router } from "../routing/router.ts";

export interface SysHost extends MonitorHost {
  /** The system account's name and router: its services subscribe and publish there. */
  readonly systemRouter: { readonly name: string; readonly router: Router };
  /** Imports every other account's `$SYS.REQ.ACCOUNT.PING.*` requests from the system account. */
  addSystemImports(): void;
  /** Writes what publishes queued on client connections. */
  flushPending(): void;
}
