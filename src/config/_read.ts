/**
 * Typed access to parsed config values for from_conf and its block readers. Every failure is a
 * ConfigError at the key's position naming the key; messages describe types, never values, so a
 * misplaced password cannot end up in a log.
 */
import { ConfigError, formatPosition } from "./errors.ts";
import type { ConfMap, ConfNode } from "./parser.ts";
import { parseGoDuration } from "./_duration.ts";

type Kind = ConfNode["kind"];
type ValueOf<K extends Kind> = Extract<ConfNode, { kind: K }>["value"];

const KIND_NAMES: Record<Kind, string> = {
  string: "a string",
  int: "an integer",
  float: "a float",
  bool: "a boolean",
  datetime: "a datetime",
  array: "an array",
  map: "a map",
};

export const kindName = (node: ConfNode): string => KIND_NAMES[node.kind];

/** Go's %T of a config value, as nats-server's errors and type-assertion panics print it. */
const GO_TYPES: Record<Kind, string> = {
  string: "string",
  int: "int64",
  float: "float64",
  bool: "bool",
  datetime: "time.Time",
  array: "[]interface {}",
  map: "map[string]interface {}",
};

export const goType = (node: ConfNode): string => GO_TYPES[node.kind];

/** Records a warning about `field` in nats-server's `configWarningErr` format. */
export type Warn = (node: ConfNode, field: string, reason: string) => void;

export function warningCollector(into: string[]): Warn {
  return (node, field, reason) =>
    into.push(`${formatPosition({ file: node.file, line: node.line, column: node.col })}: invalid use of field "${field}": ${reason}`);
}

/** A node's `file:line:col`, for errors raised once the whole config is known. */
export const formatAt = (node: ConfNode): string => formatPosition({ file: node.file, line: node.line, column: node.col });

export function fail(node: ConfNode, key: string, detail: string): ConfigError {
  return new ConfigError(detail, { file: node.file, line: node.line, column: node.col, key });
}

function expect<K extends Kind>(node: ConfNode, key: string, kind: K): ValueOf<K> {
  if (node.kind !== kind) throw fail(node, key, `expected ${KIND_NAMES[kind]} for "${key}", got ${kindName(node)}`);
  return node.value as ValueOf<K>;
}

export const str = (node: ConfNode, key: string): string => expect(node, key, "string");
export const int = (node: ConfNode, key: string): number => expect(node, key, "int");
export const bool = (node: ConfNode, key: string): boolean => expect(node, key, "bool");
export const map = (node: ConfNode, key: string): ConfMap => expect(node, key, "map");
export const list = (node: ConfNode, key: string): ConfNode[] => expect(node, key, "array");

export type Handler = (node: ConfNode, key: string) => void;

/** One handler under several names, as nats-server accepts aliases (`max_conn`, `max_connections`). */
export function aliases(names: string[], handler: Handler): Record<string, Handler> {
  return Object.fromEntries(names.map((n) => [n, handler]));
}

/**
 * Sends each entry of `m` to the handler for its lower-cased key (keys are case-insensitive, as in
 * nats-server). An entry no handler knows is an error, unless it was only there to be used as a
 * `$variable`.
 */
export function walk(
  m: ConfMap,
  handlers: Record<string, Handler>,
  unknown: (key: string) => string = (key) => `unknown field "${key}"`,
): void {
  for (const [key, node] of m) {
    const lower = key.toLowerCase();
    if (Object.hasOwn(handlers, lower)) handlers[lower](node, key);
    else if (!node.usedVariable) throw fail(node, key, unknown(key));
  }
}

function checkPort(node: ConfNode, key: string, port: number): number {
  if (!Number.isInteger(port) || port < -1 || port > 65535) {
    throw fail(node, key, `invalid port ${port} for "${key}": must be between 0 and 65535, or -1 for a random port`);
  }
  return port;
}

export const port = (node: ConfNode, key: string): number => checkPort(node, key, int(node, key));

/** Go's net.SplitHostPort: "host:port" or "[v6]:port". */
function splitHostPort(s: string): { host: string; port: string } | undefined {
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0 || s[end + 1] !== ":") return undefined;
    return { host: s.slice(1, end), port: s.slice(end + 2) };
  }
  const i = s.lastIndexOf(":");
  if (i < 0 || s.slice(0, i).includes(":")) return undefined;
  return { host: s.slice(0, i), port: s.slice(i + 1) };
}

/** nats-server's parseListen: a port number, or "host:port". An empty host leaves the host unchanged. */
export function hostPort(node: ConfNode, key: string): { host?: string; port: number } {
  if (node.kind === "int") return { port: checkPort(node, key, node.value) };
  if (node.kind !== "string") throw fail(node, key, `expected port or host:port for "${key}", got ${kindName(node)}`);
  const parts = splitHostPort(node.value);
  if (parts === undefined) throw fail(node, key, `could not parse address string ${JSON.stringify(node.value)}`);
  if (!/^[+-]?\d+$/.test(parts.port)) throw fail(node, key, `could not parse port ${JSON.stringify(parts.port)}`);
  const port = checkPort(node, key, Number(parts.port));
  return parts.host === "" ? { port } : { host: parts.host, port };
}

/**
 * nats-server's parseDuration: a Go duration string, or an integer number of seconds, which is
 * accepted with a deprecation warning because `ping_interval: 1m` silently means a million seconds.
 */
export function duration(node: ConfNode, key: string, warn: Warn): number {
  const field = key.toLowerCase();
  if (node.kind === "int") {
    warn(node, field, `${field} should be converted to a duration`);
    return node.value * 1000;
  }
  if (node.kind !== "string") throw fail(node, key, `expected a duration for "${key}", got ${kindName(node)}`);
  try {
    return parseGoDuration(node.value);
  } catch (e) {
    throw fail(node, key, `error parsing ${field}: ${(e as Error).message}`);
  }
}

/** TLS and auth timeouts: seconds as an integer or float, or a duration string. `what` prefixes errors. */
export function timeout(node: ConfNode, key: string, what: string): number {
  if (node.kind === "int" || node.kind === "float") return node.value * 1000;
  if (node.kind !== "string") throw fail(node, key, `error parsing ${what} config, '${key}' wrong type`);
  try {
    return parseGoDuration(node.value);
  } catch (e) {
    throw fail(node, key, `error parsing ${what} config, '${key}' ${(e as Error).message}`);
  }
}

/** A string or a list of strings (nats-server's parseStringArray). */
export function strings(node: ConfNode, key: string): string[] {
  if (node.kind === "string") return [node.value];
  if (node.kind !== "array") throw fail(node, key, `expected a string or an array of strings for "${key}", got ${kindName(node)}`);
  return node.value.map((item) => {
    if (item.kind !== "string") throw fail(item, key, `expected only strings in "${key}", got ${kindName(item)}`);
    return item.value;
  });
}

/** URLs for routes and leafnode remotes; credentials in a URL are never echoed back. */
export function url(node: ConfNode, key: string, what: string): string {
  const s = str(node, key).trim();
  try {
    new URL(s);
  } catch {
    throw fail(node, key, `error parsing ${what} url [${JSON.stringify(s.replace(/\/\/[^/@]*@/, "//<redacted>@"))}]`);
  }
  return s;
}
