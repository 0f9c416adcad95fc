/**
 * `accounts {}`: nats-server 2.9's parseAccounts, parseAccountExports/Imports, parseExportStreamOrService,
 * parseImportStreamOrService and parseAccountMappings, with their error texts. What needs every account at
 * once (an import naming an unknown account, authorization, cycles, a mapping's destination) is checked when
 * the accounts are linked (src/account/registry.ts), at the account's position.
 *
 * Deliberate difference: nats-server reads a block's keys in Go's random map order, so which of two
 * conflicting keys it reports varies; natsedge reads them in file order.
 */
import { decodeNkey, NkeyPrefix } from "../protocol/nkey_codec.ts";
import type { AccountExport, AccountImport, AccountOptions, AuthorizationOptions, MappingDest, UserEntry } from "./options.ts";
import type { ConfMap, ConfNode } from "./parser.ts";
import { isValidSubject, permissionsFromConf, usersFromConf } from "./_auth.ts";
import { parseGoDuration } from "./_duration.ts";
import { accountJetStreamFromConf } from "./_jetstream_account.ts";
import { accountLimitsFromConf } from "./_account_limits.ts";
import { fail, formatAt, goType, str, walk } from "./_read.ts";

/** The global account every client without one is in; an `accounts {}` block may not define it. */
const GLOBAL_ACCOUNT = "$G";

/**
 * Keys natsedge does not apply yet. Starting without them would drop what the operator asked
 * for, so they are refused at their position.
 */
const UNAPPLIED_EXPORT_KEYS = ["account_token_position"];

function unapplied(keys: string[], what: string) {
  return Object.fromEntries(keys.map((k) => [k, (n: ConfNode, key: string) => {
    if (!n.usedVariable) throw fail(n, key, `${what}${key.toLowerCase()} is not supported by natsedge yet`);
  }]));
}

export interface AccountsConf {
  accounts: AccountOptions[];
  /** Where each account's users are, for the checks against `authorization {}`. */
  usersAt: Map<AccountOptions, ConfNode>;
}

export function accountsFromConf(node: ConfNode, key: string): AccountsConf {
  const out: AccountsConf = { accounts: [], usersAt: new Map() };
  if (node.kind === "array") {
    const seen = new Set<string>();
    for (const item of node.value) {
      const name = str(item, key);
      if (name === GLOBAL_ACCOUNT) throw fail(item, key, `"${name}" is a Reserved Account`);
      if (seen.has(name)) throw fail(item, key, `Duplicate Account Entry: ${name}`);
      seen.add(name);
      out.accounts.push({ name, at: formatAt(item) });
    }
    return out;
  }
  if (node.kind !== "map") throw fail(node, key, `Expected accounts to be a map or an array of account names, got ${goType(node)}`);
  for (const [name, entry] of node.value) {
    if (entry.usedVariable) continue;
    if (entry.kind !== "map") throw fail(entry, name, "Expected map entries for accounts");
    if (name === GLOBAL_ACCOUNT) throw fail(entry, name, `"${name}" is a Reserved Account`);
    out.accounts.push(accountFromConf(name, entry, entry.value, out));
  }
  for (const acc of out.accounts) checkLatencySubjects(acc, node, key);
  return out;
}

function isLiteral(subject: string): boolean {
  return isValidSubject(subject) && subject.split(".").every((t) => t !== "*" && t !== ">");
}

/** Whether the literal subject matches the (possibly wildcard) pattern. */
function literalMatches(literal: string, pattern: string): boolean {
  const l = literal.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return l.length > i;
    if (i >= l.length || (p[i] !== "*" && p[i] !== l[i])) return false;
  }
  return l.length === p.length;
}

/**
 * nats-server's TrackServiceExportWithSampling, which reports at the accounts block: measures go to a
 * literal subject that is none of the account's own services (they would measure themselves).
 */
function checkLatencySubjects(acc: AccountOptions, node: ConfNode, key: string): void {
  const services = (acc.exports ?? []).flatMap((e) => (e.service !== undefined ? [e.service] : []));
  for (const e of acc.exports ?? []) {
    if (e.latency === undefined) continue;
    e.latency.at = formatAt(node);
    const results = e.latency.subject;
    if (!isLiteral(results) || services.some((s) => literalMatches(results, s))) {
      throw fail(node, key, `Error adding service latency sampling for ${JSON.stringify(e.service)} on subject ${JSON.stringify(results)}: invalid publish subject`);
    }
  }
}

