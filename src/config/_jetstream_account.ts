/**
 * An account's `jetstream` key (nats-server 2.9's parseJetStreamForAccount): `enabled`/`disabled`, a
 * boolean, or a map of the account's limits, each -1 (no limit) unless given.
 */
import type { JetStreamAccountLimits } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, fail, kindName, walk } from "./_read.ts";

/** `jetstream: enabled`: no limits of its own (nats-server's dynamicJSAccountLimits). */
export const UNLIMITED_ACCOUNT: JetStreamAccountLimits = {
  max_memory: -1,
  max_storage: -1,
  max_streams: -1,
  max_consumers: -1,
  max_ack_pending: -1,
  memory_max_stream_bytes: -1,
  storage_max_stream_bytes: -1,
  max_bytes_required: false,
};

/** The account's limits, or null when it is disabled. */
export function accountJetStreamFromConf(node: ConfNode, key: string): JetStreamAccountLimits | null {
  if (node.kind === "bool") return node.value ? { ...UNLIMITED_ACCOUNT } : null;
  if (node.kind === "string") {
    const v = node.value.toLowerCase();
    if (v === "enabled" || v === "enable") return { ...UNLIMITED_ACCOUNT };
    if (v === "disabled" || v === "disable") return null;
    throw fail(node, key, `Expected 'enabled' or 'disabled' for string value, got '${node.value}'`);
  }
  if (node.kind !== "map") throw fail(node, key, `Expected map, bool or string to define JetStream, got ${kindName(node)}`);
  const limits = { ...UNLIMITED_ACCOUNT };
  const size = (field: Exclude<keyof JetStreamAccountLimits, "max_bytes_required">) => (n: ConfNode, k: string) => {
    if (n.kind !== "int") throw fail(n, k, `Expected a parseable size for ${JSON.stringify(k)}, got ${String(n.value)}`);
    limits[field] = n.value;
  };
  walk(node.value, {
    ...aliases(["max_memory", "max_mem", "mem", "memory"], size("max_memory")),
    ...aliases(["max_store", "max_file", "max_disk", "store", "disk"], size("max_storage")),
    ...aliases(["max_streams", "streams"], size("max_streams")),
    ...aliases(["max_consumers", "consumers"], size("max_consumers")),
    ...aliases(["mem_max_stream_bytes", "memory_max_stream_bytes"], size("memory_max_stream_bytes")),
    ...aliases(["disk_max_stream_bytes", "store_max_stream_bytes"], size("storage_max_stream_bytes")),
    max_ack_pending: size("max_ack_pending"),
    ...aliases(["max_bytes_required", "max_stream_bytes", "max_bytes"], (n, k) => {
      if (n.kind !== "bool") throw fail(n, k, `Expected a parseable bool for ${JSON.stringify(k)}, got ${String(n.value)}`);
      limits.max_bytes_required = n.value;
    }),
  });
  return limits;
}
