/**
 * Operator-mode fixtures without nsc: an operator, an account and a user, their JWTs signed with
 * @nats-io/nkeys (the nats JWT v2 form: header `{"typ":"JWT","alg":"ed25519-nkey"}`, claims, Ed25519
 * signature over `header.claims`), and a `.creds` file as nsc writes it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";

const encoder = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function sign(issuer: KeyPair, sub: string, name: string, nats: Record<string, unknown>): string {
  const header = b64url(encoder.encode(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" })));
  const jti = b64url(crypto.getRandomValues(new Uint8Array(20))).toUpperCase().replace(/[^A-Z2-7]/g, "A").slice(0, 26);
  const claims = { jti, iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub, nats: { ...nats, version: 2 } };
  const body = b64url(encoder.encode(JSON.stringify(claims)));
  const sig = b64url(issuer.sign(encoder.encode(`${header}.${body}`)));
  return `${header}.${body}.${sig}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };

export interface OperatorFixture {
  operatorJwt: string;
  accountPub: string;
  accountJwt: string;
  /** nats-server config lines for the operator, a memory resolver and the preloaded account. */
  serverConf: string;
  /** Writes a user's `.creds` file in `dir`; returns its path. */
  userCreds(dir: string, name: string): string;
}

export function operatorFixture(): OperatorFixture {
  const op = createOperator();
  const acc = createAccount();
  const operatorJwt = sign(op, op.getPublicKey(), "op", { type: "operator" });
  // The operator signs accounts; an account signs its users.
  const accountJwt = sign(op, acc.getPublicKey(), "A", {
    type: "account",
    limits: { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
    default_permissions: { pub: {}, sub: {} },
  });
  const accountPub = acc.getPublicKey();
  return {
    operatorJwt,
    accountPub,
    accountJwt,
    serverConf: `operator: "${operatorJwt}"\nresolver: MEMORY\nresolver_preload: { ${accountPub}: "${accountJwt}" }`,
    userCreds(dir, name) {
      const user = createUser();
      const jwt = sign(acc, user.getPublicKey(), name, { type: "user", pub: {}, sub: {}, ...UNLIMITED });
      const seed = new TextDecoder().decode(user.getSeed());
      const text = `-----BEGIN NATS USER JWT-----
${jwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${seed}
------END USER NKEY SEED------

*************************************************************
`;
      const path = join(dir, `${name}.creds`);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    },
  };
}