function accountFromConf(name: string, at: ConfNode, m: ConfMap, out: AccountsConf): AccountOptions {
  const acc: AccountOptions = { name, at: formatAt(at) };
  walk(m, {
    nkey: (n, k) => {
      if (n.kind !== "string" || decodeNkey(NkeyPrefix.Account, n.value) === null) {
        throw fail(n, k, `Not a valid public nkey for an account: ${n.kind === "string" ? JSON.stringify(n.value) : String(n.value)}`);
      }
      acc.nkey = n.value;
    },
    imports: (n) => {
      acc.imports = importsFromConf(n);
    },
    exports: (n) => {
      acc.exports = exportsFromConf(n);
    },
    users: (n, k) => {
      acc.users = usersFromConf(n, k, "client");
      out.usersAt.set(acc, n);
    },
    default_permissions: (n, k) => {
      acc.default_permissions = permissionsFromConf(n, k);
    },
    mappings: (n, k) => {
      acc.mappings = mappingsFromConf(n, k);
    },
    maps: (n, k) => {
      acc.mappings = mappingsFromConf(n, k);
    },
    jetstream: (n, k) => {
      acc.jetstream = accountJetStreamFromConf(n, k);
    },
    limits: (n, k) => {
      acc.limits = accountLimitsFromConf(n, k);
    },
  });
  for (const u of acc.users ?? []) {
    u.account = name;
    u.permissions ??= acc.default_permissions;
  }
  return acc;
}

function exportsFromConf(node: ConfNode): AccountExport[] {
  if (node.kind !== "array") throw fail(node, "exports", `Exports should be an array, got ${goType(node)}`);
  return node.value.map((item) => {
    if (item.kind !== "map") throw fail(item, "exports", `Export Items should be a map with type entry, got ${goType(item)}`);
    const e: AccountExport = {};
    let responseAt: ConfNode | undefined;
    const name = (n: ConfNode, what: string) => {
      if (n.kind !== "string") throw fail(n, what, `Expected ${what} name to be string, got ${goType(n)}`);
      return n.value;
    };
    const response = (n: ConfNode, k: string) => {
      if (responseAt !== undefined) throw fail(n, k, "Duplicate response type definition");
      responseAt = n;
      if (n.kind !== "string") throw fail(n, k, `Expected response type to be string, got ${goType(n)}`);
      const rt = RESPONSE_TYPES[n.value.toLowerCase()];
      if (rt === undefined) throw fail(n, k, `Unknown response type: ${JSON.stringify(n.value)}`);
      if (e.stream !== undefined) throw fail(n, k, "Detected response directive on non-service");
      e.response_type = rt;
    };
    let thresholdSeen = false;
    let latencyAt: ConfNode | undefined;
    const threshold = (n: ConfNode, k: string) => {
      if (thresholdSeen) throw fail(n, k, "Duplicate response threshold detected");
      thresholdSeen = true;
      if (n.kind !== "string") throw fail(n, k, `Expected response threshold to be a parseable time duration, got ${goType(n)}`);
      try {
        e.response_threshold = parseGoDuration(n.value);
      } catch {
        throw fail(n, k, `Expected response threshold to be a parseable time duration, got ${JSON.stringify(n.value)}`);
      }
      if (e.stream !== undefined) throw fail(n, k, "Detected response directive on non-service");
    };
    walk(item.value, {
      stream: (n, k) => {
        if (e.service !== undefined) throw fail(n, k, `Detected stream ${JSON.stringify(n.value)} but already saw a service`);
        if (responseAt !== undefined || thresholdSeen) throw fail(responseAt ?? n, k, "Detected response directive on non-service");
        if (latencyAt !== undefined) throw fail(latencyAt, "latency", "Detected latency directive on non-service");
        e.stream = name(n, "stream");
      },
      service: (n, k) => {
        if (e.stream !== undefined) throw fail(n, k, `Detected service ${JSON.stringify(n.value)} but already saw a stream`);
        e.service = name(n, "service");
      },
      response: response,
      response_type: response,
      threshold,
      response_threshold: threshold,
      response_max_time: threshold,
      response_time: threshold,
      accounts: (n, k) => {
        if (n.kind !== "array") throw fail(n, k, `Expected accounts to be an array, got ${goType(n)}`);
        e.accounts = n.value.map((a) => str(a, k));
      },
      latency: (n, k) => {
        latencyAt = n;
        if (e.stream !== undefined) throw fail(n, k, "Detected latency directive on non-service");
        e.latency = latencyFromConf(n, k);
      },
      ...unapplied(UNAPPLIED_EXPORT_KEYS, "accounts.exports."),
    });
    return e;
  });
}

