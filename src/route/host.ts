/** What the routes service needs from the server that runs it; keeps route/ free of a dependency on server/. */
import type { LinkSetHost } from "../link/link_set.ts";
import type { Router } from "../routing/router.ts";

export interface RouteHost extends LinkSetHost {
  readonly id: string;
  readonly name: string;
  readonly router: Router;
  /** The INFO fields every connection shares (server_id, version, go, headers, max_payload, client port). */
  readonly info: Readonly<Record<string, unknown>>;
  /** A connection id from the server's one sequence (clients, leafs and routes share it, as in nats-server). */
  newCid(): number;
  /** The cluster's client URLs, ours first, for the connect_urls clients are given. */
  setConnectUrls(urls: string[]): void;
  /** Every account other than $G, with its router: routes carry their interest and messages too. */
  otherAccounts(): { readonly name: string; readonly router: Router }[];
  /** Loads an account a peer names that is not here yet (operator mode's resolver); false when unknown. */
  loadAccount(name: string): boolean;
  /** Calls `listener` with each account added at run time (operator mode); returns how to stop. */
  onAccountAdded(listener: (acc: { readonly name: string; readonly router: Router }) => void): () => void;
  /** Our WebSocket listener (null without one), for the ws_connect_urls our route INFO carries. */
  readonly websocketAddress: { host: string; port: number; advertise?: string } | null;
  /** The cluster's WebSocket URLs, ours first, for the connect_urls WebSocket clients are given. */
  setWebsocketConnectUrls(urls: string[]): void;
}
