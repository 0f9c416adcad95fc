/**
 * JetStream per account, as nats-server 2.9.10 enables it (enableJetStreamAccounts): with no accounts but the
 * system account configured, the global account $G has JetStream; otherwise each account whose `jetstream`
 * is enabled has an engine of its own on its own router (its streams, consumers, store folder and limits),
 * and every other account but the system account is answered "JetStream not enabled for account".
 */
import type { JetStreamOptions, ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
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
    readonly system: { readonly name: string } | null;
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
  readonly #refusals: { internal: InternalEndpoint; sub: Subscription }[] = [];

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
      if (js !== undefined && usableAsFolder(acc.name)) {
        const engine = new JetStream(js === GLOBAL_JETSTREAM_ACCOUNT ? h : { internal: this.#endpoint(acc.router), router: acc.router, log: h.log }, this.options, js);
        this.accounts.set(acc.name, engine);
        await engine.start();
      } else {
        if (js !== undefined) h.log.error(`JetStream: account ${JSON.stringify(acc.name)} cannot have a store folder of that name, JetStream not enabled for it`);
        if (acc.name !== system) this.#refuse(acc.name === "$G" ? h.internal : this.#endpoint(acc.router));
      }
    }
  }

  async stop(): Promise<void> {
    for (const { internal, sub } of this.#refusals) internal.removeSub(sub);
    this.#refusals.length = 0;
    for (const js of this.accounts.values()) await js.stop();
    this.accounts.clear();
  }

  #endpoint(router: Router): InternalEndpoint {
    const h = this.host;
    return new InternalEndpoint(router, () => h.flushPending(), (subject, err) => {
      h.log.error(`internal handler for ${JSON.stringify(subject)} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** nats-server's answer to an account without JetStream: every API request gets "not enabled" (10039). */
  #refuse(internal: InternalEndpoint): void {
    const answer = (prefix: string) => (m: InternalMsg) => {
      if (m.reply === null) return;
      internal.publish(m.reply, null, null, encoder.encode(JSON.stringify(notEnabledResponse(m.subject.slice(prefix.length)))));
    };
    this.#refusals.push({ internal, sub: internal.subscribe("$JS.API.>", null, answer("$JS.API.")) });
    const d = this.options.domain;
    if (d) this.#refusals.push({ internal, sub: internal.subscribe(`$JS.${d}.API.>`, null, answer(`$JS.${d}.API.`)) });
  }
}
