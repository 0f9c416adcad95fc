// A user JWT's limits, as nats-server 2.9.10 applies them (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): `src` CIDRs, connect `times` in a `times_location` zone (the connection
// ends when its time range does), `allowed_connection_types`, and the `subs` and `payload` caps of the
// connection. Modelled on nats-server's server/jwt_test.go (TestJWTUserLimits, TestJWTTimeExpiration,
// TestJWTSubLimits, TestJWTJetStreamMaxPayload-style cases) and test/operator_test.go.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, encodeUser, type User } from "@nats-io/jwt";
import { credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { type JwtAccount, OperatorSetup, rawJwtConnect } from "../_helpers/operator.ts";
import { exchange } from "../_helpers/raw.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-userlimits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An Etc/GMT zone where the wall clock is now around noon, so that ranges of a few hours around now never
 * cross midnight (nats-server enters a range past midnight only after its start on the same day), and clock
 * times there. jwt v2 (and so nats-server) names the zone `times_location`.
 */
function noonZone(): { times_location: string; clock: (offsetSec: number) => string } {
  const n = new Date().getUTCHours() - 12; // Etc/GMT+N is UTC-N
  const times_location = n === 0 ? "Etc/GMT" : n > 0 ? `Etc/GMT+${n}` : `Etc/GMT-${-n}`;
  return { times_location, clock: (offsetSec) => new Date(Date.now() - n * 3600_000 + offsetSec * 1000).toISOString().slice(11, 19) };
}

describe("user JWT limits", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let acc: JwtAccount;
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    acc = await setup.account("A");
    const file = join(dir, "server.conf");
    writeFileSync(file, setup.conf("memory"));
    srv = await runServerFromArgs(["-c", file]);
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await srv.close();
  });

  const connect = async (claims: Partial<User>) => {
    const nc = await client(srv, { authenticator: credsAuthenticator((await setup.user(acc, claims)).creds) });
    conns.push(nc);
    await nc.flush();
    return nc;
  };
  const refused = async (claims: Partial<User>) => expect(connect(claims)).rejects.toThrow(/authorization violation/i);

  test("src admits an address in one of its CIDRs; another network, or an entry that is no CIDR, is refused", async () => {
    await connect({ src: ["10.0.0.0/8", "127.0.0.0/8"] });
    await refused({ src: ["10.0.0.0/8"] });
    await refused({ src: ["127.0.0.1"] });
  });

  test("times admit a connection inside a range in the times_location zone; outside it, or in an unknown zone, it is refused", async () => {
    const { times_location, clock } = noonZone();
    await connect({ times: [{ start: clock(-3600), end: clock(3600) }], times_location } as Partial<User>);
    await refused({ times: [{ start: clock(3600), end: clock(7200) }], times_location } as Partial<User>);
    await refused({ times: [{ start: clock(-3600), end: clock(3600) }], times_location: "Nowhere/Atlantis" } as Partial<User>);
  });

  test("a connection ends with 'User Authentication Expired' when its time range does", async () => {
    const { times_location, clock } = noonZone();
    const nc = await connect({ times: [{ start: clock(-3600), end: clock(2) }], times_location } as Partial<User>);
    const errors: string[] = [];
    (async () => {
      for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: Error }).error?.message));
    })();
    await nc.closed();
    expect(errors.join()).toMatch(/user authentication expired/i);
  }, 10_000);

  test("allowed_connection_types: STANDARD admits a plain client; only WEBSOCKET, or only unknown types, refuse it", async () => {
    await connect({ allowed_connection_types: ["STANDARD"] });
    await connect({ allowed_connection_types: ["STANDARD", "BOGUS"] } as unknown as Partial<User>);
    await refused({ allowed_connection_types: ["WEBSOCKET"] });
    await refused({ allowed_connection_types: ["BOGUS"] } as unknown as Partial<User>);
  });

  test("subs caps the connection's subscriptions with -ERR 'maximum subscriptions exceeded'; the connection lives on", async () => {
    const kp = createUser();
    const c = await rawJwtConnect(srv.port, await encodeUser("s", kp, acc.kp, { subs: 2 }), kp);
    const got = await exchange(c, "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n");
    expect(got).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    // The first two stand.
    expect(await exchange(c, "PUB b 1\r\nx\r\n")).toBe("MSG b 2 1\r\nx\r\nPONG\r\n");
    c.close();
  });

  test("payload caps a message's size: a larger one gets -ERR 'Maximum Payload Violation' and the connection is closed", async () => {
    const kp = createUser();
    const c = await rawJwtConnect(srv.port, await encodeUser("p", kp, acc.kp, { payload: 4 }), kp);
    expect(await exchange(c, "SUB a 1\r\nPUB a 4\r\n1234\r\n")).toBe("MSG a 1 4\r\n1234\r\nPONG\r\n");
    c.send("PUB a 5\r\n12345\r\n");
    await c.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await c.waitClosed();
  });
});
