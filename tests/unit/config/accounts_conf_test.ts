// accounts {} into ServerOptions: what nats-server 2.9's parseAccounts reads, and the errors only the
// parser can give (the linking errors are in tests/integration/accounts_test.ts, checked against nats-server).
import { expect, test } from "bun:test";
import { confError, confOptions } from "../../_helpers/conf_options.ts";

const options = confOptions;
const error = confError;

test("accounts: users get their account and the account's default permissions, exports and imports are kept", () => {
  const o = options(`
accounts {
  A: {
    default_permissions: { publish: "a.>" }
    users: [ {user: x, password: y}, {user: z, password: w, permissions: {publish: "z"}} ]
    exports: [ {stream: "s.>"}, {service: "q", accounts: [B], response_type: chunked, response_threshold: "5s"} ]
  }
  B: {
    imports: [ {stream: {account: A, subject: "s.>"}, prefix: p}, {service: {account: A, subject: "q"}, to: "local.q", share: true} ]
    mappings: { "m": "n", "w": [ {destination: "w1", weight: 30}, {destination: "w2", weight: "70%", cluster: c} ] }
  }
}
system_account: A`);
  const [a, b] = o.accounts!;
  expect(a!.users).toEqual([
    { user: "x", password: "y", account: "A", permissions: { publish: { allow: ["a.>"] } } },
    { user: "z", password: "w", account: "A", permissions: { publish: { allow: ["z"] } } },
  ]);
  expect(a!.exports).toEqual([{ stream: "s.>" }, { service: "q", accounts: ["B"], response_type: "chunked", response_threshold: 5000 }]);
  expect(b!.imports).toEqual([
    { stream: { account: "A", subject: "s.>" }, prefix: "p" },
    { service: { account: "A", subject: "q" }, to: "local.q", share: true },
  ]);
  expect(b!.mappings!.map(({ subject, dests }) => ({ subject, dests }))).toEqual([
    { subject: "m", dests: [{ destination: "n", weight: 100 }] },
    { subject: "w", dests: [{ destination: "w1", weight: 30 }, { destination: "w2", weight: 70, cluster: "c" }] },
  ]);
  expect(b!.at).toMatch(/^a\.conf:\d+:\d+$/);
  expect(o.system_account).toBe("A");
});

test("accounts as a list of names", () => {
  expect(options("accounts: [A, B]").accounts!.map((a) => a.name)).toEqual(["A", "B"]);
  expect(error("accounts: [A, A]")).toMatch(/^a\.conf:1:\d+: Duplicate Account Entry: A$/);
  expect(error(`accounts: ["$G"]`)).toMatch(/"\$G" is a Reserved Account/);
});

test("keys natsedge does not apply yet are refused at their position", () => {
  expect(error("accounts { A { exports: [{service: x, account_token_position: 2}] } }")).toMatch(/accounts\.exports\.account_token_position is not supported/);
});

/** An account A whose block holds `body` on line 5, as the texts checked against nats-server 2.9.10 (`-t`). */
const inAccount = (body: string) => `port: 4222\naccounts {\n  A: {\n    users: [{user: a, password: a}]\n    ${body}\n  }\n}\n`;

test("accounts' limits under nats-server's names and aliases, any case, -1 where not given", () => {
  const limits = (body: string) => options(inAccount(body)).accounts![0]!.limits;
  expect(limits("limits: { max_connections: 3, max_subscriptions: 4, max_payload: 1KB, max_leafnodes: 2 }")).toEqual({
    max_connections: 3, max_subscriptions: 4, max_payload: 1024, max_leafnodes: 2,
  });
  expect(limits("limits: { MAX_CONN: 1, max_subs: 0, max_pay: 10, max_leafs: -1 }")).toEqual({
    max_connections: 1, max_subscriptions: 0, max_payload: 10, max_leafnodes: -1,
  });
  expect(limits("limits: { max_subs: 7 }")).toEqual({ max_connections: -1, max_subscriptions: 7, max_payload: -1, max_leafnodes: -1 });
  expect(limits("limits: {}")).toEqual({ max_connections: -1, max_subscriptions: -1, max_payload: -1, max_leafnodes: -1 });
  // nats-server keeps each limit as an int32.
  expect(limits("limits: { max_conn: 4294967297 }")!.max_connections).toBe(1);
  expect(options(inAccount("")).accounts![0]!.limits).toBeUndefined();
});

