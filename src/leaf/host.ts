/** What the leaf node service needs from the server that runs it; keeps leaf/ free of a dependency on server/. */
import type { AuthVerdict } from "../auth/authenticator.ts";
import type { ConnectingPeer } from "../auth/jwt_user_limits.ts";
import type { ConnectOptions } from "../protocol/connect.ts";
import type { LinkSetHost } from "../link/link_set.ts";
import type { Router } from "../routing/router.ts";
import type { TLSState } from "../runtime/types.ts";
import type { LeafConn } from "./leaf_conn.ts";

export interface LeafHost extends LinkSetHost {
  readonly id: string;
  readonly name: string;
  readonly router: Router;
  /** The INFO fields every connection shares (server_id, version, go, headers, max_payload, jetstream). */
  readonly info: Readonly<Record<string, unknown>>;
  /** Client authorization, which applies to a leaf when the leafnodes block has none of its own. */
  readonly auth: {
    readonly required: boolean;
    authenticate(opts: ConnectOptions, nonce: string | null, tls: TLSState | null, peer?: ConnectingPeer): AuthVerdict | Promise<AuthVerdict>;
  };
  /** A connection id from the server's one sequence (clients and leafs share it, as in nats-server). */
  newCid(): number;
  /** A leaf link is set up, or has closed after it was (the system account's advisories and account counts). */
  leafUp(leaf: LeafConn): void;
  leafDown(leaf: LeafConn): void;
  /** The account of that name (null: $G) and its router; null when there is none. */
  accountRouter(name: string | null): { readonly name: string; readonly router: Router } | null;
}
