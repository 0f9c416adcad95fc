/**
 * Decides who a connection is, in nats-server's order (auth.go processClientOrLeafAuthentication): an nkey
 * in CONNECT, then the TLS certificate (verify_and_map), then users by name, then a single token, then a
 * single user/password; with no credentials at all, no_auth_user. The verdict is synchronous when it can be
 * and a promise when bcrypt or Ed25519 has to run.
 */
import type { AuthorizationOptions, Permissions, ServerOptions, UserEntry } from "../config/options.ts";
import type { ConnectOptions } from "../protocol/connect.ts";
import type { TLSState } from "../runtime/types.ts";
import { checkSecret } from "./password.ts";
import { verifyNonceSignature } from "./nkey.ts";
import { ClientPermissions } from "./permissions.ts";
import { certIdentities, dnMatches } from "./tls_map.ts";
import type { JwtAuthenticator } from "./jwt_auth.ts";
import type { ConnectingPeer } from "./jwt_user_limits.ts";
import { ClientType, Kind } from "../protocol/kind.ts";

const UNKNOWN_PEER: ConnectingPeer = { kind: Kind.CLIENT, clientType: ClientType.NATS, host: "" };

export interface AuthUser {
  /** For logs: a user name, an nkey public key or a certificate identity; never a secret. */
  readonly name: string;
  readonly perms: ClientPermissions | null;
  /** The account it binds to (a configured account's name); null: the global account. */
  readonly account: string | null;
  /** Operator mode: when the user JWT was issued (seconds), for revocations pushed later. */
  readonly issuedAt?: number;
  /** Operator mode: when the user JWT expires (ms since the epoch); the connection is closed then. */
  readonly expiresAt?: number;
  /** The cap on this connection's subscriptions from its account's `limits` or its JWTs (-1: none). */
  readonly maxSubs?: number;
  /** The cap on a message's payload from its account's `limits` or its JWTs (-1: none). */
  readonly maxPayload?: number;
  /** Operator mode: what an account JWT pushed later is checked against. */
  readonly jwt?: JwtUserFacts;
}

/** A user JWT's own limits and origin, before its account's caps (jwt_auth.ts refreshUser). */
export interface JwtUserFacts {
  /** The signing key that issued it; null when the account itself did. */
  readonly signer: string | null;
  readonly subs: number;
  readonly payload: number;
  readonly bearer: boolean;
}

/** An accepted identity (user null: no authentication configured), or the reason for refusal (for the log). */
/** `wire`: the -ERR to send instead of 'Authorization Violation' (an account's connection limit), with its close reason. */
export type AuthVerdict = { ok: true; user: AuthUser | null } | { ok: false; reason: string; wire?: { err: string; close: string } };

const ANONYMOUS: AuthVerdict = { ok: true, user: null };

function deny(reason: string): AuthVerdict {
  return { ok: false, reason };
}

export class Authenticator {
  /** INFO auth_required. */
  readonly required: boolean;
  /** INFO carries a nonce for nkey users. */
  readonly needsNonce: boolean;
  /** The identity of a client that sends no credentials (no_auth_user), if configured. */
  readonly noAuthUser: AuthUser | null;
  private readonly users = new Map<string, { entry: UserEntry; user: AuthUser }>();
  private readonly nkeys = new Map<string, AuthUser>();
  private readonly a: AuthorizationOptions | undefined;
  private readonly mapCerts: boolean;

  /** The `$G` user made up for a config whose only account is the system account, if any. */
  readonly madeUpUser: string | null;

  /**
   * `jwt`: operator mode, where every client authenticates with a user JWT and nothing else. `madeUp`: the
   * made-up user's name to keep (a reload's), so clients already in under it keep their name, as nats-server does.
   */
  constructor(o: ServerOptions, private readonly jwt: JwtAuthenticator | null = null, madeUp: string | null = null) {
    const a = o.authorization;
    this.a = a;
    this.mapCerts = o.tls?.verify_and_map === true;
    // authorization's default_permissions are for its own users; an account has its own defaults.
    const perms = (p: Permissions | undefined, account: string | null): ClientPermissions | null => {
      const eff = p ?? (account === null ? a?.default_permissions : undefined);
      return eff ? new ClientPermissions(eff) : null;
    };
    // Users of `authorization {}` are in the global account, those of an `accounts {}` entry in theirs.
    const sysOnly = jwt === null ? systemAccountOnlyUser(o, madeUp) : null;
    this.madeUpUser = sysOnly?.user ?? null;
    const all = [...(a?.users ?? []), ...(o.accounts ?? []).flatMap((acc) => acc.users ?? []), ...(sysOnly !== null ? [sysOnly] : [])];
    const caps = accountCaps(o);
    for (const u of all) {
      const account = u.account ?? null;
      const cap = account !== null ? caps.get(account) : undefined;
      if (u.nkey !== undefined) this.nkeys.set(u.nkey, { name: u.nkey, perms: perms(u.permissions, account), account, ...cap });
      else if (u.user !== undefined) this.users.set(u.user, { entry: u, user: { name: u.user, perms: perms(u.permissions, account), account, ...cap } });
    }
    this.needsNonce = this.nkeys.size > 0 || jwt !== null;
    const any = jwt !== null || this.users.size > 0 || this.nkeys.size > 0 || a?.user !== undefined || a?.token !== undefined || this.mapCerts;
    let noAuth: AuthUser | null = null;
    const noAuthName = o.no_auth_user ?? sysOnly?.user;
    if (noAuthName !== undefined) {
      const u = this.users.get(noAuthName)?.user ?? this.nkeys.get(noAuthName);
      if (!u) throw new Error(`no_auth_user: "${noAuthName}" not present as user or nkey in authorization block or account configuration`);
      noAuth = u;
    }
    this.noAuthUser = noAuth;
    // A no_auth_user lets clients skip credentials, so nats-server stops advertising auth_required; but not
    // for the one it makes up itself, which still says auth is required.
    this.required = any && (noAuth === null || sysOnly !== null);
  }

