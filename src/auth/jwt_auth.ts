/**
 * Operator mode's client authentication (nats-server's processClientOrLeafAuthentication, JWT branch): the
 * CONNECT's user JWT is checked (signature, validity dates), its account is found through the resolver,
 * the user must be issued by the account or one of its signing keys (`issuer_account`), not be revoked, and
 * prove its key by signing the INFO nonce unless the JWT is a bearer token. The user's permissions are its
 * JWT's (a scoped signing key's template, jwt_scope.ts), else the account's default permissions.
 */
import type { Permissions } from "../config/options.ts";
import type { ConnectOptions } from "../protocol/connect.ts";
import { ERR } from "../protocol/errors.ts";
import { isAccountKey } from "../config/_operator.ts";
import { CloseReason } from "../connection/close_reason.ts";
import { Kind } from "../protocol/kind.ts";
import type { AuthUser, AuthVerdict, JwtUserFacts } from "./authenticator.ts";
import { type AccountClaims, decodeUser, isRevoked, timeProblem, type UserClaims } from "./jwt_verify.ts";
import { type UserLimits, userLimits } from "./jwt_scope.ts";
import { type ConnectingPeer, connectWindow, connectionTypeAllowed, srcAllowed } from "./jwt_user_limits.ts";
import { verifyNonceSignature } from "./nkey.ts";
import { ClientPermissions } from "./permissions.ts";

/** Where the authenticator finds an account's claims (src/account/operator.ts), loading it on first use. */
export interface JwtAccounts {
  account(pub: string): AccountClaims | null;
  /** The account's connected clients, for its `limits.conn`. */
  connections(pub: string): number;
  /** The account's leaf node links, for its `limits.leaf`. */
  leafConnections(pub: string): number;
}

/** nats-server's minLimit: the lower of two limits where -1 means none. */
function lowerLimit(a: number, b: number): number {
  if (a === -1) return b;
  return b === -1 ? a : Math.min(a, b);
}

/** The user's subs and payload caps under its account's (applyAccountLimits). */
function capped(facts: JwtUserFacts, acc: AccountClaims): { maxSubs: number; maxPayload: number } {
  return { maxSubs: lowerLimit(facts.subs, acc.nats.limits?.subs ?? 0), maxPayload: lowerLimit(facts.payload, acc.nats.limits?.payload ?? 0) };
}

/** What a pushed account JWT does to one of the account's connections (nats-server's updateAccountClaimsWithRefresh). */
export type Refresh = { keep: AuthUser } | { close: "maxConnections" | "bearer" | "revoked" | "signer" };

/**
 * `index`: the connection's place among the account's clients, newest first (those past a lowered `conn`
 * are closed, so the newest stay); `changedSigners`: signing keys the new JWT dropped or whose scope it changed.
 */
export function refreshUser(user: AuthUser, acc: AccountClaims, index: number, changedSigners: ReadonlySet<string>): Refresh {
  const facts = user.jwt;
  if (facts === undefined) return { keep: user };
  const maxConns = acc.nats.limits?.conn ?? 0;
  if (maxConns !== -1 && index >= maxConns) return { close: "maxConnections" };
  if (facts.bearer && (acc.nats.limits as { disallow_bearer?: boolean } | undefined)?.disallow_bearer) return { close: "bearer" };
  if (isRevoked(acc.nats.revocations, user.name, user.issuedAt ?? 0)) return { close: "revoked" };
  if (facts.signer !== null && changedSigners.has(facts.signer)) return { close: "signer" };
  return { keep: { ...user, ...capped(facts, acc) } };
}

type JwtPermissions = { pub?: { allow?: string[]; deny?: string[] }; sub?: { allow?: string[]; deny?: string[] }; resp?: { max?: number; ttl?: number } };

function deny(detail: string): AuthVerdict {
  return { ok: false, reason: `authentication error - ${detail}` };
}

/** JWT permissions as a config's: an empty list sets nothing; `resp.ttl` is a Go duration (nanoseconds). */
function permissionsOf(p: JwtPermissions): Permissions | null {
  const list = (l: string[] | undefined) => (l !== undefined && l.length > 0 ? l : undefined);
  const side = (s: { allow?: string[]; deny?: string[] } | undefined) => {
    const allow = list(s?.allow);
    const deny = list(s?.deny);
    return allow || deny ? { ...(allow ? { allow } : {}), ...(deny ? { deny } : {}) } : undefined;
  };
  const publish = side(p.pub);
  const subscribe = side(p.sub);
  const out: Permissions = { ...(publish ? { publish } : {}), ...(subscribe ? { subscribe } : {}) };
  if (p.resp !== undefined) {
    out.allow_responses = { max: p.resp.max ?? 1, expires: (p.resp.ttl ?? 0) / 1e6 };
    out.publish ??= {};
    out.publish.allow ??= [];
  }
  return Object.keys(out).length > 0 ? out : null;
}

