/**
 * JetStream per account, as nats-server 2.9.10 enables it (enableJetStreamAccounts): with no accounts but the
 * system account configured, the global account $G has JetStream; otherwise each account whose `jetstream`
 * is enabled has an engine of its own on its own router (its streams, consumers, store folder and limits),
 * and every other account, the system account too, is answered "JetStream not enabled for account". In
 * operator mode an account follows its JWT: JetStream when it is loaded with storage limits, its limits
 * replaced, or its JetStream stopped, when a new JWT is pushed.
 */
import type { AccountOptions, JetStreamOptions, ServerOptions } from "../config/options.ts";
import { InternalEndpoint, type InternalMsg } from "../routing/internal.ts";
import type { Router } from "../routing/router.ts";
import type { Subscription } from "../routing/subscription.ts";
import { notEnabledResponse } from "./api.ts";
import { logJetStreamBanner } from "./banner.ts";
import { GLOBAL_JETSTREAM_ACCOUNT, JetStream, type JetStreamAccount, type JetStreamHost, jetStreamStores, serverLimits } from "./engine.ts";
import { cipherName } from "../store/mod.ts";

const encoder = new TextEncoder();

/** What the service needs from the server: $G's endpoint and every account's router. */
export interface JetStreamServerHost extends JetStreamHost {
  readonly options: ServerOptions;
  readonly accounts: {
    list(): readonly { readonly name: string; readonly router: Router }[];
    get(name: string): { readonly name: string; readonly router: Router } | undefined;
    readonly system: { readonly name: string } | null;
    onRelink(listener: (a: AccountOptions) => void): () => void;
  };
  flushPending(): void;
}

/**
 * The accounts with JetStream: $G alone (no accounts configured, and not operator mode, whose accounts come
 * from JWTs), or the configured accounts that enable it.
 */
export function jetStreamAccounts(o: ServerOptions, system: string | null): JetStreamAccount[] {
  const others = (o.accounts ?? []).filter((a) => a.name !== system);
  if (others.length === 0 && (o.operator ?? []).length === 0) return [GLOBAL_JETSTREAM_ACCOUNT];
  return others.flatMap((a) => (a.jetstream ? [{ name: a.name, limits: a.jetstream }] : []));
}

/** An account's name can be a folder name: nats-server puts it in the store path as it is. */
function usableAsFolder(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !/[/\\\0]/.test(name);
}

export class JetStreamService {
  /** The engines by account name. */
  readonly accounts = new Map<string, JetStream>();
  readonly storeDir: string;
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly cipher: string | null;
  readonly #stores: ReturnType<typeof jetStreamStores>;
  /** The accounts answered "not enabled", by name: their API subscriptions. */
  readonly #refusals = new Map<string, { internal: InternalEndpoint; subs: Subscription[] }>();
  /** Each account's endpoint but $G's (the server's), made once. */
  readonly #endpoints = new Map<string, InternalEndpoint>();
  #stopRelinks: (() => void) | null = null;

  constructor(private readonly host: JetStreamServerHost, readonly options: JetStreamOptions) {
    // The folder and cipher every account's provider shares; the accounts' folders are inside it.
    this.#stores = jetStreamStores(options, GLOBAL_JETSTREAM_ACCOUNT.name);
    this.storeDir = this.#stores.dir;
    ({ maxMemory: this.maxMemory, maxStore: this.maxStore } = serverLimits(options));
    this.cipher = this.#stores.cipher === null ? null : cipherName(this.#stores.cipher);
  }

  get domain(): string | undefined {
    return this.options.domain;
  }

  get apiTotal(): number {
    let n = 0;
    for (const js of this.accounts.values()) n += js.apiTotal;
    return n;
  }

  get apiErrors(): number {
    let n = 0;
    for (const js of this.accounts.values()) n += js.apiErrors;
    return n;
  }

  /** The server's totals over its accounts. */
  usage(): { memory: number; storage: number; streams: number; consumers: number } {
    const t = { memory: 0, storage: 0, streams: 0, consumers: 0 };
    for (const js of this.accounts.values()) {
      const u = js.usage();
      t.memory += u.memory;
      t.storage += u.storage;
      t.streams += u.streams;
      t.consumers += u.consumers;
    }
    return t;
  }

