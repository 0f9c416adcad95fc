/**
 * An account's `limits {}` (nats-server 2.9's parseAccountLimits): connections, subscriptions per
 * connection, payload and leaf node connections, each -1 (no limit) unless given. nats-server keeps each
 * as an int32, so a value is cut to 32 bits as Go's conversion does.
 */
import type { AccountLimits } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, fail, goType, walk } from "./_read.ts";

export const NO_ACCOUNT_LIMITS: AccountLimits = { max_connections: -1, max_subscriptions: -1, max_payload: -1, max_leafnodes: -1 };

/** Go's %+v of a value that is not a map, as the "Expected ... map/struct" error prints it. */
function goValue(n: ConfNode): string {
  switch (n.kind) {
    case "array": return `[${n.value.map(goValue).join(" ")}]`;
    case "datetime": return String(n.value);
    case "map": return "map[...]";
    default: return String(n.value);
  }
}

export function accountLimitsFromConf(node: ConfNode, key: string): AccountLimits {
  if (node.kind !== "map") throw fail(node, key, `Expected account limits to be a map/struct, got ${goValue(node)}`);
  const limits = { ...NO_ACCOUNT_LIMITS };
  const set = (field: keyof AccountLimits) => (n: ConfNode, k: string) => {
    if (n.kind !== "int") throw fail(n, k, `interface conversion: interface {} is ${goType(n)}, not int64`);
    limits[field] = n.value | 0;
  };
  walk(node.value, {
    ...aliases(["max_connections", "max_conn"], set("max_connections")),
    ...aliases(["max_subscriptions", "max_subs"], set("max_subscriptions")),
    ...aliases(["max_payload", "max_pay"], set("max_payload")),
    ...aliases(["max_leafnodes", "max_leafs"], set("max_leafnodes")),
  }, (k) => `Unknown field ${JSON.stringify(k)} parsing account limits`);
  return limits;
}
