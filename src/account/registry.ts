/**
 * The server's accounts (nats-server's accounts map and parseAccounts' second half): the global account $G
 * on the server's router, one Account with a router of its own per configured account, and their exports,
 * imports and mappings linked in nats-server's order (stream exports, service exports, stream imports,
 * service imports), with its error texts at the account's position in the config.
 */
import type { AccountImport, AccountOptions, ServerOptions } from "../config/options.ts";
import type { Router } from "../routing/router.ts";
import { isValidSubject } from "../subject/subject.ts";
import { TransformError } from "../subject/transform.ts";
import { Account } from "./account.ts";
import { type Edge, formsCycle } from "./cycles.ts";
import { DEFAULT_RESPONSE_THRESHOLD_MS } from "./exports.ts";
import { ServiceImport, StreamImport } from "./imports.ts";
import { MappingError, SubjectMappings } from "./mapping.ts";

export const GLOBAL_ACCOUNT = "$G";
/** nats-server's DEFAULT_SYSTEM_ACCOUNT. */
export const DEFAULT_SYSTEM_ACCOUNT = "$SYS";

export class AccountError extends Error {
  constructor(at: string | undefined, message: string) {
    super(at ? `${at}: ${message}` : message);
    this.name = "AccountError";
  }
}

export class Accounts {
  readonly global: Account;
  /** The system account (`system_account`, default $SYS), null with no_system_account. */
  readonly system: Account | null;
  private readonly byName = new Map<string, Account>();
  private readonly addedListeners = new Set<(acc: Account) => void>();
  /** The configured accounts' imports, replaced by a reload. */
  private readonly bridges: { close(): void }[] = [];
  /** Each account's imports of the system account's services (addSystemImports), by account. */
  private readonly systemBridges = new Map<string, { close(): void }[]>();
  /** Operator mode: the imports of each account added at run time, replaced when its JWT is updated. */
  private readonly importsOf = new Map<string, { close(): void }[]>();
  private systemImports = false;
  /** Told each time an account is (re)linked from its JWT at run time (JetStream follows its limits). */
  private readonly relinkListeners = new Set<(a: AccountOptions) => void>();
  private readonly cluster: string | undefined;

