/**
 * A system request's JSON body as the monitor endpoint's query parameters. Each request type takes the
 * fields of its nats-server 2.9.10 options struct (ConnzOptions, SubszOptions, JSzOptions, AccountzOptions,
 * LeafzOptions, RoutezOptions, HealthzOptions, AccountStatzOptions) under their JSON names, which differ from
 * the query names in places (`account` is `acc`, `subscriptions` is `subs`); like Go's json.Unmarshal, any
 * other field is ignored. A body that is not a JSON object is an error (nats-server's 400 answer). Every
 * server and account request also takes EventFilterOptions, which pick the servers that answer.
 */

/** nats-server's ConnState as a number (ConnOpen, ConnClosed, ConnAll), as /connz's `state` names them. */
const CONN_STATES = ["open", "closed", "any"];

type Convert = (v: unknown) => string | null;

const text: Convert = (v) => (v === false || v === "" || v === 0 ? null : String(v));
const detail: Convert = (v) => (v === true ? "detail" : null);
const state: Convert = (v) => (typeof v === "number" ? (CONN_STATES[v] ?? String(v)) : text(v));

/** Per request type: JSON field → [query name, conversion]. */
const FIELDS: Record<string, Record<string, [string, Convert]>> = {
  CONNZ: {
    sort: ["sort", text],
    auth: ["auth", text],
    subscriptions: ["subs", text],
    subscriptions_detail: ["subs", detail],
    offset: ["offset", text],
    limit: ["limit", text],
    cid: ["cid", text],
    mqtt_client: ["mqtt_client", text],
    state: ["state", state],
    user: ["user", text],
    acc: ["acc", text],
  },
  SUBSZ: { offset: ["offset", text], limit: ["limit", text], subscriptions: ["subs", text], account: ["acc", text], test: ["test", text] },
  JSZ: {
    account: ["acc", text],
    accounts: ["accounts", text],
    streams: ["streams", text],
    consumers: ["consumers", text],
    config: ["config", text],
    leader_only: ["leader-only", text],
    offset: ["offset", text],
    limit: ["limit", text],
    raft: ["raft", text],
  },
  ACCOUNTZ: { account: ["acc", text] },
  LEAFZ: { subscriptions: ["subs", text], account: ["acc", text] },
  ROUTEZ: { subscriptions: ["subs", text], subscriptions_detail: ["subs", detail] },
  HEALTHZ: { "js-enabled": ["js-enabled", text], "js-enabled-only": ["js-enabled-only", text], "js-server-only": ["js-server-only", text] },
  STATZ: { accounts: ["accounts", text], include_unused: ["include_unused", text] },
};

/** The options of a request of `type` in `data`, as query parameters. */
export function queryOf(type: string, data: Uint8Array): URLSearchParams {
  const q = new URLSearchParams();
  if (data.length === 0) return q;
  const opts = JSON.parse(new TextDecoder().decode(data)) as unknown;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) throw new SyntaxError("request options must be a JSON object");
  const fields = FIELDS[type] ?? {};
  for (const [k, v] of Object.entries(opts)) {
    const field = fields[k];
    if (field === undefined || v === null) continue;
    const value = field[1](v);
    // subscriptions_detail wins over subscriptions, as ConnzOptions reads them.
    if (value !== null && !(q.get(field[0]) === "detail")) q.set(field[0], value);
  }
  return q;
}

/** What a request's filter compares: the server's name, host, cluster, JetStream domain ("" for none) and tags. */
export interface ServerIdentity {
  name: string;
  host: string;
  cluster: string;
  domain: string;
  tags: readonly string[];
}

/**
 * Whether a request's filter (nats-server's EventFilterOptions: `server_name`, `host` and `cluster` as
 * substrings, every one of `tags`, the `domain`) leaves this server out; it then does not answer at all.
 * Options that are not a JSON object filter nothing: the endpoint answers them 400.
 */
export function filtersOut(data: Uint8Array, self: ServerIdentity): boolean {
  if (data.length === 0) return false;
  let f: Record<string, unknown>;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return false;
    f = parsed as Record<string, unknown>;
  } catch {
    return false;
  }
  const without = (want: unknown, have: string) => typeof want === "string" && want !== "" && !have.includes(want);
  if (without(f.server_name, self.name) || without(f.host, self.host) || without(f.cluster, self.cluster)) return true;
  // Tags compare as jwt.TagList.Contains does: trimmed and lower-cased.
  if (Array.isArray(f.tags) && f.tags.some((t) => typeof t !== "string" || !self.tags.includes(t.trim().toLowerCase()))) return true;
  return typeof f.domain === "string" && f.domain !== "" && f.domain !== self.domain;
}