  get enabled(): boolean {
    return this.required || this.noAuthUser !== null;
  }

  /** `peer`: what is connecting, for the limits of a user JWT (connection types, source address). */
  authenticate(c: ConnectOptions, nonce: string | null, tls: TLSState | null, peer: ConnectingPeer = UNKNOWN_PEER): AuthVerdict | Promise<AuthVerdict> {
    if (!this.enabled) return ANONYMOUS;
    if (this.jwt !== null) return this.jwt.authenticate(c, nonce, peer);
    const a = this.a;

    if (c.nkey !== undefined && this.nkeys.size > 0) {
      const user = this.nkeys.get(c.nkey);
      const reason = `authentication error - Nkey ${JSON.stringify(c.nkey)}`;
      if (!user || nonce === null || c.sig === undefined) return deny(reason);
      return verifyNonceSignature(c.nkey, nonce, c.sig).then((ok) => (ok ? { ok: true, user } : deny(reason)));
    }

    if (this.mapCerts) {
      if (tls?.peer == null) return deny("authentication error - no client certificate to map");
      const ids = certIdentities(tls.peer);
      for (const id of ids.literal) {
        const u = this.users.get(id);
        if (u) return { ok: true, user: u.user };
      }
      for (const [name, u] of this.users) if (dnMatches(name, ids.dnRDNs)) return { ok: true, user: u.user };
      return deny(`authentication error - certificate identity ${JSON.stringify(ids.literal[0] ?? "")} is not a user`);
    }

    if (this.users.size > 0) {
      if (c.user === undefined) return this.noCredentials(c);
      const u = this.users.get(c.user);
      if (!u || u.entry.password === undefined) return deny(`authentication error - User ${JSON.stringify(c.user)}`);
      return settle(checkSecret(c.pass ?? "", u.entry.password), { ok: true, user: u.user }, `authentication error - User ${JSON.stringify(c.user)}`);
    }

    if (a?.token !== undefined) {
      if (c.auth_token === undefined) return this.noCredentials(c);
      return settle(checkSecret(c.auth_token, a.token), ANONYMOUS, "authentication error - token");
    }

    if (a?.user !== undefined) {
      if (c.user === undefined) return this.noCredentials(c);
      const userOk = checkSecret(c.user, a.user) === true;
      return settle(checkSecret(c.pass ?? "", a.password ?? ""), userOk ? ANONYMOUS : deny(""), `authentication error - User ${JSON.stringify(c.user)}`);
    }
    return this.noCredentials(c);
  }

  /** What a client without (matching) credentials gets: no_auth_user's identity, or refusal. */
  private noCredentials(c: ConnectOptions): AuthVerdict {
    const sent = c.user !== undefined || c.pass !== undefined || c.auth_token !== undefined || c.nkey !== undefined || c.jwt !== undefined;
    if (!sent && this.noAuthUser !== null) return { ok: true, user: this.noAuthUser };
    return deny("authentication error - no credentials");
  }
}

/** The base62 digits nats-server's made-up user name is written in. */
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Each configured account's `limits` on its users' connections (nats-server's applyAccountLimits: msubs, mpay). */
function accountCaps(o: ServerOptions): Map<string, { maxSubs: number; maxPayload: number }> {
  const caps = new Map<string, { maxSubs: number; maxPayload: number }>();
  for (const acc of o.accounts ?? []) {
    if (acc.limits !== undefined) caps.set(acc.name, { maxSubs: acc.limits.max_subscriptions, maxPayload: acc.limits.max_payload });
  }
  return caps;
}

/**
 * nats-server 2.9.10 (server.go, configureAccounts): when the only configured account is the system account
 * and no no_auth_user is set, it makes up a `$G` user "nats-<8 random digits>" and makes it the no_auth_user,
 * so that a config written to reach the system account does not lock out every other client. 2.9.10 does this
 * even beside an `authorization {}` block (later releases do not).
 */
function systemAccountOnlyUser(o: ServerOptions, keep: string | null): UserEntry | null {
  const accounts = o.accounts ?? [];
  if (o.no_auth_user !== undefined || o.no_system_account === true || accounts.length !== 1) return null;
  if (accounts[0]!.name !== (o.system_account ?? "$SYS")) return null;
  const user = keep ?? `nats-${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => DIGITS[b % DIGITS.length]).join("")}`;
  // nats-server's password for it is the name from its seventh character on.
  return { user, password: user.slice(6) };
}

/** Turns a secret check (sync or async) into a verdict. */
function settle(check: boolean | Promise<boolean>, onOk: AuthVerdict, reason: string): AuthVerdict | Promise<AuthVerdict> {
  const done = (ok: boolean): AuthVerdict => (ok && onOk.ok ? onOk : deny(reason));
  return typeof check === "boolean" ? done(check) : check.then(done);
}
