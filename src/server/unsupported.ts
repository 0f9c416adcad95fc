/**
 * Configured features that natsedge parses but does not serve yet. Starting anyway would silently drop
 * security or durability the operator asked for, so the server refuses to start and names them.
 */
import type { ServerOptions } from "../config/options.ts";

export function unsupportedOptions(o: ServerOptions): string[] {
  const out: string[] = [];
  if (o.tls?.pinned_certs) out.push("tls.pinned_certs");
  if (o.authorization?.users?.some((u) => u.allowed_connection_types !== undefined)) out.push("authorization.users.allowed_connection_types");
  if (o.authorization?.users?.some((u) => u.account !== undefined)) out.push("authorization.users.account");
  const leaf = o.leafnodes;
  if (leaf !== undefined) {
    out.push(...(leaf.unapplied ?? []));
    if (leaf.tls?.verify_and_map) out.push("leafnodes.tls.verify_and_map");
    if (leaf.tls?.pinned_certs) out.push("leafnodes.tls.pinned_certs");
    for (const r of leaf.remotes ?? []) {
      if (r.nkey !== undefined) out.push("leafnodes.remotes.nkey");
    }
  }
  return out;
}
