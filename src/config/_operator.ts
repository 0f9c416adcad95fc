/**
 * Operator mode's keys: `operator` (and its aliases), `trusted`, `resolver` and `resolver_preload`, with
 * nats-server 2.9's error texts (opts.go processConfigFileLine). A JWT here is checked for its form and
 * claim type; its signature is checked when the server starts (src/account/operator.ts), because the
 * Ed25519 code that verifies it is only loaded in operator mode.
 */
import { decodeNkey } from "../protocol/nkey_codec.ts";
import { nodeFs } from "../runtime/lazy_fs.ts";
import type { ResolverOptions, ServerOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { parseGoDuration } from "./_duration.ts";
import { aliases, fail, type Handler, kindName } from "./_read.ts";

/** nkeys' operator key prefix ('O'); the account prefix is 0 ('A'). */
const OPERATOR_PREFIX = 14 << 3;
const ACCOUNT_PREFIX = 0;
/** nsc's decorated files: the first dashed block holds the JWT. */
const DECORATED = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}[\n]*))/;

export const isOperatorKey = (k: string): boolean => decodeNkey(OPERATOR_PREFIX, k) !== null;
export const isAccountKey = (k: string): boolean => decodeNkey(ACCOUNT_PREFIX, k) !== null;

/** A JWT's claims, read without checking the signature; null when it is not a JWT. */
export function unverifiedClaims(jwt: string): Record<string, unknown> | null {
  const parts = jwt.split(".");
  if (parts.length !== 3) return null;
  try {
    const json = (s: string) => JSON.parse(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)));
    const header = json(parts[0]!);
    if (String(header.typ).toUpperCase() !== "JWT") return null;
    const claims = json(parts[1]!);
    return claims !== null && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** The claim type: `nats.type` (JWT v2) or the top-level `type` (v1). */
export function claimType(c: Record<string, unknown>): unknown {
  return (c.nats as { type?: unknown } | undefined)?.type ?? c.type;
}

/** nats-server's readOperatorJWT: a file (plain or nsc-decorated) or, when no such file exists, the JWT inline. */
function readOperatorJwt(value: string): string {
  let text = value;
  try {
    text = nodeFs().readFileSync(value, "utf8");
  } catch (err) {
    if (!value.startsWith("eyJ")) throw new Error(`open ${value}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (err as Error).message}`);
  }
  const jwt = (DECORATED.exec(text)?.[1] ?? text).trim();
  const c = unverifiedClaims(jwt);
  if (c === null) throw new Error("expected 3 chunks");
  if (claimType(c) !== "operator") throw new Error(`not operator claim`);
  return jwt;
}

function strings(n: ConfNode, key: string, what: string): string[] {
  if (n.kind === "string") return [n.value];
  if (n.kind !== "array") throw fail(n, key, `error parsing ${what}: unsupported type ${kindName(n)}`);
  return n.value.map((item) => {
    if (item.kind !== "string") throw fail(item, key, `error parsing ${what}: unsupported type in array ${kindName(item)}`);
    return item.value;
  });
}

function goDuration(n: ConfNode, key: string): number {
  if (n.kind !== "string") throw fail(n, key, `expected a duration for "${key}", got ${kindName(n)}`);
  try {
    return parseGoDuration(n.value);
  } catch (err) {
    throw fail(n, key, (err as Error).message);
  }
}

