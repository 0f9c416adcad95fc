// The account resolvers (src/account/resolver.ts) and the JWT checks they feed (src/auth/jwt_verify.ts):
// one conformance suite for MEMORY and the directory store, preloads that never replace a newer JWT,
// the directory's limit, and nats-server's revocation and validity-date rules.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount } from "@nats-io/nkeys";
import { newResolver } from "../../../src/account/resolver.ts";
import { isRevoked, timeProblem } from "../../../src/auth/jwt_verify.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-resolver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A JWT-shaped string with the claims the resolver reads (jti, iat); the signature is not its business. */
function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");
  return `${b64({ typ: "JWT", alg: "ed25519-nkey" })}.${b64({ type: "account", ...claims })}.sig`;
}

const KEYS = [1, 2, 3].map(() => createAccount().getPublicKey());

const kinds = [
  ["memory", () => newResolver({ type: "memory" })],
  ["full", () => newResolver({ type: "full", dir: join(dir, `full-${Math.random()}`) })],
] as const;

for (const [kind, make] of kinds) {
  describe(`the ${kind} resolver`, () => {
    test("fetches what was stored, and null for an account it has not got", () => {
      const r = make();
      const ax = KEYS[0]!;
      expect(r.fetch(ax)).toBeNull();
      r.store(ax, jwt({ jti: "1", iat: 1 }));
      expect(r.fetch(ax)).toBe(jwt({ jti: "1", iat: 1 }));
      r.store(ax, jwt({ jti: "2", iat: 2 }));
      expect(r.fetch(ax)).toBe(jwt({ jti: "2", iat: 2 }));
    });
  });
}

test("the directory reads and writes only files named by account public keys", () => {
  const r = newResolver({ type: "full", dir: join(dir, "keys") });
  expect(r.fetch("../../etc/passwd")).toBeNull();
  expect(() => r.store("../escape", jwt({ jti: "x", iat: 1 }))).toThrow("is not an account public key");
});

test("the directory keeps <dir>/<pub>.jwt, a preload does not replace a newer JWT, and the limit refuses more accounts", () => {
  const d = join(dir, "limited");
  const r = newResolver({ type: "full", dir: d, limit: 2 });
  const [aa, ab, ac] = [KEYS[0]!, KEYS[1]!, KEYS[2]!];
  r.store(aa, jwt({ jti: "new", iat: 20 }));
  r.preload(aa, jwt({ jti: "old", iat: 10 }));
  expect(r.fetch(aa)).toBe(jwt({ jti: "new", iat: 20 }));
  r.preload(aa, jwt({ jti: "newer", iat: 30 }));
  expect(r.fetch(aa)).toBe(jwt({ jti: "newer", iat: 30 }));
  r.store(ab, jwt({ jti: "b", iat: 1 }));
  expect(() => r.store(ac, jwt({ jti: "c", iat: 1 }))).toThrow("store is full");
  expect(readdirSync(d).sort()).toEqual([`${aa}.jwt`, `${ab}.jwt`].sort());
  // What a restart reads back.
  expect(newResolver({ type: "full", dir: d }).fetch(ab)).toBe(jwt({ jti: "b", iat: 1 }));
});

test("revocations: a user key or \"*\" revokes JWTs issued at or before its time", () => {
  expect(isRevoked({ UA: 100 }, "UA", 100)).toBe(true);
  expect(isRevoked({ UA: 100 }, "UA", 101)).toBe(false);
  expect(isRevoked({ "*": 100 }, "UB", 99)).toBe(true);
  expect(isRevoked({ UA: 100 }, "UB", 1)).toBe(false);
  expect(isRevoked(undefined, "UA", 1)).toBe(false);
});

test("validity dates: exp in the past and nbf in the future are problems, 0 means none", () => {
  const now = 1_000_000_000_000;
  expect(timeProblem({ exp: now / 1000 - 1 }, now)).toBe("claim is expired");
  expect(timeProblem({ nbf: now / 1000 + 10 }, now)).toBe("claim is not yet valid");
  expect(timeProblem({ exp: 0, nbf: 0 }, now)).toBeNull();
  expect(timeProblem({ exp: now / 1000 + 10 }, now)).toBeNull();
});
