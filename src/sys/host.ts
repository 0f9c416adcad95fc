/** What the system account's services need from the server; keeps sys/ free of a dependency on server/. */
import type { MonitorHost } from "../monitor/host.ts";
import type { Router } from "../routing/router.ts";
import type { OperatorMode } from "../account/operator.ts";
import type { LatencySink } from "../account/latency.ts";

export interface SysHost extends MonitorHost {
  /** The system account's name and router: its services subscribe and publish there. */
  readonly systemRouter: { readonly name: string; readonly router: Router };
  /** Imports every other account's `$SYS.REQ.ACCOUNT.PING.*` requests from the system account. */
  addSystemImports(): void;
  /** Operator mode's accounts and resolver, for the CLAIMS requests; null otherwise. */
  readonly operator: OperatorMode | null;
  /** Writes what publishes queued on client connections. */
  flushPending(): void;
  /** Hands every account's service latency measures to `sink`, those of accounts added later too, until the returned function is called. */
  onServiceLatency(sink: LatencySink): () => void;
  /** The account of that name (null: $G), to publish in it; null for an unknown account. */
  accountRouter(name: string | null): { readonly router: Router } | null;
}