function resolverFromConf(n: ConfNode, key: string): ResolverOptions {
  const usage = 'error parsing account resolver, should be MEM or  URL("url") or a map containing dir and type state=[FULL|CACHE])';
  if (n.kind === "string") {
    if (/^\s*(MEM|MEMORY)\s*$/i.test(n.value)) return { type: "memory" };
    if (/^\s*URL/i.test(n.value)) throw fail(n, key, "the URL account resolver is not supported by natsedge (it has no HTTP fetch): use MEMORY or a full or cache resolver");
    throw fail(n, key, usage);
  }
  if (n.kind !== "map") throw fail(n, key, `error parsing operator resolver, wrong type ${kindName(n)}`);
  const m = n.value;
  const get = (k: string) => m.get(k) ?? [...m].find(([name]) => name.toLowerCase() === k)?.[1];
  const dirNode = get("dir");
  const dir = dirNode?.kind === "string" ? dirNode.value : "";
  const type = get("type")?.value;
  const del = get("allow_delete")?.value === true;
  const limitNode = get("limit");
  const ttl = get("ttl");
  const interval = get("interval");
  const timeout = get("timeout");
  const r = {
    dir,
    ...(del ? { allow_delete: true } : {}),
    ...(limitNode?.kind === "int" ? { limit: limitNode.value } : {}),
    ...(ttl ? { ttl: goDuration(ttl, "ttl") } : {}),
    ...(interval ? { interval: goDuration(interval, "interval") } : {}),
    ...(timeout ? { timeout: goDuration(timeout, "timeout") } : {}),
  };
  if (dir === "") throw fail(n, key, "dir has no value and needs to point to a directory");
  try {
    const st = nodeFs().statSync(dir);
    if (!st.isDirectory() || (st.mode & 0o200) === 0) throw fail(n, key, "dir needs to point to an accessible directory");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  switch (String(type ?? "").toUpperCase()) {
    case "CACHE":
      if (r.interval) throw fail(n, key, "CACHE does not accept sync");
      if (del) throw fail(n, key, "CACHE does not accept allow_delete");
      return { type: "cache", ...r };
    case "FULL":
      if (r.ttl) throw fail(n, key, "FULL does not accept ttl");
      return { type: "full", ...r };
  }
  throw fail(n, key, usage);
}

function preloadFromConf(n: ConfNode, key: string): Record<string, string> {
  if (n.kind !== "map") throw fail(n, key, "preload should be a map of account_public_key:account_jwt");
  const out: Record<string, string> = {};
  for (const [pub, v] of n.value) {
    if (v.kind !== "string") throw fail(v, pub, "preload map value should be a string JWT");
    const c = unverifiedClaims(v.value);
    if (c === null || claimType(c) !== "account") throw fail(v, pub, "invalid account JWT");
    out[pub] = v.value;
  }
  return out;
}

/** The handlers from_conf.ts adds to its top-level walk. */
export function operatorHandlers(o: ServerOptions): Record<string, Handler> {
  return {
    ...aliases(["operator", "operators", "roots", "root", "root_operators", "root_operator"], (n, k) => {
      o.operator = strings(n, k, "operators").map((value) => {
        try {
          return readOperatorJwt(value);
        } catch (err) {
          throw fail(n, k, `error parsing operator JWT: ${(err as Error).message}`);
        }
      });
    }),
    ...aliases(["trusted", "trusted_keys"], (n, k) => {
      const keys = strings(n, k, "trusted");
      for (const key of keys) if (!isOperatorKey(key)) throw fail(n, k, `trust key ${JSON.stringify(key)} required to be a valid public operator nkey`);
      o.trusted_keys = keys;
    }),
    ...aliases(["resolver", "account_resolver", "accounts_resolver"], (n, k) => {
      o.resolver = resolverFromConf(n, k);
    }),
    resolver_preload: (n, k) => {
      o.resolver_preload = preloadFromConf(n, k);
    },
  };
}

/**
 * nats-server's validateTrustedOperators (run when the server is created): what operator mode excludes, and
 * the system account taken from the operator JWT when none is configured.
 */
export function trustedOperatorsError(o: ServerOptions): string | null {
  const ops = o.operator ?? [];
  if (ops.length === 0) return null;
  if (o.resolver === undefined) return "operators require an account resolver to be configured";
  if ((o.accounts ?? []).length > 0) return "operators do not allow Accounts to be configured directly";
  if ((o.authorization?.users ?? []).length > 0) return "operators do not allow users to be configured directly";
  if ((o.trusted_keys ?? []).length > 0) return "conflicting options for 'TrustedKeys' and 'TrustedOperators'";
  const systems = ops.map((jwt) => (unverifiedClaims(jwt)?.nats as { system_account?: string } | undefined)?.system_account ?? "");
  if (o.system_account !== undefined) {
    if (systems.some((s) => s !== "") && !systems.includes(o.system_account)) return "system_account in config and operator JWT must be identical";
  } else if (systems[0] === "" && o.resolver.type !== "memory") {
    return "using nats based account resolver - the system account needs to be specified in configuration or the operator jwt";
  }
  return null;
}

/** The operator JWT's system account, when the config names none (opts.go, for a single operator). */
export function operatorSystemAccount(o: ServerOptions): string | undefined {
  if (o.system_account !== undefined || o.operator?.length !== 1) return o.system_account;
  const sys = (unverifiedClaims(o.operator[0]!)?.nats as { system_account?: string } | undefined)?.system_account;
  return sys === undefined || sys === "" ? undefined : sys;
}