  /** `newRouter` gives each configured account a router like the global one; throws AccountError. */
  constructor(o: ServerOptions, globalRouter: Router, private readonly newRouter: () => Router, private readonly flush: () => void) {
    this.cluster = o.cluster?.name;
    this.global = new Account(GLOBAL_ACCOUNT, globalRouter, flush);
    this.byName.set(GLOBAL_ACCOUNT, this.global);
    for (const a of o.accounts ?? []) this.byName.set(a.name, new Account(a.name, newRouter(), flush));
    this.system = this.systemAccount(o, newRouter, flush);
    try {
      this.link(o);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Exports, imports and mappings of the configured accounts and $G, in nats-server's order. */
  private link(o: ServerOptions): void {
    const configured = o.accounts ?? [];
    for (const a of configured) this.addExports(a);
    const streamEdges: Edge[] = [];
    for (const a of configured) for (const i of a.imports ?? []) if (i.stream) this.bridges.push(this.addStreamImport(a, i, streamEdges));
    const serviceEdges: Edge[] = [];
    for (const a of configured) for (const i of a.imports ?? []) if (i.service) this.bridges.push(this.addServiceImport(a, i, serviceEdges));
    for (const a of configured) this.addMappings(a, o.cluster?.name);
    if (o.mappings !== undefined) this.addMappings({ name: GLOBAL_ACCOUNT, mappings: o.mappings }, o.cluster?.name);
  }

  /**
   * A config reload (nats-server's reloadAuthorization with configured accounts): `o`'s accounts are checked
   * first, on scratch routers, so that an error (AccountError, with nats-server's text) changes nothing. Then
   * accounts that stay keep their Account (clients, links and JetStream hold it) and are linked again from
   * `o`; new ones are added as operator mode adds them; those gone from `o` are closed and dropped ($G and
   * the system account stay). Returns the names of the accounts dropped.
   */
  reload(o: ServerOptions): string[] {
    new Accounts(o, this.newRouter(), this.newRouter, () => {}).close();
    const wanted = new Set((o.accounts ?? []).map((a) => a.name));
    const removed: string[] = [];
    for (const acc of [...this.byName.values()]) {
      if (acc === this.global || acc === this.system || wanted.has(acc.name)) continue;
      this.byName.delete(acc.name);
      for (const b of this.systemBridges.get(acc.name) ?? []) b.close();
      this.systemBridges.delete(acc.name);
      acc.close();
      removed.push(acc.name);
    }
    for (const b of this.bridges) b.close();
    this.bridges.length = 0;
    for (const acc of this.byName.values()) {
      acc.exports.streams.length = 0;
      acc.exports.services.length = 0;
      acc.mappings = null;
    }
    for (const name of wanted) this.add(name);
    this.link(o);
    return removed;
  }

  /** The stream and service imports into the account of that name (configured, the system account's, a JWT's). */
  importsInto(name: string): (StreamImport | ServiceImport)[] {
    const all = [...this.bridges, ...(this.systemBridges.get(name) ?? []), ...(this.importsOf.get(name) ?? [])];
    return all.filter((b): b is StreamImport | ServiceImport => (b instanceof StreamImport || b instanceof ServiceImport) && b.importer.name === name);
  }

  /** nats-server's configureAccounts: a named system account must be configured; $SYS is made when it is not. */
  private systemAccount(o: ServerOptions, newRouter: () => Router, flush: () => void): Account | null {
    if (o.no_system_account === true) return null;
    const name = o.system_account ?? DEFAULT_SYSTEM_ACCOUNT;
    const found = this.byName.get(name);
    if (found !== undefined) return found;
    if (name !== DEFAULT_SYSTEM_ACCOUNT) throw new AccountError(undefined, "error resolving system account: account missing");
    const sys = new Account(name, newRouter(), flush);
    this.byName.set(name, sys);
    return sys;
  }

  /**
   * nats-server's addSystemAccountExports for every other account: `$SYS.REQ.ACCOUNT.PING.CONNZ` (and
   * `$SYS.REQ.SERVER.PING.CONNZ`) and `$SYS.REQ.ACCOUNT.PING.STATZ` imported from the system account as the
   * account's own `$SYS.REQ.ACCOUNT.<name>.CONNZ`/`.STATZ`, so a client can ask about its account.
   */
  addSystemImports(): void {
    this.systemImports = true;
    for (const acc of this.byName.values()) this.addSystemImportsFor(acc);
  }

  private addSystemImportsFor(acc: Account): void {
    const sys = this.system;
    if (sys === null || acc === sys) return;
    const exp = { subject: "$SYS.REQ.ACCOUNT.*.*", accounts: null, responseType: "singleton" as const, thresholdMs: DEFAULT_RESPONSE_THRESHOLD_MS, latency: null };
    const own = (what: string) => `$SYS.REQ.ACCOUNT.${acc.name}.${what}`;
    const bridges: { close(): void }[] = [];
    this.systemBridges.set(acc.name, bridges);
    for (const [to, subject] of [
      ["$SYS.REQ.ACCOUNT.PING.CONNZ", own("CONNZ")],
      ["$SYS.REQ.SERVER.PING.CONNZ", own("CONNZ")],
      ["$SYS.REQ.ACCOUNT.PING.STATZ", own("STATZ")],
    ] as const) {
      bridges.push(new ServiceImport(acc, sys, to, subject, { ...exp, subject }));
    }
  }

  /** Operator mode: the account of that name (a public key), made empty when it is not there yet. */
  add(name: string): Account {
    const found = this.byName.get(name);
    if (found !== undefined) return found;
    const acc = new Account(name, this.newRouter(), this.flush);
    this.byName.set(name, acc);
    if (this.systemImports) this.addSystemImportsFor(acc);
    for (const l of this.addedListeners) l(acc);
    return acc;
  }

  /** Calls `listener` with each account added from now on (routes carry it); returns how to stop. */
  onAdded(listener: (acc: Account) => void): () => void {
    this.addedListeners.add(listener);
    return () => this.addedListeners.delete(listener);
  }

  /**
   * Operator mode: gives an account the exports, imports and mappings of its JWT, replacing those it had. The accounts
   * it imports from must be there already. An export or import that cannot be linked is reported and
   * skipped, as nats-server logs and skips it.
   */
  relink(a: AccountOptions, report: (err: Error) => void): void {
    const acc = this.add(a.name);
    for (const b of this.importsOf.get(a.name) ?? []) b.close();
    const bridges: { close(): void }[] = [];
    this.importsOf.set(a.name, bridges);
    acc.exports.streams.length = 0;
    acc.exports.services.length = 0;
    for (const e of a.exports ?? []) {
      try {
        this.addExports({ ...a, exports: [e] });
      } catch (err) {
        report(err as Error);
      }
    }
    for (const i of a.imports ?? []) {
      try {
        bridges.push(i.stream ? this.addStreamImport(a, i, []) : this.addServiceImport(a, i, []));
      } catch (err) {
        report(err as Error);
      }
    }
    acc.mappings = null;
    try {
      this.addMappings(a, this.cluster);
    } catch (err) {
      report(err as Error);
    }
    for (const l of this.relinkListeners) l(a);
  }

  /** Calls `listener` after every relink; returns its removal. */
  onRelink(listener: (a: AccountOptions) => void): () => void {
    this.relinkListeners.add(listener);
    return () => this.relinkListeners.delete(listener);
  }

  get(name: string): Account | undefined {
    return this.byName.get(name);
  }

  /** Every account, $G first. */
  list(): Account[] {
    return [...this.byName.values()];
  }

  close(): void {
    for (const b of this.bridges) b.close();
    for (const list of this.systemBridges.values()) for (const b of list) b.close();
    for (const list of this.importsOf.values()) for (const b of list) b.close();
    for (const a of this.byName.values()) a.close();
  }

  private account(a: AccountOptions): Account {
    return this.byName.get(a.name)!;
  }

  private addExports(a: AccountOptions): void {
    const acc = this.account(a);
    for (const e of a.exports ?? []) {
      const kind = e.stream !== undefined ? "stream" : "service";
      const subject = e.stream ?? e.service;
      if (subject === undefined) continue;
      const names = e.accounts ?? null;
      for (const n of names ?? []) {
        if (!this.byName.has(n)) throw new AccountError(a.at, `${JSON.stringify(n)} account not defined for ${kind} export`);
      }
      if (!isValidSubject(subject)) throw new AccountError(a.at, `Error adding ${kind} export ${JSON.stringify(subject)}: subject is not valid`);
      const accounts = names === null ? null : new Set(names);
      const tokenReq = e.token_req === true;
      if (kind === "stream") acc.exports.streams.push({ subject, accounts, tokenReq });
      else {
        acc.exports.services.push({
          subject,
          accounts,
          tokenReq,
          responseType: e.response_type ?? "singleton",
          thresholdMs: e.response_threshold || DEFAULT_RESPONSE_THRESHOLD_MS,
          latency: e.latency ?? null,
        });
        // nats-server's TrackServiceExportWithSampling: measures are published by the system account's services.
        if (e.latency !== undefined && this.system === null) {
          throw new AccountError(e.latency.at ?? a.at, `Error adding service latency sampling for ${JSON.stringify(subject)}: system account not setup`);
        }
        // Only a singleton response has one latency to measure.
        if (e.latency !== undefined && (e.response_type ?? "singleton") !== "singleton") {
          throw new AccountError(e.latency.at ?? a.at, `Error adding service latency sampling for ${JSON.stringify(subject)} on subject ${JSON.stringify(e.latency.subject)}: bad service response type`);
        }
      }
    }
  }

  private addStreamImport(a: AccountOptions, i: AccountImport, edges: Edge[]): { close(): void } {
    const ref = i.stream!;
    const exporter = this.byName.get(ref.account);
    if (exporter === undefined || exporter === this.global) {
      throw new AccountError(a.at, `${JSON.stringify(ref.account)} account not defined for stream import`);
    }
    const importer = this.account(a);
    const fail = (why: string) => new AccountError(a.at, `Error adding stream import ${JSON.stringify(ref.subject)}: ${why}`);
    if (!isValidSubject(ref.subject)) throw fail("subject is not valid");
    if (exporter.exports.stream(importer.name, ref.subject, i.activated) === null) throw fail("stream import not authorized");
    if (edges.some((e) => e.from === exporter.name && e.to === importer.name && e.subject === ref.subject)) throw fail("stream import already exists");
    // nats-server 2.9: a prefix is put in front of the subject; `to` replaces it.
    const to = i.prefix !== undefined && i.prefix !== "" ? `${i.prefix.replace(/\.$/, "")}.${ref.subject}` : i.to || ref.subject;
    if (!isValidSubject(to)) throw fail("subject is not valid");
    const edge = { from: exporter.name, subject: ref.subject, to: importer.name, as: to };
    if (formsCycle(edges, edge)) throw fail("import forms a cycle");
    edges.push(edge);
    return transformed(fail, () => new StreamImport(exporter, importer, ref.subject, to));
  }

  private addServiceImport(a: AccountOptions, i: AccountImport, edges: Edge[]): { close(): void } {
    const ref = i.service!;
    const exporter = this.byName.get(ref.account);
    if (exporter === undefined || exporter === this.global) {
      throw new AccountError(a.at, `${JSON.stringify(ref.account)} account not defined for service import`);
    }
    const importer = this.account(a);
    const fail = (why: string) => new AccountError(a.at, `Error adding service import ${JSON.stringify(ref.subject)}: ${why}`);
    if (!isValidSubject(ref.subject)) throw fail("subject is not valid");
    const exp = exporter.exports.service(importer.name, ref.subject, i.activated);
    if (exp === null) throw fail("service import not authorized");
    const to = i.to || ref.subject;
    if (!isValidSubject(to)) throw fail("subject is not valid");
    const edge = { from: importer.name, subject: to, to: exporter.name, as: ref.subject };
    if (formsCycle(edges, edge)) throw fail("import forms a cycle");
    edges.push(edge);
    return transformed(fail, () => new ServiceImport(importer, exporter, to, ref.subject, exp, i.share === true));
  }

  private addMappings(a: AccountOptions, cluster: string | undefined): void {
    if (a.mappings === undefined || a.mappings.length === 0) return;
    const m = new SubjectMappings();
    for (const { subject, dests, at } of a.mappings) {
      try {
        m.add(subject, dests, cluster);
      } catch (err) {
        if (!(err instanceof TransformError || err instanceof MappingError)) throw err;
        const to = dests.length === 1 ? JSON.stringify(dests[0]!.destination) : JSON.stringify(dests.map((d) => d.destination));
        throw new AccountError(at ?? a.at, `Error adding mapping for ${JSON.stringify(subject)} to ${to} : ${err.message}`);
      }
    }
    this.account(a).mappings = m;
  }
}

/** Builds an import whose renaming may be refused by the subject transform. */
function transformed<T>(fail: (why: string) => AccountError, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof TransformError) throw fail(err.message);
    throw err;
  }
}
