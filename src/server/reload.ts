/**
 * Config reload (SIGHUP, `--signal reload`): applies a newly loaded set of options to the running server the
 * way nats-server's ReloadOptions does (server/reload.go). Options that cannot change at runtime fail the whole
 * reload with nats-server's "config reload not supported for <Field>: old=..., new=..." and leave the running
 * configuration untouched; so does a new config that does not validate (e.g. unreadable TLS files).
 *
 * Configured accounts reload as in nats-server's reloadAuthorization: accounts are added and removed, exports,
 * imports and mappings linked again (Accounts.reload); then services follow (JetStream per account, leaf links
 * and route interest of removed accounts). no_auth_user can only be dropped with its user, system_account
 * not changed, both refused in nats-server's words.
 *
 * An authorization change re-authenticates every connected client with its original CONNECT: a client whose
 * credentials no longer pass gets `-ERR 'Authorization Violation'` and is closed; one whose user was removed
 * from the users list, or moved to another account, is closed as "Client Closed"; the others take their
 * user's new permissions, and subscriptions those no longer allow are removed with `-ERR 'Permissions
 * Violation for Subscription to "<subject>" (sid "<sid>")'` (client.go processSubsOnConfigReload).
 */
import fs from "node:fs";
import process from "node:process";
import type { ClusterOptions, LeafNodeOptions, ServerOptions, TLSOptions } from "../config/options.ts";
import { Authenticator, type AuthVerdict } from "../auth/authenticator.ts";
import type { Client } from "../client/client.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { ERR } from "../protocol/errors.ts";
import { goQuote } from "../protocol/encode.ts";
import type { TLSServerConfig } from "../runtime/types.ts";
import type { Server } from "./server.ts";
import { tlsClientConfig, tlsServerConfig } from "../config/tls_config.ts";
import { DEFAULT_SYSTEM_ACCOUNT, GLOBAL_ACCOUNT } from "../account/registry.ts";
import { leafAccountsError } from "../leaf/accounts_check.ts";
import { SYSTEM } from "./builtin_services.ts";

import { ReloadError } from "./reload_error.ts";

export { ReloadError };

type Key = keyof ServerOptions;

/** Options nats-server cannot reload, by the Go field name its error message uses. */
const NOT_RELOADABLE: Partial<Record<Key, string>> = {
  host: "Host",
  port: "Port",
  server_name: "ServerName",
  max_pending: "MaxPending",
  max_subscriptions: "MaxSubs",
  max_sub_tokens: "MaxSubTokens",
  no_header_support: "NoHeaderSupport",
  disable_sublist_cache: "NoSublistCache",
  http_host: "HTTPHost",
  http_port: "HTTPPort",
  https_port: "HTTPSPort",
  http_base_path: "HTTPBasePath",
  lame_duck_duration: "LameDuckDuration",
  lame_duck_grace_period: "LameDuckGracePeriod",
  max_closed_clients: "MaxClosedClients",
  no_system_account: "NoSystemAccount",
  jetstream: "JetStream",
  mqtt: "MQTT",
  // natsedge's file sink is opened by the CLI; moving or resizing it needs a restart for now.
  log_file: "LogFile",
  log_size_limit: "LogSizeLimit",
};

/** Printed after `Reloaded: ` (nats-server's Apply messages); secrets are named, never shown. */
const RELOADED: Partial<Record<Key, (v: unknown) => string>> = {
  debug: (v) => `debug = ${v}`,
  trace: (v) => `trace = ${v}`,
  trace_verbose: (v) => `trace_verbose = ${v}`,
  logtime: (v) => `logtime = ${v}`,
  logtime_utc: (v) => `logtime_utc = ${v}`,
  tls: (v) => `tls = ${v === undefined ? "disabled" : "enabled"}`,
  authorization: () => "authorization",
  max_connections: (v) => `max_connections = ${v}`,
  max_payload: (v) => `max_payload = ${v}`,
  max_control_line: (v) => `max_control_line = ${v}`,
  ping_interval: (v) => `ping_interval = ${Number(v) / 1000}s`,
  ping_max: (v) => `ping_max = ${v}`,
  write_deadline: (v) => `write_deadline = ${Number(v) / 1000}s`,
  pid_file: (v) => `pid_file = ${v ?? ""}`,
  ports_file_dir: (v) => `ports_file_dir = ${v ?? ""}`,
  client_advertise: (v) => `client_advertise = ${v ?? ""}`,
  max_traced_msg_len: (v) => `max_traced_msg_len = ${v}`,
  server_tags: () => "tags",
  // nats-server's top-level mappings are $G's: a change to either is its accountsOption.
  accounts: () => "accounts",
  mappings: () => "accounts",
};

