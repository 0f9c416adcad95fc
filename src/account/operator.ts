/**
 * Operator mode (nats-server's trusted operators and account resolver): which keys may sign accounts,
 * accounts loaded from their JWTs on first use and added to the registry with their exports and imports,
 * and account JWTs pushed at run time applied to the live accounts (users revoked by the new JWT are
 * disconnected, exports and imports replaced).
 */
import type { ServerOptions } from "../config/options.ts";
import {
  type AccountClaims,
  decodeAccount,
  decodeGeneric,
  type OperatorClaims,
  decodeOperator,
  loadJwtLibrary,
  signingKeys,
  timeProblem,
} from "../auth/jwt_verify.ts";
import { isAccountKey } from "../config/_operator.ts";
import { tokenProblem } from "./activation.ts";
import { accountOptionsOf, importedAccounts, latencyProblem } from "./jwt_account.ts";
import { KeyTimers } from "./key_timers.ts";
import type { Accounts } from "./registry.ts";
import { type AccountResolver, newResolver } from "./resolver.ts";

export interface OperatorHost {
  readonly log: { notice(msg: string): void; error(msg: string): void; warn(msg: string): void; debugf(msg: string): void };
  /**
   * The account's new JWT applies to its connections: limits, revocations, and users of `changedSigners`
   * (signing keys it dropped or whose scope it changed) closed.
   */
  accountUpdated(claims: AccountClaims, changedSigners: ReadonlySet<string>): void;
  /** The account's connected clients. */
  accountConnections(account: string): number;
  /** The account's leaf node links. */
  accountLeafConnections(account: string): number;
  /** Closes every connection of the account ("Account Authentication Expired"): its JWT was deleted. */
  closeAccount(account: string): void;
}

/** What a CLAIMS.DELETE request did: refused as a whole, or each account deleted or failed. */
export type DeleteOutcome = { by: string; refused: string } | { by: string; deleted: number; failed: string[] };

