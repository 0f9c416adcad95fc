/**
 * Where a subsystem keeps its stores and how they are opened: the directory layout under `store_dir`, the
 * encryption key and cipher, memory or file. JetStream's streams, each holding its consumers, live in
 *
 *   <store_dir>/jetstream/<account>/streams/<stream>/  one FileStore each (layout in file/filestore.ts); the
 *                                                   account is $G unless accounts have JetStream of their own
 *   <dir>/streaming/channels/<channel>/             NATS Streaming's channels, one FileStore each (named by a
 *                                                   salted digest when encrypted; the name is in the sealed meta)
 *   <dir>/streaming/names.salt                      the salt of those digests (random, not secret)
 *   <store_dir>/mqtt/stores/retained/               MQTT's retained messages, one per subject
 *   <store_dir>/mqtt/stores/{sessions,pending}/     MQTT's persistent sessions (mqtt/session_store.ts)
 *
 * as nats-server lays them out. A provider opens, lists, verifies and removes its subsystem's stores; later
 * subsystems (STAN channels, MQTT sessions) get a folder of their own beside `jetstream/` through it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { type Cipher, defaultCipher } from "./file/aead.ts";
import { FileStore } from "./file/filestore.ts";
import { type StreamVerification, verifyStream } from "./file/verify.ts";
import { MemStore } from "./memstore.ts";
import type { LostRange, StreamLimits, StreamStore } from "./store.ts";

/** The subsystem folders under store_dir and, inside each, where its stores are (nats-server's names). */
const LAYOUT = {
  jetstream: { folder: "jetstream", stores: join("$G", "streams") },
  stan: { folder: "streaming", stores: "channels" },
  mqtt: { folder: "mqtt", stores: "stores" },
} as const;
export type Subsystem = keyof typeof LAYOUT;

export interface StoreProviderOptions {
  /** `store_dir`; nats-server's default is `<tmp>/nats`. */
  readonly storeDir?: string;
  /** `key`: file stores are encrypted when set. Never written anywhere. */
  readonly key?: string;
  readonly prevKey?: string;
  readonly cipher?: Cipher;
  /** `sync_interval`: "always" or milliseconds between fsyncs. */
  readonly sync?: "always" | number;
  /** JetStream: the account whose streams these are, in place of $G (nats-server keeps a folder per account). */
  readonly account?: string;
}

export interface OpenOptions {
  readonly storage: "memory" | "file";
  readonly limits?: StreamLimits;
  /** See FileStoreOptions.onDamage. */
  readonly onDamage?: (lost: LostRange) => void;
  /** See FileStoreOptions.repair: read every block and rewrite what is damaged, for good. */
  readonly repair?: boolean;
}

export class StoreProvider {
  /** The subsystem's folder under store_dir (JetStream logs it as its Store Directory). */
  readonly dir: string;
  readonly #stores: string;

  constructor(readonly subsystem: Subsystem, private readonly options: StoreProviderOptions) {
    const layout = LAYOUT[subsystem];
    this.dir = join(options.storeDir ?? join(tmpdir(), "nats"), layout.folder);
    this.#stores = join(this.dir, subsystem === "jetstream" && options.account !== undefined ? join(options.account, "streams") : layout.stores);
  }

  /** The cipher new blocks are sealed with, or null when the stores are not encrypted. */
  get cipher(): Cipher | null {
    return this.options.key ? this.options.cipher ?? defaultCipher() : null;
  }

  /** The names of the file stores on disk (creating the folder when there is none yet). */
  names(): string[] {
    mkdirSync(this.#stores, { recursive: true });
    return readdirSync(this.#stores);
  }

  /** The directory a file store of this name lives in. */
  path(name: string): string {
    return join(this.#stores, name);
  }

  open(name: string, o: OpenOptions): Promise<StreamStore> {
    if (o.storage === "memory") return Promise.resolve(new MemStore(o.limits));
    const p = this.options;
    return FileStore.open({
      dir: this.path(name),
      name,
      key: p.key,
      prevKey: p.prevKey,
      cipher: p.cipher,
      sync: p.sync,
      limits: o.limits,
      onDamage: o.onDamage,
      repair: o.repair,
    });
  }

  /** Reads and checks every block of a file store, writing nothing (see file/verify.ts for what it throws). */
  verify(name: string): StreamVerification {
    const p = this.options;
    return verifyStream(this.path(name), name, { key: p.key, prevKey: p.prevKey, cipher: p.cipher });
  }

  /**
   * A random salt kept beside the stores, made on first use: store names derived from client text (channel
   * names) are digested with it, so the tree shows no client text and a name finds its store under any key,
   * a wrong one included. It is not a secret: a guessed name can be confirmed against the tree.
   */
  namingSalt(): string {
    const file = join(this.dir, "names.salt");
    if (existsSync(file)) return readFileSync(file, "utf8").trim();
    mkdirSync(this.dir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    return readFileSync(file, "utf8").trim();
  }

  /** Removes a file store's directory and everything in it; the store must be closed. */
  remove(name: string): void {
    rmSync(this.path(name), { recursive: true, force: true });
  }
}

/**
 * The store_dir holding `dir`'s stores of `subsystem`, for `dir` given as the store_dir itself or as the
 * subsystem's folder in it (`…/jetstream`); null when neither holds any.
 */
export function locateStoreDir(subsystem: Subsystem, dir: string): string | null {
  const layout = LAYOUT[subsystem];
  if (existsSync(join(dir, layout.folder, layout.stores))) return dir;
  if (basename(dir) === layout.folder && existsSync(join(dir, layout.stores))) return dirname(dir);
  return null;
}