test("accounts' limits errors are nats-server 2.9.10's, at the key's line and column", () => {
  expect(error(inAccount('limits: { max_conn: "x" }'))).toBe("a.conf:5:15: interface conversion: interface {} is string, not int64");
  expect(error(inAccount("limits: { max_subs: 1.5 }"))).toBe("a.conf:5:15: interface conversion: interface {} is float64, not int64");
  expect(error(inAccount("limits: { bogus: 1 }"))).toBe('a.conf:5:15: Unknown field "bogus" parsing account limits');
  expect(error(inAccount("limits: 5"))).toBe("a.conf:5:5: Expected account limits to be a map/struct, got 5");
});

test("account-level and cross-block user errors", () => {
  expect(error("accounts { A { nkey: nope } }")).toMatch(/Not a valid public nkey for an account: "nope"/);
  expect(error("accounts { A { users: [{user: a}] } }\nauthorization { token: t }")).toMatch(/Can not have a token and accounts/);
  expect(error("authorization { users: [{user: a}] }\naccounts { A { users: [{user: a}] } }")).toMatch(/Duplicate user "a" detected/);
  expect(error('accounts { A { imports: [{stream: {account: B, subject: x}, prefix: p, to: q}] } }')).toMatch(/Stream import can not have a 'prefix' and a 'to' property/);
  expect(error('accounts { A { exports: [{service: x, response_threshold: "soon"}] } }')).toMatch(/Expected response threshold to be a parseable time duration, got "soon"/);
  expect(error('accounts { A { mappings: { "a..b": "c" } } }')).toMatch(/Subject "a\.\.b" is not a valid subject/);
  expect(error('accounts { A { mappings: { "a": [{destination: "b", weight: 5, foo: 1}] } } }')).toMatch(/Unknown field "foo" for mapping destination/);
});

test("accounts' jetstream: enabled, disabled, or limits under nats-server's names, -1 where not given", () => {
  const o = options(`
accounts {
  A: { jetstream: enabled }
  B: { jetstream: { max_mem: 1M, max_file: 2048, max_streams: 3 } }
  C: { jetstream: { memory: 5, disk: 6, streams: 7, consumers: 8, max_ack_pending: 9, mem_max_stream_bytes: 10, store_max_stream_bytes: 11, max_bytes: true } }
  D: { jetstream: disabled }
  E: { jetstream: true }
  F: {}
}`);
  const js = Object.fromEntries(o.accounts!.map((a) => [a.name, a.jetstream]));
  const none = { max_ack_pending: -1, memory_max_stream_bytes: -1, storage_max_stream_bytes: -1, max_bytes_required: false };
  expect(js.A).toEqual({ max_memory: -1, max_storage: -1, max_streams: -1, max_consumers: -1, ...none });
  expect(js.B).toEqual({ max_memory: 1_000_000, max_storage: 2048, max_streams: 3, max_consumers: -1, ...none });
  expect(js.C).toEqual({
    max_memory: 5, max_storage: 6, max_streams: 7, max_consumers: 8,
    max_ack_pending: 9, memory_max_stream_bytes: 10, storage_max_stream_bytes: 11, max_bytes_required: true,
  });
  expect(js.D).toBeNull();
  expect(js.E).toEqual(js.A);
  expect(js.F).toBeUndefined();
  expect(error("accounts { A { jetstream: maybe } }")).toMatch(/^a\.conf:1:\d+: Expected 'enabled' or 'disabled' for string value, got 'maybe'$/);
  expect(error(`accounts { A { jetstream: { max_mem: "1K" } } }`)).toMatch(/Expected a parseable size for "max_mem", got 1K/);
  expect(error("accounts { A { jetstream: { max_bytes_required: 5 } } }")).toMatch(/Expected a parseable bool for "max_bytes_required", got 5/);
  expect(error("accounts { A { jetstream: { nope: 1 } } }")).toMatch(/unknown field "nope"/);
});
