/** The `jetstream` key: a boolean, "enabled"/"disabled", or a map (nats-server's parseJetStream). */
import type { JetStreamCipher, JetStreamOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, bool, duration, fail, type Handler, kindName, str, type Warn, walk } from "./_read.ts";

/** Accepted `cipher` spellings, case-insensitive. nats-server's "chacha" is XChaCha20-Poly1305. */
const CIPHERS: Record<string, JetStreamCipher> = { chacha: "chacha", chachapoly: "chacha", xchacha: "xchacha", aes: "aes" };
const STORAGE_SHIFT: Record<string, bigint> = { K: 10n, M: 20n, G: 30n, T: 40n };

export interface JetStreamHooks {
  warn: Warn;
  /** Called before `store_dir` is set; throws if the top level already set it. */
  claimStoreDir: (node: ConfNode, key: string) => void;
  /** Handlers for nats-server keys natsedge accepts but ignores. */
  ignored: Record<string, Handler>;
}

export function jetstreamFromConf(
  node: ConfNode,
  key: string,
  current: JetStreamOptions | undefined,
  hooks: JetStreamHooks,
): JetStreamOptions {
  const js: JetStreamOptions = { ...current, enabled: current?.enabled ?? false };
  if (node.kind === "bool") return { ...js, enabled: node.value };
  if (node.kind === "string") {
    const v = node.value.toLowerCase();
    if (v === "enabled" || v === "enable") return { ...js, enabled: true };
    if (v === "disabled" || v === "disable") return { ...js, enabled: false };
    throw fail(node, key, `Expected 'enabled' or 'disabled' for string value, got '${node.value}'`);
  }
  if (node.kind !== "map") throw fail(node, key, `Expected map, bool or string to define JetStream, got ${kindName(node)}`);
  let enable = true;
  walk(node.value, {
    ...hooks.ignored,
    ...aliases(["store", "store_dir", "storedir"], (n, k) => {
      hooks.claimStoreDir(n, k);
      js.store_dir = str(n, k);
    }),
    ...aliases(["max_memory_store", "max_mem_store", "max_mem"], (n, k) => {
      js.max_memory_store = storageSize(n, k, "max_mem_store");
    }),
    ...aliases(["max_file_store", "max_file"], (n, k) => {
      js.max_file_store = storageSize(n, k, "max_file_store");
    }),
    domain: (n, k) => {
      js.domain = str(n, k);
    },
    ...aliases(["enable", "enabled"], (n, k) => {
      enable = bool(n, k);
    }),
    ...aliases(["key", "ek", "encryption_key"], (n, k) => {
      js.key = str(n, k);
    }),
    ...aliases(["prev_key", "prev_ek", "prev_encryption_key"], (n, k) => {
      js.prev_key = str(n, k);
    }),
    cipher: (n, k) => {
      const name = str(n, k);
      const cipher = Object.hasOwn(CIPHERS, name.toLowerCase()) ? CIPHERS[name.toLowerCase()] : undefined;
      if (cipher === undefined) throw fail(n, k, `Unknown cipher type: ${JSON.stringify(name)}`);
      js.cipher = cipher;
    },
    ...aliases(["sync", "sync_interval"], (n, k) => {
      js.sync_interval = n.kind === "string" && n.value.toLowerCase() === "always" ? "always" : duration(n, k, hooks.warn);
    }),
  });
  js.enabled = enable;
  return js;
}

/**
 * nats-server's getStorageSize: an integer (the lexer already applied any `1G`/`1GB` suffix), or a
 * string ending in K, M, G or T, which always means powers of two (`"1G"` is 2^30, unquoted `1G` 10^9).
 */
function storageSize(node: ConfNode, key: string, name: string): number {
  if (node.kind === "int") return node.value;
  if (node.kind !== "string") throw fail(node, key, `${name} must be int64 or string`);
  if (node.value === "") return 0;
  const shift = STORAGE_SHIFT[node.value.slice(-1)];
  const digits = node.value.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) {
    throw fail(node, key, `${name} strconv.ParseInt: parsing ${JSON.stringify(digits)}: invalid syntax`);
  }
  if (shift === undefined) throw fail(node, key, `${name} sizes defined as strings must end in K, M, G, T`);
  return Number(BigInt(digits) << shift);
}