/** nats-server's DEFAULT_SERVICE_LATENCY_SAMPLING. */
const DEFAULT_LATENCY_SAMPLING = 100;

/**
 * nats-server 2.9.10's parseServiceLatency: a subject alone (every request sampled), or `{sampling, subject}`
 * with sampling 1-100 as a number or a "50%" string, or "headers": only requests whose trace headers ask.
 */
function latencyFromConf(node: ConfNode, key: string): { sampling: number; subject: string } {
  if (node.kind === "string") return { sampling: DEFAULT_LATENCY_SAMPLING, subject: node.value };
  if (node.kind !== "map") throw fail(node, key, `Expected latency entry to be a map/struct or string, got ${goType(node)}`);
  let sampling = DEFAULT_LATENCY_SAMPLING;
  const s = node.value.get("sampling");
  if (s !== undefined) {
    if (s.kind === "int") sampling = s.value;
    else if (s.kind === "string" && s.value.trim().toLowerCase() === "headers") {
      // Sampled only by the requests' trace headers.
      return { sampling: 0, subject: latencySubject(node, key) };
    } else if (s.kind === "string") {
      const v = s.value.endsWith("%") ? s.value.slice(0, -1) : s.value;
      if (!/^[+-]?\d+$/.test(v)) throw fail(s, "sampling", `Failed to parse latency sample: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
      sampling = Number(v);
    } else throw fail(s, "sampling", `Expected latency sample to be a string or map/struct, got ${goType(s)}`);
    if (sampling < 1 || sampling > 100) throw fail(s, "sampling", "bad sampling percentage, should be 1-100");
  }
  return { sampling, subject: latencySubject(node, key) };
}

function latencySubject(node: ConfNode & { kind: "map" }, key: string): string {
  const subject = node.value.get("subject");
  if (subject === undefined) throw fail(node, key, "Latency subject required, but missing");
  // nats-server prints the type of its (string) target variable here, not the value's.
  if (subject.kind !== "string") throw fail(subject, "subject", "Expected latency subject to be a string, got string");
  return subject.value;
}

const RESPONSE_TYPES: Record<string, AccountExport["response_type"]> = {
  single: "singleton",
  singleton: "singleton",
  stream: "stream",
  chunk: "chunked",
  chunked: "chunked",
};

function importsFromConf(node: ConfNode): AccountImport[] {
  if (node.kind !== "array") throw fail(node, "imports", `Imports should be an array, got ${goType(node)}`);
  const services = new Map<string, { account: string; subject: string }>();
  return node.value.map((item) => {
    if (item.kind !== "map") throw fail(item, "imports", `Import Items should be a map with type entry, got ${goType(item)}`);
    const i: AccountImport = {};
    let toAt: ConfNode | undefined;
    walk(item.value, {
      stream: (n, k) => {
        if (i.service !== undefined) throw fail(n, k, "Detected stream but already saw a service");
        i.stream = accountRef(n, k, "Stream");
      },
      service: (n, k) => {
        if (i.stream !== undefined) throw fail(n, k, "Detected service but already saw a stream");
        i.service = accountRef(n, k, "Service");
      },
      prefix: (n, k) => {
        i.prefix = str(n, k);
      },
      to: (n, k) => {
        i.to = str(n, k);
        toAt = n;
      },
      share: (n, k) => {
        if (n.kind !== "bool") throw fail(n, k, `expected a boolean for "${k}", got ${goType(n)}`);
        i.share = n.value;
      },
    });
    if (i.stream !== undefined && i.prefix !== undefined && toAt !== undefined) {
      throw fail(toAt, "to", "Stream import can not have a 'prefix' and a 'to' property");
    }
    if (i.service !== undefined) {
      const to = i.to ?? i.service.subject;
      const dup = services.get(to);
      if (dup !== undefined) {
        throw fail(item, "imports", `Duplicate service import subject ${JSON.stringify(to)}, previously used in import for account ${JSON.stringify(dup.account)}, subject ${JSON.stringify(dup.subject)}`);
      }
      services.set(to, i.service);
    }
    return i;
  });
}

/** `{account: A, subject: s}`, nats-server's parseAccount. */
function accountRef(node: ConfNode, key: string, what: string): { account: string; subject: string } {
  if (node.kind !== "map") throw fail(node, key, `${what} entry should be an account map, got ${goType(node)}`);
  let account = "";
  let subject = "";
  walk(node.value, {
    account: (n, k) => {
      account = str(n, k);
    },
    subject: (n, k) => {
      subject = str(n, k);
    },
  });
  if (account === "" || subject === "") throw fail(node, key, "Expect an account name and a subject");
  return { account, subject };
}

export function mappingsFromConf(node: ConfNode, key: string): NonNullable<AccountOptions["mappings"]> {
  if (node.kind !== "map") throw fail(node, key, `Expected mappings to be a map, got ${goType(node)}`);
  const out: NonNullable<AccountOptions["mappings"]> = [];
  for (const [subject, v] of node.value) {
    if (!isValidSubject(subject)) throw fail(v, subject, `Subject ${JSON.stringify(subject)} is not a valid subject`);
    let dests: MappingDest[];
    if (v.kind === "string") dests = [{ destination: v.value, weight: 100 }];
    else if (v.kind === "array") dests = v.value.map(mapDest);
    else if (v.kind === "map") dests = [mapDest(v)];
    else throw fail(v, subject, `Unknown type ${goType(v)} for mapping destination`);
    out.push({ subject, dests, at: formatAt(v) });
  }
  return out;
}

/** nats-server's parseAccountMapDest: `{destination, weight, cluster}`, the weight required. */
function mapDest(node: ConfNode): MappingDest {
  if (node.kind !== "map") throw fail(node, "mappings", "Expected an entry for the mapping destination");
  const d: MappingDest = { destination: "", weight: -1 };
  const dest = (n: ConfNode, k: string) => {
    d.destination = str(n, k);
  };
  walk(
    node.value,
    {
      dest,
      destination: dest,
      weight: (n, k) => {
        let w: number;
        if (n.kind === "string") {
          const text = n.value.endsWith("%") ? n.value.slice(0, -1) : n.value;
          if (!/^[+-]?\d+$/.test(text)) throw fail(n, k, `Invalid weight ${JSON.stringify(text)} for mapping destination`);
          w = Number(text);
        } else if (n.kind === "int") {
          w = n.value;
        } else {
          throw fail(n, k, `Unknown entry type for weight of ${String(n.value)}`);
        }
        if (w > 100 || w < 0) throw fail(n, k, `Invalid weight ${w} for mapping destination`);
        d.weight = w;
      },
      cluster: (n, k) => {
        d.cluster = str(n, k);
      },
    },
    (k) => `Unknown field ${JSON.stringify(k)} for mapping destination`,
  );
  if (d.weight < 0) throw fail(node, "mappings", `Missing weight for mapping destination ${JSON.stringify(d.destination)}`);
  return d;
}

/**
 * What nats-server's parseAccounts and parseAuthorization check between the two blocks: a single user or a
 * token cannot sit beside account users, and a user name or nkey is unique across all of them.
 */
export function checkAccountUsers(conf: AccountsConf, auth: AuthorizationOptions | undefined): void {
  const seen = new Set<string>();
  for (const u of auth?.users ?? []) seen.add(u.nkey ?? u.user ?? "");
  for (const acc of conf.accounts) {
    const at = conf.usersAt.get(acc);
    if (at === undefined || (acc.users ?? []).length === 0) continue;
    if (auth?.user !== undefined) throw fail(at, "users", "Can not have a single user/pass and accounts");
    if (auth?.token !== undefined) throw fail(at, "users", "Can not have a token and accounts");
    for (const u of acc.users as UserEntry[]) {
      const id = u.nkey ?? u.user ?? "";
      if (seen.has(id)) throw fail(at, "users", `Duplicate ${u.nkey === undefined ? "user" : "nkey"} ${JSON.stringify(id)} detected`);
      seen.add(id);
    }
  }
}
