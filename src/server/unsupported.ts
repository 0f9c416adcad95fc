/**
 * Configured features that natsedge parses but does not serve yet. Starting anyway would silently drop
 * security or durability the operator asked for, so the server refuses to start and names them.
 */
import type { ServerOptions } from "../config/options.ts";

export function unsupportedOptions(o: ServerOptions): string[] {
  const out: string[] = [];
  if (o.tls) out.push("tls");
  const a = o.authorization;
  if (a?.users?.length) out.push("authorization.users");
  if (a?.default_permissions) out.push("authorization.default_permissions");
  if (a?.password !== undefined && /^\$2[abxy]\$\d{2}\$/.test(a.password)) out.push("authorization.password (bcrypt)");
  if (a?.token !== undefined && /^\$2[abxy]\$\d{2}\$/.test(a.token)) out.push("authorization.token (bcrypt)");
  if (o.no_auth_user) out.push("no_auth_user");
  if (o.jetstream?.enabled) out.push("jetstream");
  if (o.cluster) out.push("cluster");
  if (o.leafnodes) out.push("leafnodes");
  if (o.http_port !== undefined || o.https_port !== undefined) out.push("http_port");
  return out;
}
