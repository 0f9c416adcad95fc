// websocket { jwt_cookie } (issue 18) with the official JS client's wsconnect: in operator mode a WebSocket
// client whose CONNECT has no jwt is the user whose JWT the upgrade request carried in that cookie, as in
// nats-server 2.9.10 (run with NATSEDGE_REFERENCE_SERVER for the same assertions against it). The client
// still proves it holds the user's key by signing the nonce.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jwtAuthenticator, wsconnect, type Authenticator, type NatsConnection } from "@nats-io/nats-core";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { fromSeed } from "@nats-io/nkeys";
import { startWsServer, type WsServer } from "../_helpers/ws_server.ts";
import { type JwtAccount, OperatorSetup } from "../_helpers/operator.ts";
import { useCleanup } from "../_helpers/scope.ts";

const own = useCleanup();
const COOKIE = "natsjwt";

interface TestUser {
  jwt: string;
  seed: Uint8Array;
  creds: Uint8Array;
}

let ops: OperatorSetup;
let accA: JwtAccount;
let accB: JwtAccount;
let srv: WsServer;

async function user(acc: JwtAccount): Promise<TestUser> {
  const u = await ops.user(acc);
  const seed = /NKEY SEED-----\s+(SU[A-Z2-7]+)/.exec(new TextDecoder().decode(u.creds))![1]!;
  return { jwt: u.jwt, seed: new TextEncoder().encode(seed), creds: u.creds };
}

/** Signs the nonce and sends nothing else: the server must take the JWT from the cookie. */
function nonceOnly(seed: Uint8Array): Authenticator {
  return (nonce?: string) => {
    const kp = fromSeed(seed);
    const sig = btoa(String.fromCharCode(...kp.sign(new TextEncoder().encode(nonce ?? ""))))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    return { sig } as unknown as ReturnType<Authenticator>;
  };
}

/** wsconnect through a WebSocket whose upgrade request carries `cookie` (Bun's and Deno's take headers). */
function ws(cookie: string | null, authenticator: Authenticator): Promise<NatsConnection> {
  const headers = cookie !== null ? { Cookie: cookie } : {};
  return wsconnect({
    servers: `ws://127.0.0.1:${srv.wsPort}`,
    authenticator,
    reconnect: false,
    wsFactory: (u: string) => Promise.resolve({ socket: new WebSocket(u, { headers } as unknown as string[]), encrypted: false }),
  }).then(own);
}

async function tcp(u: TestUser): Promise<NatsConnection> {
  return own(await connect({ servers: `127.0.0.1:${srv.port}`, authenticator: credsAuthenticator(u.creds) }));
}

async function refused(p: Promise<NatsConnection>): Promise<string> {
  try {
    const nc = await p;
    await nc.close();
    return "connected";
  } catch (e) {
    return String(e);
  }
}

/** Does a message `nc` publishes reach `other`? Answered by a request `other` serves. */
async function reaches(nc: NatsConnection, other: NatsConnection): Promise<boolean> {
  const subject = `cookie.${Math.random().toString(36).slice(2)}`;
  const sub = other.subscribe(subject, { callback: (_e, m) => void m.respond("here") });
  await other.flush();
  try {
    const r = await nc.request(subject, "", { timeout: 1000 });
    return r.string() === "here";
  } catch {
    return false;
  } finally {
    sub.unsubscribe();
  }
}

beforeAll(async () => {
  ops = await OperatorSetup.create();
  accA = await ops.account("A");
  accB = await ops.account("B");
  srv = await startWsServer(`${ops.conf("memory")}websocket { host: 127.0.0.1, port: -1, no_tls: true, jwt_cookie: ${COOKIE} }`);
});

afterAll(async () => {
  await srv.close();
});

describe("websocket jwt_cookie", () => {
  test("a CONNECT without jwt is the cookie's user, in that user's account", async () => {
    const a = await user(accA);
    const nc = await ws(`theme=dark; ${COOKIE}=${a.jwt}; lang=en`, nonceOnly(a.seed));
    expect(await reaches(nc, await tcp(await user(accA)))).toBe(true);
    expect(await reaches(nc, await tcp(await user(accB)))).toBe(false);
  });

  test("a quoted cookie value is the JWT without its quotes", async () => {
    const a = await user(accA);
    const nc = await ws(`${COOKIE}="${a.jwt}"`, nonceOnly(a.seed));
    expect(await reaches(nc, await tcp(await user(accA)))).toBe(true);
  });

  test("the CONNECT's own jwt wins over the cookie", async () => {
    const a = await user(accA);
    const b = await user(accB);
    const nc = await ws(`${COOKIE}=${b.jwt}`, jwtAuthenticator(a.jwt, a.seed));
    expect(await reaches(nc, await tcp(await user(accA)))).toBe(true);
    expect(await reaches(nc, await tcp(await user(accB)))).toBe(false);
  });

  test("without the cookie (or with another one) there is no user", async () => {
    const a = await user(accA);
    expect(await refused(ws(null, nonceOnly(a.seed)))).toMatch(/Authorization Violation/i);
    expect(await refused(ws(`other=${a.jwt}`, nonceOnly(a.seed)))).toMatch(/Authorization Violation/i);
  });

  test("the nonce must be signed by the cookie user's key", async () => {
    const a = await user(accA);
    const b = await user(accA);
    expect(await refused(ws(`${COOKIE}=${a.jwt}`, nonceOnly(b.seed)))).toMatch(/Authorization Violation/i);
  });
});
