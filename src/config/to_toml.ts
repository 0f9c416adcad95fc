/**
 * `natsedge config --to-toml`: a NATS config as TOML with the same keys, which natsedge reads back to the
 * same options. Values read through `$NAME` from the environment or a top-level key are written as the
 * reference again, never as the value: they are often secrets.
 */
import { stringify } from "smol-toml";
import type { ConfMap, ConfNode } from "./parser.ts";

export function confToToml(conf: ConfMap): string {
  return stringify(plain(conf));
}

function plain(map: ConfMap): Record<string, unknown> {
  return Object.fromEntries([...map].map(([k, n]) => [k, value(n)]));
}

function value(n: ConfNode): unknown {
  if (n.variable !== undefined) return `$${n.variable}`;
  if (n.kind === "map") return plain(n.value);
  if (n.kind === "array") return n.value.map(value);
  return n.value;
}
