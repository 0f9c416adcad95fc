/**
 * NATS Streaming's settings: the `streaming { ... }` block with nats-streaming-server's keys (server/conf.go),
 * and the checks its flags and the environment go through too. Keys natsedge does not act on yet (store
 * tuning, SQL, TLS to NATS) are accepted with a warning, as nats-streaming-server ignores keys it does not know.
 */
import { ConfigError } from "./errors.ts";
import type { StreamingOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, bool, fail, type Handler, int, kindName, map, str, type Warn } from "./_read.ts";
import { parseGoDuration } from "./_duration.ts";
import { storeLimitsFromConf } from "./_store_limits.ts";

export const DEFAULT_CLUSTER_ID = "test-cluster";
/** The environment variable that wins over `encryption_key` (nats-streaming-server's). */
export const ENCRYPTION_KEY_ENV = "NATS_STREAMING_ENCRYPTION_KEY";

export function defaultStreaming(): StreamingOptions {
  return { cluster_id: DEFAULT_CLUSTER_ID, store: "memory", encrypt: false };
}

/** `-store`/`store`: case-insensitive, as nats-streaming-server's. */
export function storeType(value: string): StreamingOptions["store"] {
  const v = value.toLowerCase();
  if (v === "memory" || v === "file") return v;
  if (v === "sql") throw new Error("the SQL store is not supported by natsedge: use FILE or MEMORY");
  throw new Error(`unknown store type: ${value}`);
}

export function encryptionCipher(value: string): "chacha" | "aes" {
  const v = value.toLowerCase();
  if (v === "chacha" || v === "aes") return v;
  throw new Error(`unknown encryption cipher ${JSON.stringify(value)}, should be "AES" or "CHACHA"`);
}

/** conf.go's checkType for durations: a string only, never a number of seconds. */
function durationKey(n: ConfNode, k: string): number {
  if (n.kind !== "string") throw fail(n, k, `parameter ${JSON.stringify(k)} value is expected to be string, got ${kindName(n)}`);
  try {
    return parseGoDuration(n.value);
  } catch (e) {
    throw fail(n, k, (e as Error).message);
  }
}

function wrap<T>(n: ConfNode, k: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fail(n, k, (e as Error).message);
  }
}

export function streamingFromConf(node: ConfNode, key: string, current: StreamingOptions | undefined, warn: Warn): StreamingOptions {
  const s: StreamingOptions = { ...defaultStreaming(), ...current };
  const handlers: Record<string, Handler> = {
    ...aliases(["id", "cid", "cluster_id"], (n, k) => {
      s.cluster_id = str(n, k);
    }),
    discover_prefix: (n, k) => {
      s.discover_prefix = str(n, k);
    },
    ...aliases(["st", "store_type", "store", "storetype"], (n, k) => {
      s.store = wrap(n, k, () => storeType(str(n, k)));
    }),
    ...aliases(["dir", "datastore"], (n, k) => {
      s.dir = str(n, k);
    }),
    encrypt: (n, k) => {
      s.encrypt = bool(n, k);
    },
    encryption_cipher: (n, k) => {
      s.encryption_cipher = wrap(n, k, () => encryptionCipher(str(n, k)));
    },
    encryption_key: (n, k) => {
      s.encryption_key = str(n, k);
      // nats-streaming-server: giving a key turns encryption on.
      s.encrypt = true;
    },
    ...aliases(["hbi", "hb_interval", "server_to_client_hb_interval"], (n, k) => {
      s.hb_interval = durationKey(n, k);
    }),
    ...aliases(["hbt", "hb_timeout", "server_to_client_hb_timeout"], (n, k) => {
      s.hb_timeout = durationKey(n, k);
    }),
    ...aliases(["hbf", "hb_fail_count", "server_to_client_hb_fail_count"], (n, k) => {
      s.hb_fail_count = int(n, k);
    }),
    ...aliases(["replace_durable", "replace_durables", "replace_duplicate_durable", "replace_duplicate_durables"], (n, k) => {
      s.replace_durable = bool(n, k);
    }),
    ...aliases(["limits", "store_limits", "storelimits"], (n, k) => {
      s.store_limits = storeLimitsFromConf(n, k, s.store_limits);
    }),
    ...aliases(["ft_group", "ft_group_name"], (n, k) => {
      throw fail(n, k, "fault-tolerance groups (ft_group) are not supported by natsedge: run one server per store");
    }),
  };
  for (const [k, n] of map(node, key)) {
    const lower = k.toLowerCase();
    if (Object.hasOwn(handlers, lower)) handlers[lower](n, k);
    else if (!n.usedVariable) warn(n, lower, "not supported by natsedge yet and ignored");
  }
  return s;
}

/**
 * The checks nats-streaming-server makes at startup, once the file, the flags and the environment are in:
 * the environment's key wins over `encryption_key`, and `encrypt` without a key cannot start.
 */
export function finishStreaming(s: StreamingOptions, env: Record<string, string | undefined>): StreamingOptions {
  const envKey = env[ENCRYPTION_KEY_ENV];
  const out = { ...s };
  if (out.encrypt && envKey) out.encryption_key = envKey;
  if (out.store === "file" && !out.dir) throw new ConfigError("for FILE stores, root directory must be specified", { file: "", line: 0, column: 0 });
  if (out.encrypt && !out.encryption_key) {
    throw new ConfigError(
      `-encrypt needs a key: set ${ENCRYPTION_KEY_ENV} in the environment (recommended) or encryption_key in the streaming block`,
      { file: "", line: 0, column: 0 },
    );
  }
  return out;
}