  async start(): Promise<void> {
    const h = this.host;
    await logJetStreamBanner(h.log, this.options, { maxMemory: this.maxMemory, maxStore: this.maxStore, storeDir: this.storeDir, cipher: this.#stores.cipher });
    const system = h.accounts.system?.name ?? null;
    const enabled = new Map(jetStreamAccounts(h.options, system).map((a) => [a.name, a]));
    for (const acc of h.accounts.list()) {
      const js = enabled.get(acc.name);
      if (js === undefined) this.#refuse(acc.name);
      else await this.#enable(js);
    }
    if ((h.options.operator ?? []).length > 0) {
      // The system account's JWT never enables JetStream (jetStreamAccounts leaves it out too).
      this.#stopRelinks = h.accounts.onRelink((a) => this.#follow(a.name === system ? { ...a, jetstream: null } : a));
    }
  }

  async stop(): Promise<void> {
    this.#stopRelinks?.();
    this.#stopRelinks = null;
    for (const name of [...this.#refusals.keys()]) this.#unrefuse(name);
    for (const js of this.accounts.values()) await js.stop();
    this.accounts.clear();
  }

  /**
   * A config reload, as nats-server 2.9.10 applies it (enableJetStreamAccounts after reloadAuthorization):
   * each configured account's JetStream follows its new `jetstream`, started, its limits replaced, or stopped
   * (its streams stay on disk); an account the reload added is answered "not enabled" unless it enables
   * JetStream; one it removed leaves with its engine. $G has JetStream while no accounts are configured:
   * accounts added on reload stop it, removing them all starts it again. Operator mode follows JWTs.
   */
  async reload(next: ServerOptions): Promise<void> {
    const h = this.host;
    if ((next.operator ?? []).length > 0) return;
    for (const name of [...this.accounts.keys(), ...this.#refusals.keys()]) {
      if (h.accounts.get(name) !== undefined) continue;
      const engine = this.accounts.get(name);
      this.accounts.delete(name);
      this.#refusals.delete(name);
      this.#endpoints.delete(name);
      await engine?.stop();
    }
    const system = h.accounts.system?.name ?? null;
    const wanted = new Map(jetStreamAccounts(next, system).map((a) => [a.name, a]));
    for (const acc of h.accounts.list()) {
      const js = wanted.get(acc.name);
      const engine = this.accounts.get(acc.name);
      if (js !== undefined && engine !== undefined) engine.account = js;
      else if (js !== undefined) await this.#enable(js);
      else if (engine !== undefined) {
        this.accounts.delete(acc.name);
        await engine.stop();
        this.#refuse(acc.name);
      } else this.#refuse(acc.name);
    }
  }

  /** Starts the account's engine; one whose name cannot be a folder is refused instead (logged). */
  async #enable(account: JetStreamAccount): Promise<void> {
    const h = this.host;
    if (!usableAsFolder(account.name)) {
      h.log.error(`JetStream: account ${JSON.stringify(account.name)} cannot have a store folder of that name, JetStream not enabled for it`);
      this.#refuse(account.name);
      return;
    }
    this.#unrefuse(account.name);
    const acc = h.accounts.get(account.name);
    if (acc === undefined) return;
    const host = account === GLOBAL_JETSTREAM_ACCOUNT ? h : { internal: this.#endpoint(account.name, acc.router), router: acc.router, log: h.log };
    const engine = new JetStream(host, this.options, account);
    this.accounts.set(account.name, engine);
    await engine.start();
  }

  /** Operator mode: an account's JWT was loaded or replaced; its JetStream follows the JWT's limits. */
  #follow(a: AccountOptions): void {
    const engine = this.accounts.get(a.name);
    const limits = a.jetstream ?? null;
    if (limits !== null && engine !== undefined) {
      engine.account = { name: a.name, limits };
      return;
    }
    const log = (what: string) => (err: unknown) => this.host.log.error(`JetStream: ${what} for account ${JSON.stringify(a.name)}: ${(err as Error).message}`);
    if (limits !== null) {
      this.#enable({ name: a.name, limits }).catch(log("starting"));
    } else if (engine !== undefined) {
      this.accounts.delete(a.name);
      this.#refuse(a.name);
      engine.stop().catch(log("stopping"));
    } else {
      this.#refuse(a.name);
    }
  }

  #endpoint(account: string, router: Router): InternalEndpoint {
    const found = this.#endpoints.get(account);
    if (found !== undefined) return found;
    const h = this.host;
    const e = new InternalEndpoint(router, () => h.flushPending(), (subject, err) => {
      h.log.error(`internal handler for ${JSON.stringify(subject)} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.#endpoints.set(account, e);
    return e;
  }

  /** nats-server's answer to an account without JetStream: every API request gets "not enabled" (10039). */
  #refuse(account: string): void {
    if (this.#refusals.has(account)) return;
    const acc = this.host.accounts.get(account);
    if (acc === undefined) return;
    const internal = account === "$G" ? this.host.internal : this.#endpoint(account, acc.router);
    const answer = (prefix: string) => (m: InternalMsg) => {
      if (m.reply === null) return;
      internal.publish(m.reply, null, null, encoder.encode(JSON.stringify(notEnabledResponse(m.subject.slice(prefix.length)))));
    };
    const subs = [internal.subscribe("$JS.API.>", null, answer("$JS.API."))];
    const d = this.options.domain;
    if (d) subs.push(internal.subscribe(`$JS.${d}.API.>`, null, answer(`$JS.${d}.API.`)));
    this.#refusals.set(account, { internal, subs });
  }

  #unrefuse(account: string): void {
    const r = this.#refusals.get(account);
    if (r === undefined) return;
    for (const sub of r.subs) r.internal.removeSub(sub);
    this.#refusals.delete(account);
  }
}