/** Where a block sits in the file (`at`) is no part of what it configures: moving it changes nothing. */
const positionless = (k: string, v: unknown) => (k === "at" ? undefined : v);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, positionless) === JSON.stringify(b, positionless);
}

/** Accounts hold users' passwords: an error names the accounts only. */
function show(v: unknown, k?: Key): string {
  if (k === "accounts" && Array.isArray(v)) return JSON.stringify(v.map((a: { name: string }) => a.name));
  return v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * nats-server's validateClusterOpts: a cluster block can change its routes, authorization, TLS and
 * advertising at runtime, not where it listens; adding or removing the whole block needs a restart.
 */
function checkCluster(cur: ClusterOptions | undefined, next: ClusterOptions | undefined): void {
  if (cur === undefined || next === undefined) {
    throw new ReloadError(`config reload not supported for Cluster: old=${show(cur)}, new=${show(next)}`);
  }
  if ((cur.host ?? "") !== (next.host ?? "")) throw new ReloadError(`config reload not supported for cluster host: old=${cur.host ?? ""}, new=${next.host ?? ""}`);
  // A random port (-1) keeps the bound one, as for the client port.
  if (next.port !== -1 && (cur.port ?? 0) !== (next.port ?? 0)) throw new ReloadError(`config reload not supported for cluster port: old=${cur.port ?? 0}, new=${next.port ?? 0}`);
  if (cur.name !== next.name) throw new ReloadError(`config reload not supported for cluster name: old=${cur.name ?? ""}, new=${next.name ?? ""}`);
  if (next.tls !== undefined && !same(cur.tls, next.tls)) {
    try {
      tlsServerConfig(next.tls);
    } catch (err) {
      throw new ReloadError(`cluster.tls: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Certificate material nats-server reloads in a TLS block (its tlsConfigOpts); timeout and the rest do not. */
const TLS_MATERIAL = ["cert_file", "key_file", "ca_file", "verify", "insecure", "cipher_suites", "curve_preferences"] as const;

function withoutTLSMaterial(t: TLSOptions | undefined): TLSOptions | undefined {
  if (t === undefined) return undefined;
  const rest: TLSOptions = { ...t };
  for (const k of TLS_MATERIAL) delete rest[k];
  return rest;
}

/**
 * nats-server's leafnode case: the block compared with its own and its remotes' TLS certificate material left
 * out. Only that material reloads; any other change (remotes, listen, authorization) needs a restart.
 */
function checkLeafnodes(cur: LeafNodeOptions | undefined, next: LeafNodeOptions | undefined): void {
  const strip = (o: LeafNodeOptions | undefined) =>
    o === undefined ? undefined : { ...o, tls: withoutTLSMaterial(o.tls), remotes: o.remotes?.map((r) => ({ ...r, tls: withoutTLSMaterial(r.tls) })) };
  if (cur === undefined || next === undefined || !same(strip(cur), strip(next))) {
    throw new ReloadError(`config reload not supported for LeafNode: old=${show(cur)}, new=${show(next)}`);
  }
  for (const t of [next.tls, ...(next.remotes ?? []).map((r) => r.tls)]) {
    if (t === undefined) continue;
    try {
      if (t.cert_file !== undefined && t === next.tls) tlsServerConfig(t);
      else tlsClientConfig(t);
    } catch (err) {
      throw new ReloadError(`leafnodes.tls: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * nats-server's noauthuser case: no_auth_user cannot be set or changed at run time, only dropped together
 * with its user.
 */
function checkNoAuthUser(cur: ServerOptions, next: ServerOptions): void {
  const old = cur.no_auth_user;
  const users = [...(next.authorization?.users ?? []), ...(next.accounts ?? []).flatMap((a) => a.users ?? [])];
  if (old !== undefined && next.no_auth_user === undefined && !users.some((u) => (u.user ?? u.nkey) === old)) return;
  throw new ReloadError(`config reload not supported for NoAuthUser: old=${old ?? ""}, new=${next.no_auth_user ?? ""}`);
}

/** nats-server's systemaccount case: only an explicit $SYS may go back to the default, which is $SYS. */
function checkSystemAccount(cur: ServerOptions, next: ServerOptions): void {
  if (cur.system_account === DEFAULT_SYSTEM_ACCOUNT && next.system_account === undefined) return;
  throw new ReloadError(`config reload not supported for SystemAccount: old=${cur.system_account ?? ""}, new=${next.system_account ?? ""}`);
}

/** Operator mode's accounts come from JWTs (CLAIMS.UPDATE applies them); configured ones do not reload there. */
function checkOperatorAccounts(cur: ServerOptions, next: ServerOptions, k: "accounts" | "mappings"): void {
  if ((cur.operator ?? []).length === 0) return;
  const goName = k === "accounts" ? "Accounts" : "Mappings";
  throw new ReloadError(`config reload not supported for ${goName}: old=${show(cur[k], k)}, new=${show(next[k], k)}`);
}

/** nats-server validates the leafnodes block again on reload: an account it names cannot be removed. */
function checkLeafnodeAccounts(next: ServerOptions): void {
  if (next.leafnodes === undefined) return;
  const names = new Set([GLOBAL_ACCOUNT, next.system_account ?? DEFAULT_SYSTEM_ACCOUNT, ...(next.accounts ?? []).map((a) => a.name)]);
  const err = leafAccountsError(next.leafnodes, (name) => names.has(name));
  if (err !== null) throw new Error(err);
}

/** The options that differ, refusing any that cannot change at runtime. */
function diff(cur: ServerOptions, next: ServerOptions): Key[] {
  const keys = new Set([...Object.keys(cur), ...Object.keys(next)] as Key[]);
  keys.delete("config_file");
  const changed: Key[] = [];
  for (const k of keys) {
    if (same(cur[k], next[k])) continue;
    if (k === "cluster") checkCluster(cur.cluster, next.cluster);
    if (k === "leafnodes") checkLeafnodes(cur.leafnodes, next.leafnodes);
    if (k === "websocket") checkWebsocket(cur, next);
    if (k === "no_auth_user") checkNoAuthUser(cur, next);
    if (k === "system_account") checkSystemAccount(cur, next);
    if (k === "accounts" || k === "mappings") checkOperatorAccounts(cur, next, k);
    const goName = NOT_RELOADABLE[k];
    if (goName !== undefined) {
      throw new ReloadError(`config reload not supported for ${goName}: old=${show(cur[k], k)}, new=${show(next[k], k)}`);
    }
    changed.push(k);
  }
  return changed;
}

/**
 * nats-server reloads a websocket block whose only change is its TLS settings (new handshakes use them) and
 * refuses any other change. Adding or removing TLS would turn ws into wss: refused too.
 */
function checkWebsocket(cur: ServerOptions, next: ServerOptions): void {
  const { tls: oldTls, ...oldRest } = cur.websocket ?? {};
  const { tls: newTls, ...newRest } = next.websocket ?? {};
  if (same(oldRest, newRest) && (oldTls === undefined) === (newTls === undefined)) return;
  throw new ReloadError(`config reload not supported for Websocket: old=${show(cur.websocket)}, new=${show(next.websocket)}`);
}

/**
 * Applies `loaded` to `srv`. Throws ReloadError (nothing applied) when an option cannot be reloaded or the new
 * configuration is invalid. Resolves once connected clients have been re-checked.
 */
export async function reloadOptions(srv: Server, loaded: ServerOptions): Promise<void> {
  const cur = srv.options;
  const oldNoAuthUser = cur.no_auth_user;
  // A random port (-1) in the new config means "keep the bound one", as nats-server's clientOrgPort.
  const next: ServerOptions = { ...loaded, port: loaded.port === -1 || loaded.port === 0 ? cur.port : loaded.port };
  const changed = diff(cur, next);
  if (next.max_payload > next.max_pending) {
    throw new ReloadError(`max_payload (${next.max_payload}) cannot be higher than max_pending (${next.max_pending})`);
  }
  const accountsChanged = changed.includes("accounts") || changed.includes("mappings");
  const authChanged = accountsChanged || ["authorization", "tls", "no_auth_user"].some((k) => changed.includes(k as Key));
  let auth = srv.auth;
  let tls: TLSServerConfig | null | undefined;
  try {
    if (changed.includes("tls")) {
      if (next.tls && !srv.runtime.serverTLS) throw new Error(`TLS is configured, but the ${srv.runtime.name} transport cannot serve TLS`);
      tls = next.tls ? tlsServerConfig(next.tls) : null;
      if (tls !== null) await srv.runtime.prepareTLS?.();
    }
    if (authChanged) auth = new Authenticator(next, srv.jwtAuth, srv.auth.madeUpUser);
    // The websocket block's new TLS must load before anything is applied; its service takes it after.
    if (changed.includes("websocket") && next.websocket?.tls !== undefined) tlsServerConfig(next.websocket.tls);
    if (accountsChanged) checkLeafnodeAccounts(next);
    // Last: it checks the new accounts before it changes anything, then applies them.
    if (accountsChanged) srv.accounts.reload(next);
  } catch (err) {
    throw new ReloadError(err instanceof Error ? err.message : String(err));
  }

  // Validated: from here on the new options are the server's.
  for (const k of Object.keys(cur) as Key[]) if (!(k in next)) delete cur[k];
  Object.assign(cur, next);
  srv.log.debug = next.debug;
  srv.log.trace = next.trace;
  srv.log.logtime = next.logtime;
  srv.log.logtimeUTC = next.logtime_utc;
  const logged = new Set<string>();
  for (const k of changed) {
    const msg = RELOADED[k]?.(next[k]);
    if (msg !== undefined && !logged.has(msg)) srv.log.notice(`Reloaded: ${msg}`);
    if (msg !== undefined) logged.add(msg);
  }
  if (changed.includes("max_payload")) for (const c of srv.clients.values()) c.applyCaps(c.user);
  if (changed.includes("pid_file") && next.pid_file !== undefined) fs.writeFileSync(next.pid_file, String(process.pid));
  if (changed.includes("ports_file_dir")) srv.lifecycle.movePortsFile(next.ports_file_dir);
  srv.applyReload(auth, tls);
  if (changed.includes("max_connections")) enforceMaxConnections(srv);
  // Services first: a listener's own authorization (WebSocket's) is rebuilt there, and its clients are checked against it.
  await srv.services.reload(next);
  // The first accounts {} block may come with a reload: the system account's services start with it, as at start.
  if (accountsChanged) await srv.services.startEnabled(SYSTEM, srv, next);
  if (authChanged) await recheckClients(srv, oldNoAuthUser === next.no_auth_user ? undefined : oldNoAuthUser);
  if (accountsChanged) enforceAccountConnections(srv);
  srv.lifecycle.configLoadTime = Date.now();
  srv.flushPending();
  srv.log.notice("Reloaded server configuration");
}

/** nats-server's maxConnOption.Apply: closes connections until the new limit holds. */
function enforceMaxConnections(srv: Server): void {
  const max = srv.options.max_connections;
  const excess = srv.clients.size - max;
  if (max <= 0 || excess <= 0) return;
  let closed = 0;
  for (const c of [...srv.clients.values()]) {
    if (closed >= excess) break;
    c.link.sendErr(ERR.maxConnections);
    c.link.closeAfterFlush(CloseReason.maxConnections);
    closed++;
  }
  srv.log.notice(`Closed ${closed} connections to fall within max_connections`);
}

/** `droppedNoAuthUser`: the no_auth_user the reload dropped, whose clients are that user by name. */
async function recheckClients(srv: Server, droppedNoAuthUser: string | undefined): Promise<void> {
  const o = srv.options;
  const all = [...(o.authorization?.users ?? []), ...(o.accounts ?? []).flatMap((acc) => acc.users ?? [])];
  const accountOf = new Map(all.map((u) => [u.user ?? u.nkey, u.account ?? GLOBAL_ACCOUNT]));
  const checks = [...srv.clients.values()].filter((c) => c.connected && !c.closed).map(async (c) => {
    // A named user gone from the users list, or now in another account, "moved accounts" in nats-server's
    // terms (clientHasMovedToDifferentAccount): plain close, the client reconnects into its new account.
    // nats-server names a client that sent no credentials after its no_auth_user.
    const anonymous = c.opts.nkey === undefined && c.opts.user === undefined && c.user?.name === droppedNoAuthUser;
    const named = c.opts.nkey ?? c.opts.user ?? (anonymous ? droppedNoAuthUser : undefined);
    if (accountOf.size > 0 && named !== undefined && accountOf.get(named) !== c.account.name) {
      c.link.closeAfterFlush(CloseReason.clientClosed);
      return;
    }
    let v: AuthVerdict;
    try {
      // The client's own door decides: a WebSocket client may be under the block's authorization.
      v = await srv.authenticate(c);
    } catch {
      v = { ok: false, reason: "authentication error" };
    }
    if (c.closed) return;
    if (!v.ok) {
      srv.log.error(`${c.traceId} - ${v.reason}`);
      c.link.sendErr(ERR.authorizationViolation);
      c.link.closeAfterFlush(CloseReason.authViolation);
      return;
    }
    c.setUser(v.user);
    removeForbiddenSubs(srv, c);
    c.closeIfSubsAtLimit();
  });
  await Promise.all(checks);
}

/**
 * An account's lowered `limits { max_connections }`: its newest clients stay, as a pushed account JWT's
 * `conn` does (updateAccountClaimsWithRefresh). Deliberate difference: nats-server 2.9.10 registers each
 * client with the account again in random order, so which ones it closes varies, and it may close more.
 */
function enforceAccountConnections(srv: Server): void {
  for (const acc of srv.options.accounts ?? []) {
    const max = acc.limits?.max_connections ?? -1;
    if (max === -1) continue;
    const clients = [...srv.clients.values()].filter((c) => c.connected && !c.closed && c.account.name === acc.name);
    clients.sort((a, b) => b.link.start - a.link.start || b.cid - a.cid);
    for (const c of clients.slice(max)) {
      srv.log.error(`${c.traceId} - ${ERR.maxAccountConnections}`);
      c.link.sendErr(ERR.maxAccountConnections);
      c.link.closeAfterFlush(CloseReason.maxAccountConnections);
    }
  }
}

function removeForbiddenSubs(srv: Server, c: Client): void {
  const perms = c.user?.perms;
  if (!perms) return;
  for (const sub of [...c.subs.values()]) {
    if (perms.canSubscribe(sub.subject, sub.queue)) continue;
    c.removeSub(sub);
    c.link.sendErr(`Permissions Violation for Subscription to ${goQuote(sub.subject)} (sid ${goQuote(sub.sid)})`);
    srv.log.notice(`Removed sub ${goQuote(sub.subject)} (sid ${goQuote(sub.sid)}) for User ${goQuote(c.user?.name ?? "N/A")} - not authorized`);
  }
}
