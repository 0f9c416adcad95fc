// Operator mode's keys into ServerOptions (src/config/_operator.ts): what nats-server 2.9's
// processConfigFileLine reads for operator, trusted, resolver and resolver_preload, and the errors only the
// parser gives (those of a starting server are in tests/integration/operator_auth_test.ts, checked against
// nats-server).
import { beforeAll, expect, test } from "bun:test";
import { confError, confOptions } from "../../_helpers/conf_options.ts";
import { trustedOperatorsError } from "../../../src/config/_operator.ts";
import { OperatorSetup } from "../../_helpers/operator.ts";

const options = confOptions;
const error = confError;

let setup: OperatorSetup;
beforeAll(async () => {
  setup = await OperatorSetup.create();
});

test("an inline operator JWT, MEMORY and preloads; the system account comes from the operator JWT", () => {
  const o = options(setup.conf("memory"));
  expect(o.operator).toEqual([setup.operatorJwt]);
  expect(o.resolver).toEqual({ type: "memory" });
  expect(o.resolver_preload).toEqual({ [setup.sys.pub]: setup.sys.jwt });
  expect(o.system_account).toBe(setup.sys.pub);
  expect(trustedOperatorsError(o)).toBeNull();
});

test("a configured system_account wins over the operator JWT's, and must be the same", () => {
  const o = options(`system_account: AOTHER\n${setup.conf("memory")}`);
  expect(o.system_account).toBe("AOTHER");
  expect(trustedOperatorsError(o)).toBe("system_account in config and operator JWT must be identical");
});

test("resolver maps: full with interval and allow_delete, cache with ttl and limit", () => {
  expect(options(`resolver: { type: full, dir: "/tmp/x", allow_delete: true, interval: "2m", timeout: "1s" }`).resolver)
    .toEqual({ type: "full", dir: "/tmp/x", allow_delete: true, interval: 120_000, timeout: 1000 });
  expect(options(`resolver: { type: cache, dir: "/tmp/x", ttl: "1h", limit: 10 }`).resolver)
    .toEqual({ type: "cache", dir: "/tmp/x", ttl: 3_600_000, limit: 10 });
  expect(options(`resolver: mem`).resolver).toEqual({ type: "memory" });
});

test("resolver errors in nats-server's words, at the key's position", () => {
  expect(error(`resolver: { type: full, dir: "/tmp/x", ttl: "1h" }`)).toMatch(/^a\.conf:1:\d+: FULL does not accept ttl/);
  expect(error(`resolver: { type: cache, dir: "/tmp/x", interval: "1m" }`)).toMatch(/CACHE does not accept sync/);
  expect(error(`resolver: { type: cache, dir: "/tmp/x", allow_delete: true }`)).toMatch(/CACHE does not accept allow_delete/);
  expect(error(`resolver: { type: full }`)).toMatch(/dir has no value and needs to point to a directory/);
  expect(error(`resolver: 1`)).toMatch(/error parsing operator resolver, wrong type/);
  expect(error(`resolver: URL("http://127.0.0.1:9090/jwt/v1/accounts/")`)).toMatch(/URL account resolver is not supported by natsedge/);
  expect(error(`resolver_preload: [ a ]`)).toMatch(/preload should be a map of account_public_key:account_jwt/);
  expect(error(`resolver_preload: { ${setup.sys.pub}: 1 }`)).toMatch(/preload map value should be a string JWT/);
  expect(error(`resolver_preload: { ${setup.sys.pub}: ${setup.operatorJwt} }`)).toMatch(/invalid account JWT/);
});

test("operator errors: an account JWT is not an operator's; trusted keys must be operator keys", () => {
  expect(error(`operator: ${setup.sys.jwt}`)).toMatch(/error parsing operator JWT: not operator claim/);
  expect(error(`trusted: ${setup.sys.pub}`)).toMatch(/trust key ".*" required to be a valid public operator nkey/);
  expect(options(`trusted: [ ${setup.op.getPublicKey()} ]`).trusted_keys).toEqual([setup.op.getPublicKey()]);
});

test("validateTrustedOperators: a resolver is required, accounts and users are not allowed, nor trusted keys beside operators", () => {
  expect(trustedOperatorsError(options(`operator: ${setup.operatorJwt}`))).toBe("operators require an account resolver to be configured");
  expect(trustedOperatorsError(options(`${setup.conf("memory")}\naccounts { A {} }`))).toBe("operators do not allow Accounts to be configured directly");
  expect(trustedOperatorsError(options(`${setup.conf("memory")}\ntrusted: ${setup.op.getPublicKey()}`))).toBe("conflicting options for 'TrustedKeys' and 'TrustedOperators'");
  expect(trustedOperatorsError(options(""))).toBeNull();
});
