/**
 * Operator-mode fixtures made with @nats-io/jwt: an operator with a system account, accounts and users, their
 * `.creds` (fmtCreds), and a server config for a MEMORY or a full resolver with the accounts preloaded.
 * Account limits are written out: nats-server reads a missing limit as 0, "none allowed".
 */
import {
  type Account,
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type KeyPair,
  type User,
} from "@nats-io/jwt";
import { credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { client, RawConn, type TestServer } from "./server.ts";
import { INFO_LINE, infoOf } from "./raw.ts";

export const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

export interface JwtAccount {
  name: string;
  kp: KeyPair;
  pub: string;
  jwt: string;
}

export class OperatorSetup {
  private readonly accounts: JwtAccount[] = [];

  private constructor(readonly op: KeyPair, readonly sys: JwtAccount, readonly operatorJwt: string) {
    this.accounts.push(sys);
  }

  static async create(): Promise<OperatorSetup> {
    const op = createOperator();
    const kp = createAccount();
    const sys = { name: "SYS", kp, pub: kp.getPublicKey(), jwt: await encodeAccount("SYS", kp, { limits: UNLIMITED }, { signer: op }) };
    return new OperatorSetup(op, sys, await encodeOperator("op", op, { system_account: sys.pub }));
  }

  /** An account signed by the operator; `preload: false` leaves it out of the server's config; `kp` when its key is needed first. */
  async account(name: string, claims: Partial<Account> = {}, preload = true, kp: KeyPair = createAccount()): Promise<JwtAccount> {
    const a = { name, kp, pub: kp.getPublicKey(), jwt: await this.sign(kp, name, claims) };
    if (preload) this.accounts.push(a);
    return a;
  }

  /** A new JWT of the account (e.g. with revocations), signed by the operator. */
  sign(kp: KeyPair, name: string, claims: Partial<Account> = {}): Promise<string> {
    return encodeAccount(name, kp, { limits: UNLIMITED, ...claims }, { signer: this.op });
  }

  /** A user of `acc` and its creds; `exp` in seconds since the epoch. */
  async user(acc: JwtAccount, claims: Partial<User> = {}, exp?: number): Promise<{ pub: string; jwt: string; creds: Uint8Array }> {
    const kp = createUser();
    const jwt = await encodeUser("u", kp, acc.kp, claims, exp !== undefined ? { exp } : {});
    return { pub: kp.getPublicKey(), jwt, creds: fmtCreds(jwt, kp) };
  }

  /** Config lines: the operator inline, the resolver, the preloads. */
  conf(resolver: "memory" | { dir: string }): string {
    const r = resolver === "memory" ? "resolver: MEMORY" : `resolver: { type: full, dir: ${JSON.stringify(resolver.dir)} }`;
    const preload = this.accounts.map((a) => `  ${a.pub}: ${a.jwt}`).join("\n");
    return `operator: ${this.operatorJwt}\n${r}\nresolver_preload: {\n${preload}\n}\n`;
  }
}

/** Connections a test file opens with creds on its server, closed together when it ends. */
export function credsConnections(server: () => TestServer): { open(creds: Uint8Array): Promise<NatsConnection>; closeAll(): Promise<void> } {
  const conns: NatsConnection[] = [];
  return {
    async open(creds) {
      const nc = await client(server(), { authenticator: credsAuthenticator(creds) });
      conns.push(nc);
      return nc;
    },
    async closeAll() {
      for (const nc of conns.splice(0)) await nc.close().catch(() => {});
    },
  };
}

/**
 * A raw connection to `port` (a client or leaf node listener) authenticated with a user JWT: the INFO nonce
 * signed with the user's key, CONNECT (with `extra` fields) and a PING; resolves once the PONG is in (the
 * buffer then cleared), rejects with what came instead.
 */
export async function rawJwtConnect(port: number, jwt: string, kp: KeyPair, extra: Record<string, unknown> = {}): Promise<RawConn> {
  const c = await rawJwtOpen(port);
  c.send(`${jwtConnectLine(c, jwt, kp, extra)}PING\r\n`);
  await c.waitUntil((s) => s.includes("PONG\r\n") || s.includes("-ERR"), "PONG or -ERR");
  if (c.received.includes("-ERR")) {
    const got = c.received;
    c.close();
    throw new Error(`CONNECT refused: ${JSON.stringify(got)}`);
  }
  c.clear();
  return c;
}

/** A raw connection to `port` once its INFO is in (kept in `received`). */
export async function rawJwtOpen(port: number): Promise<RawConn> {
  const c = await RawConn.open(port);
  await c.waitFor(INFO_LINE);
  return c;
}

/** The CONNECT line (with its CRLF) of a user JWT, the INFO nonce of `c` signed with the user's key. */
export function jwtConnectLine(c: RawConn, jwt: string, kp: KeyPair, extra: Record<string, unknown> = {}): string {
  const nonce = String(infoOf(c).nonce);
  const sig = btoa(String.fromCharCode(...kp.sign(new TextEncoder().encode(nonce)))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...extra, jwt, sig })}\r\n`;
}
