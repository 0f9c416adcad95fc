/**
 * The open channels (nats-streaming-server's channelStore): created on first publish or subscription
 * within max_channels and the case rule, every one on disk reopened at start, and deleted by
 * max_inactivity. Each is a StreamStore from the STAN StoreProvider with its limits applied.
 */
import { createHmac } from "node:crypto";
import type { StreamingOptions } from "../config/options.ts";
import type { StoreProvider } from "../store/provider.ts";
import type { StreamLimits, StreamStore } from "../store/store.ts";
import { Channel, type ChannelHost } from "./channel.ts";
import { CLIENTS_STORE } from "./clients.ts";
import { channelLimits, maxChannels } from "./limits.ts";

/** Directories named by the salted digest start so; an older natsedge's keyed digests start with `c-`. */
const SALTED = "n-";

/** How often a new channel's name is logged against the stored channels that could not be opened (ms). */
const LOCKED_REPORT_EVERY_MS = 5_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ChannelRegistry {
  readonly #opening = new Map<string, Promise<Channel>>();
  readonly #open = new Map<string, Channel>();
  /** Each open channel's store directory name. */
  readonly #dirs = new Map<string, string>();
  /** max_inactivity timers of channels without a subscription. */
  readonly #inactive = new Map<string, ReturnType<typeof setTimeout>>();
  /** Each open channel's max_inactivity (ms, 0 for none), resolved once: it is asked after every publish. */
  readonly #inactivityMs = new Map<string, number>();
  /**
   * Why each stored channel that could not be opened (a wrong key) failed, by directory. A channel asked for
   * by name finds its directory through the salted digest whatever the key; one made before salted names
   * (an older natsedge's keyed digest) cannot be told apart from a new one.
   */
  readonly #locked = new Map<string, string>();
  #lockedReportAt = 0;
  /** When each locked channel's failed lookup was last logged. */
  readonly #lookupReportAt = new Map<string, number>();
  #salt: string | null = null;

  constructor(
    private readonly options: StreamingOptions,
    private readonly stores: StoreProvider,
    private readonly host: ChannelHost,
    /** Runs a background task, logging what it throws. */
    private readonly background: (what: string, p: Promise<void>) => void,
  ) {}

  get size(): number {
    return this.#open.size;
  }

  get(name: string): Channel | undefined {
    return this.#open.get(name);
  }

  all(): ReadonlyMap<string, Channel> {
    return this.#open;
  }

  values(): IterableIterator<Channel> {
    return this.#open.values();
  }

  /** Reopens every channel in the store directory; one that cannot be read is logged and left untouched. */
  async recover(): Promise<void> {
    if (this.options.store !== "file") return;
    for (const dir of this.stores.names()) {
      if (dir === CLIENTS_STORE) continue;
      try {
        const store = await this.stores.open(dir, { storage: "file" });
        const meta = store.readMeta();
        if (meta === null) {
          await store.close();
          continue;
        }
        const { name } = JSON.parse(decoder.decode(meta)) as { name: string };
        // Limits changed in the config since the channel was created apply from now on.
        await store.updateLimits(this.#limits(name));
        this.#adopt(name, dir, store);
      } catch (err) {
        this.#locked.set(dir, (err as Error).message);
        this.host.log.error(`STREAM: Unable to recover channel in ${JSON.stringify(dir)}: ${(err as Error).message}`);
      }
    }
  }

  /** The channel, opened or created; a string is nats-streaming-server's error for one it cannot create. */
  lookupOrCreate(name: string): Promise<Channel> | string {
    const open = this.#open.get(name);
    if (open !== undefined) return Promise.resolve(open);
    let p = this.#opening.get(name);
    if (p !== undefined) return p;
    const max = maxChannels(this.options.store_limits);
    if (max > 0 && this.#open.size + this.#opening.size >= max) return "too many channels";
    // Channels once named directories, so names differing only in case clash (the typo is the reference's).
    const lower = name.toLowerCase();
    for (const other of [...this.#open.keys(), ...this.#opening.keys()]) {
      if (other.toLowerCase() === lower) {
        return `rejecting channel ${JSON.stringify(name)} because channel ${JSON.stringify(other)} alreay exists (different cases not allowed)`;
      }
    }
    const locked = this.#locked.get(this.#dirName(name));
    if (locked !== undefined) return this.#lockedLookup(name, locked);
    this.#reportLocked(name);
    p = this.#create(name);
    this.#opening.set(name, p);
    void p.then(() => this.#opening.delete(name), () => this.#opening.delete(name));
    return p;
  }

  /**
   * A stored channel this key cannot open: nothing is created over it, the client is refused and the log
   * says what nats-streaming-server logs when a lookup fails (at most every LOCKED_REPORT_EVERY_MS per channel).
   */
  #lockedLookup(name: string, why: string): string {
    const cause = /(?:cipher|chacha20poly1305): message authentication failed/.exec(why)?.[0] ?? why;
    const text = `Error looking up message ${name}:1 (${cause})`;
    const now = Date.now();
    if (now - (this.#lookupReportAt.get(name) ?? 0) >= LOCKED_REPORT_EVERY_MS) {
      this.#lookupReportAt.set(name, now);
      this.host.log.error(`STREAM: ${text}`);
    }
    return text;
  }

  /**
   * Under a wrong key every stored channel stays closed and untouched, and one asked for by name starts empty
   * beside it: say so where the client's request is, not only at startup (at most every LOCKED_REPORT_EVERY_MS).
   */
  #reportLocked(name: string): void {
    // Salted names (n-) are found by name; only an older natsedge's keyed names could be this channel.
    const unnamed = [...this.#locked].filter(([dir]) => !dir.startsWith(SALTED));
    if (unnamed.length === 0) return;
    const now = Date.now();
    if (now - this.#lockedReportAt < LOCKED_REPORT_EVERY_MS) return;
    this.#lockedReportAt = now;
    const why = unnamed[0]![1];
    this.host.log.error(
      `STREAM: Error looking up channel ${JSON.stringify(name)}: ${unnamed.length} stored channel(s) could not be opened (${why}); ` +
        `if it is one of them, its messages are served again once the server runs with the right key`,
    );
  }

  async #create(name: string): Promise<Channel> {
    const dir = this.#dirName(name);
    // Limits drop the oldest messages, never refuse a publish (nats-streaming-server's rule).
    const store = await this.stores.open(dir, { storage: this.options.store, limits: this.#limits(name) });
    await store.writeMeta(encoder.encode(JSON.stringify({ name })));
    return this.#adopt(name, dir, store);
  }

  #adopt(name: string, dir: string, store: StreamStore): Channel {
    const ch = new Channel(name, store, this.host);
    this.#open.set(name, ch);
    this.#dirs.set(name, dir);
    this.watchInactivity(ch);
    return ch;
  }

  #limits(name: string): StreamLimits {
    const l = channelLimits(this.options.store_limits, name);
    return { max_msgs: l.max_msgs, max_bytes: l.max_bytes, max_age_ms: l.max_age, discard: "old" };
  }

  /**
   * A channel's file store directory: encrypted, it is named by a salted digest (the store provider's salt),
   * so no client text is in the tree and the name finds its directory under any key.
   */
  #dirName(channel: string): string {
    if (!this.options.encrypt || this.options.store !== "file") return channel;
    this.#salt ??= this.stores.namingSalt();
    return `${SALTED}${createHmac("sha256", this.#salt).update(channel).digest("hex").slice(0, 40)}`;
  }

  /**
   * max_inactivity: a channel with no subscription (durables and durable queue groups count) that gets no
   * message for that long is deleted, messages and all (nats-streaming-server's channel GC). Called after
   * anything that changes either.
   */
  watchInactivity(ch: Channel): void {
    let ms = this.#inactivityMs.get(ch.name);
    if (ms === undefined) this.#inactivityMs.set(ch.name, (ms = channelLimits(this.options.store_limits, ch.name).max_inactivity));
    if (ms <= 0) return;
    const t = this.#inactive.get(ch.name);
    if (t !== undefined) clearTimeout(t);
    this.#inactive.delete(ch.name);
    if (!ch.idle()) return;
    this.#inactive.set(ch.name, setTimeout(() => this.background(ch.name, this.#delete(ch, ms)), ms));
  }

  async #delete(ch: Channel, ms: number): Promise<void> {
    this.#inactive.delete(ch.name);
    if (this.#open.get(ch.name) !== ch || !ch.idle()) return;
    this.#open.delete(ch.name);
    this.#inactivityMs.delete(ch.name);
    const dir = this.#dirs.get(ch.name)!;
    this.#dirs.delete(ch.name);
    await ch.shutdown();
    if (this.options.store === "file") this.stores.remove(dir);
    this.host.log.notice(`STREAM: Channel ${JSON.stringify(ch.name)} has been inactive for ${ms / 1000}s, deleting`);
  }

  /** Writes every channel's subscription state and closes the stores. */
  async stop(): Promise<void> {
    for (const t of this.#inactive.values()) clearTimeout(t);
    this.#inactive.clear();
    await Promise.allSettled(this.#opening.values());
    for (const ch of this.#open.values()) {
      try {
        await ch.shutdown();
      } catch (err) {
        this.host.log.error(`STREAM: closing channel ${JSON.stringify(ch.name)}: ${(err as Error).message}`);
      }
    }
    this.#open.clear();
  }
}