export class JwtAuthenticator {
  constructor(private readonly accounts: JwtAccounts) {}

  authenticate(c: ConnectOptions, nonce: string | null, peer: ConnectingPeer): AuthVerdict | Promise<AuthVerdict> {
    if (c.jwt === undefined) return deny("no user JWT");
    // Claims of an unexpected shape (signed, but not as nats-server would write them) refuse, never crash.
    return decodeUser(c.jwt).then((u) => this.check(u, c, nonce, peer)).catch((err: Error) => deny(`user JWT not valid: ${err.message}`));
  }

  private check(u: UserClaims, c: ConnectOptions, nonce: string | null, peer: ConnectingPeer): AuthVerdict | Promise<AuthVerdict> {
    const when = timeProblem(u);
    if (when !== null) return deny(`user ${u.sub} JWT not valid: ${when}`);
    // nats-server checks the user JWT's own connection types, before a scope's template replaces its limits.
    if (!connectionTypeAllowed(u.nats.allowed_connection_types, peer)) return deny(`user ${u.sub}: connection type not allowed`);
    const issuerAccount = u.nats.issuer_account || u.iss;
    if (!isAccountKey(issuerAccount)) return deny(`user ${u.sub} JWT issuer account ${JSON.stringify(issuerAccount)} is not an account key`);
    const acc = this.accounts.account(issuerAccount);
    if (acc === null) return deny(`user ${u.sub}: account ${issuerAccount} not found`);
    const lim = userLimits(u, acc);
    if (lim === null) return deny(`user ${u.sub} JWT issuer ${u.iss} is not known to account ${acc.sub}`);
    if (typeof lim === "string") return deny(`user ${u.sub} JWT is not valid: ${lim}`);
    if (timeProblem(acc) !== null) return deny(`account ${acc.sub} JWT has expired`);
    if (isRevoked(acc.nats.revocations, u.sub, u.iat)) return deny(`user ${u.sub} authentication revoked`);
    // A limit the JWT leaves out is 0, as nats-server reads it; the account's caps each connection too.
    const facts = { signer: u.nats.issuer_account ? u.iss : null, subs: lim.subs ?? 0, payload: lim.payload ?? 0, bearer: lim.bearer_token === true };
    const user: AuthUser = { name: u.sub, account: acc.sub, perms: this.perms(lim, acc), issuedAt: u.iat, ...capped(facts, acc), jwt: facts };
    if (lim.bearer_token) {
      if ((acc.nats.limits as { disallow_bearer?: boolean } | undefined)?.disallow_bearer) return deny(`user ${u.sub}: bearer tokens not allowed by account ${acc.sub}`);
      return this.admit(u, lim, acc, user, peer);
    }
    if (nonce === null || c.sig === undefined) return deny(`user ${u.sub}: no signature of the nonce`);
    return verifyNonceSignature(u.sub, nonce, c.sig).then((ok) => (ok ? this.admit(u, lim, acc, user, peer) : deny(`user ${u.sub}: signature of the nonce not valid`)));
  }

  /**
   * The source address, connect times and the account's connection limits, last as in nats-server; the
   * times may end the connection earlier than `exp`.
   */
  private admit(u: UserClaims, lim: UserLimits, acc: AccountClaims, user: AuthUser, peer: ConnectingPeer): AuthVerdict {
    if (!srcAllowed(lim.src, peer.host)) return deny(`user ${u.sub}: Bad src Ip ${peer.host}`);
    const window = connectWindow(lim.times, (lim as { times_location?: string }).times_location);
    if (window === null) return deny(`user ${u.sub}: Outside connect times`);
    // registerWithAccount: a client is checked against `conn`, a leaf link against `leaf`; a limit left out
    // is 0. MaxTotalConnectionsReached counts every connection of the account, its leaf links too.
    const leaf = peer.kind === Kind.LEAF;
    const max = (leaf ? acc.nats.limits?.leaf : acc.nats.limits?.conn) ?? 0;
    const leafs = this.accounts.leafConnections(acc.sub);
    if (max !== -1 && (leaf ? leafs : this.accounts.connections(acc.sub) + leafs) >= max) {
      return { ok: false, reason: ERR.maxAccountConnections, wire: { err: ERR.maxAccountConnections, close: CloseReason.maxAccountConnections } };
    }
    const ends = [u.exp ? u.exp * 1000 : 0, window.validForMs > 0 ? Date.now() + window.validForMs : 0].filter((t) => t > 0);
    return { ok: true, user: ends.length > 0 ? { ...user, expiresAt: Math.min(...ends) } : user };
  }

  private perms(lim: UserLimits, acc: AccountClaims): ClientPermissions | null {
    const p = permissionsOf(lim as JwtPermissions) ?? permissionsOf((acc.nats.default_permissions ?? {}) as JwtPermissions);
    return p === null ? null : new ClientPermissions(p);
  }
}