/** Go's time.Time String() in UTC, as nats-server prints an operator's dates. */
function goTime(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} +0000 UTC`;
}

/** What nats-server logs of each trusted operator at start. */
function logOperator(log: OperatorHost["log"], op: OperatorClaims): void {
  log.notice(`  System  : ${JSON.stringify(op.aud ?? "")}`);
  log.notice(`  Operator: ${JSON.stringify(op.name ?? "")}`);
  log.notice(`  Issued  : ${goTime(op.iat)}`);
  log.notice(`  Expires : ${op.exp ? goTime(op.exp) : "Never"}`);
}

/** Signing keys of `old` that `now` drops, or whose kind or scope it changes. */
function changedSigners(old: AccountClaims, now: AccountClaims): Set<string> {
  const byKey = (c: AccountClaims) => new Map((c.nats.signing_keys ?? []).map((k) => (typeof k === "string" ? [k, ""] : [k.key, JSON.stringify(k)])));
  const before = byKey(old);
  const after = byKey(now);
  return new Set([...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k));
}

/** The blocking errors of jwt's AccountClaims.Validate that natsedge checks, or null. */
function validation(c: AccountClaims): string | null {
  const imports = c.nats.imports ?? [];
  const exports = c.nats.exports ?? [];
  for (const i of imports) {
    const problem = tokenProblem(i, c.sub);
    if (problem !== null) return problem;
  }
  for (const e of exports) {
    if (e.service_latency === undefined) continue;
    if (e.type !== "service") return "latency tracking only permitted for services";
    const problem = latencyProblem(e.service_latency);
    if (problem !== null) return problem;
  }
  // Limits the JWT leaves out are 0 and wildcards false, as Go reads them.
  const l = c.nats.limits ?? {};
  const maxImports = l.imports ?? 0;
  const maxExports = l.exports ?? 0;
  if (maxImports !== -1 && imports.length > maxImports) return "the account contains more imports than allowed by the operator";
  if (maxExports !== -1) {
    if (exports.length > maxExports) return "the account contains more exports than allowed by the operator";
    if (!l.wildcards && exports.some((e) => /(^|\.)[*>](\.|$)/.test(e.subject))) return "the account contains wildcard exports that are not allowed by the operator";
  }
  return null;
}

export class OperatorMode {
  readonly resolver: AccountResolver;
  private readonly trusted = new Set<string>();
  /** The claims of every account loaded so far, by public key. */
  private readonly loaded = new Map<string, AccountClaims>();
  /** Per account, the timer that links it again when its first activation token expires. */
  private readonly activationTimers = new KeyTimers();
  /** Per account, the timer that ends its connections when its JWT expires. */
  private readonly expiryTimers = new KeyTimers();

  private constructor(o: ServerOptions, private readonly accounts: Accounts, private readonly host: OperatorHost) {
    this.resolver = newResolver(o.resolver!);
  }

  /** Loads the JWT library, checks the operators and stores the preloads; throws on any of them. */
  static async start(o: ServerOptions, accounts: Accounts, host: OperatorHost): Promise<OperatorMode> {
    await loadJwtLibrary();
    const m = new OperatorMode(o, accounts, host);
    if ((o.operator ?? []).length > 0) host.log.notice("Trusted Operators");
    for (const jwt of o.operator ?? []) {
      let op;
      try {
        op = decodeOperator(jwt);
      } catch (err) {
        throw new Error(`error parsing operator JWT: ${(err as Error).message}`);
      }
      if (timeProblem(op) !== null) throw new Error(`operator ${op.sub} JWT: ${timeProblem(op)}`);
      logOperator(host.log, op);
      if (!(op.nats as { strict_signing_key_usage?: boolean }).strict_signing_key_usage) m.trusted.add(op.sub);
      for (const k of signingKeys(op)) m.trusted.add(k);
    }
    for (const k of o.trusted_keys ?? []) m.trusted.add(k);
    for (const [pub, jwt] of Object.entries(o.resolver_preload ?? {})) {
      let c: AccountClaims;
      try {
        c = m.signed(pub, jwt);
      } catch (err) {
        throw new Error(`resolver_preload of account ${pub}: ${(err as Error).message}`);
      }
      // nats-server stores a preload that fails validation, and refuses it when the account is used.
      const problem = validation(c);
      if (problem !== null) host.log.warn(`Preloaded account [${pub}] failed validation: ${problem}`);
      m.resolver.preload(pub, jwt);
    }
    // The system account exists before its JWT is read (nats-server injects a stub); its JWT fills it in.
    const sys = accounts.system;
    if (sys !== null && isAccountKey(sys.name)) m.account(sys.name);
    return m;
  }

  /** An account JWT checked for use: validly signed, by a trusted operator key, for `pub`, and valid (validation). */
  verify(pub: string, jwt: string): AccountClaims {
    const c = this.signed(pub, jwt);
    const problem = validation(c);
    if (problem !== null) throw new Error(problem);
    return c;
  }

  private signed(pub: string, jwt: string): AccountClaims {
    const c = decodeAccount(jwt);
    if (c.sub !== pub) throw new Error("subject does not match jwt content");
    if (!this.trusted.has(c.iss)) throw new Error(`account JWT issuer ${c.iss} is not a trusted operator key`);
    return c;
  }

  /**
   * The claims of account `pub`, loading the account (and those it imports from) on first use; null when the
   * resolver has no valid JWT for it. The reason is logged, never the JWT.
   */
  account(pub: string, loading = new Set<string>()): AccountClaims | null {
    const known = this.loaded.get(pub);
    if (known !== undefined) return known;
    const jwt = this.resolver.fetch(pub);
    if (jwt === null) {
      this.host.log.debugf(`account ${pub} not found by the ${this.resolver.type} resolver`);
      return null;
    }
    let c: AccountClaims;
    try {
      c = this.verify(pub, jwt);
    } catch (err) {
      this.host.log.error(`account ${pub} JWT not valid: ${(err as Error).message}`);
      return null;
    }
    this.link(c, loading);
    return c;
  }

  /** A JWT pushed at run time: checked, stored and applied to the account if it is in use. */
  update(pub: string, jwt: string): void {
    const c = this.verify(pub, jwt);
    this.resolver.store(pub, jwt);
    if (this.loaded.has(pub)) this.apply(c);
  }

  /** Applies an update that the resolver does not keep (MEMORY: only accounts in use are updated). */
  updateLive(pub: string, jwt: string): boolean {
    // nats-server decodes it and matches the subject before it looks for the account.
    if (decodeAccount(jwt).sub !== pub) throw new Error("subject does not match jwt content");
    if (!this.loaded.has(pub)) return false;
    this.apply(this.verify(pub, jwt));
    return true;
  }

  private apply(c: AccountClaims): void {
    const old = this.loaded.get(c.sub);
    this.link(c, new Set());
    // Accounts importing from this one see its new exports.
    for (const other of this.loaded.values()) if (other.sub !== c.sub && importedAccounts(other).includes(c.sub)) this.link(other, new Set([c.sub]));
    this.host.accountUpdated(c, old === undefined ? new Set() : changedSigners(old, c));
  }

  /**
   * Adds the account with its exports first, so that accounts importing from each other can link; its imports'
   * activation tokens are checked once the exporters' claims are loaded.
   */
  private link(c: AccountClaims, loading: Set<string>): void {
    this.loaded.set(c.sub, c);
    loading.add(c.sub);
    const report = (err: Error) => this.host.log.warn(`account ${c.sub}: ${err.message}`);
    this.accounts.relink({ ...accountOptionsOf(c).options, imports: [] }, report);
    for (const from of importedAccounts(c)) if (!loading.has(from)) this.account(from, loading);
    const { options, activationsExpire, refused } = accountOptionsOf(c, (pub) => this.loaded.get(pub));
    for (const why of refused) report(new Error(why));
    this.accounts.relink(options, report);
    this.activationTimers.set(c.sub, activationsExpire, () => this.relink(c.sub));
    // nats-server's account expiration: its connections end; new ones are refused by the JWT's `exp`.
    this.expiryTimers.set(c.sub, c.exp ? c.exp * 1000 : null, () => this.host.closeAccount(c.sub));
  }

  /** nats-server's activationExpired: when a token expires, the account is linked again without that import. */
  private relink(pub: string): void {
    const c = this.loaded.get(pub);
    if (c !== undefined) this.link(c, new Set());
  }

  /**
   * nats-server's handleDeleteRequest: a JWT the operator (or its signing key) signed for itself, listing the
   * accounts whose JWTs the resolver deletes; each deleted account is disabled and its connections closed.
   */
  deleteAccounts(request: string): DeleteOutcome {
    let by = "";
    let accounts: string[];
    try {
      const g = decodeGeneric(request);
      by = g.sub;
      if (!this.resolver.canDelete) throw new Error("delete must be enabled in server config");
      if (g.sub !== g.iss) throw new Error("not self signed");
      if (!this.trusted.has(g.iss)) throw new Error("not trusted");
      const list = g.nats.accounts;
      if (!Array.isArray(list) || list.some((a) => typeof a !== "string" || !isAccountKey(a))) throw new Error("malformed request");
      accounts = list as string[];
      if (this.accounts.system !== null && accounts.includes(this.accounts.system.name)) throw new Error("not allowed to delete system account");
    } catch (err) {
      return { by, refused: (err as Error).message };
    }
    let deleted = 0;
    const failed: string[] = [];
    for (const pub of accounts) {
      try {
        this.resolver.delete(pub);
        deleted++;
        this.disable(pub);
      } catch (err) {
        failed.push((err as Error).message);
      }
    }
    return { by, deleted, failed };
  }

  /** nats-server's removeCb: the account keeps no exports, imports or JetStream, and its connections end. */
  private disable(pub: string): void {
    if (!this.loaded.delete(pub)) return;
    this.activationTimers.cancel(pub);
    this.expiryTimers.cancel(pub);
    this.accounts.relink({ name: pub, exports: [], imports: [], mappings: [], jetstream: null }, (err) => this.host.log.warn(`account ${pub}: ${err.message}`));
    for (const other of [...this.loaded.values()]) if (importedAccounts(other).includes(pub)) this.link(other, new Set([pub]));
    this.host.closeAccount(pub);
  }

  /** Stops the expiry timers (server shutdown). */
  close(): void {
    this.activationTimers.clear();
    this.expiryTimers.clear();
  }

  connections(pub: string): number {
    return this.host.accountConnections(pub);
  }

  leafConnections(pub: string): number {
    return this.host.accountLeafConnections(pub);
  }

  /** The claims of a loaded account (for the authenticator), without loading it. */
  claimsOf(pub: string): AccountClaims | undefined {
    return this.loaded.get(pub);
  }
}
