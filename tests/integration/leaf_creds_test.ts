/**
 * natsedge as a leaf with a credentials file, against a nats-server 2.9.10 hub in operator mode: the user
 * JWT goes in CONNECT with the hub's nonce signed by the user's seed, and the link lands in the account
 * that signed the user.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { scratchDir } from "../_helpers/certs.ts";
import { operatorFixture } from "../_helpers/jwt.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();

async function operatorHub(conf: string): Promise<{ leafPort: number; http: number; clientPort: number; logs: string[] }> {
  const leafPort = await freePort();
  const http = await freePort();
  const hub = own(await startNatsServer(`server_name: hub\nhttp: "127.0.0.1:${http}"\n${conf}\nleafnodes { listen: "127.0.0.1:${leafPort}" }`));
  return { leafPort, http, clientPort: hub.port, logs: hub.logs };
}

describe("natsedge leaf with a credentials file -> nats-server hub in operator mode", () => {
  test("links into the user's account and carries messages", async () => {
    const fx = operatorFixture();
    const dir = scratchDir("natsedge-creds-");
    const hub = await operatorHub(fx.serverConf);
    const edge = own(
      await runServer({
        config: `server_name: edge1\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", credentials: "${fx.userCreds(dir, "edge")}" } ] }`,
      }),
    );
    await until(async () => (await httpLeafz(hub.http)).length === 1 && edgeLeafz(edge).length === 1, "the link");
    expect((await httpLeafz(hub.http))[0]!.account).toBe(fx.accountPub);
    // A hub client of the same account hears the edge.
    const authenticator = credsAuthenticator(new TextEncoder().encode(readFileSync(fx.userCreds(dir, "hubclient"), "utf8")));
    const hnc = own(await connect({ servers: `127.0.0.1:${hub.clientPort}`, authenticator, reconnect: false }));
    const got: string[] = [];
    hnc.subscribe("from.edge", { callback: (_e, m) => void got.push(m.string()) });
    await hnc.flush();
    await until(() => hasInterest(edgeLeafz(edge), "from.edge"), "interest at the edge");
    const enc = own(await client(edge));
    enc.publish("from.edge", "signed");
    await until(() => got.length === 1, "the message");
  });

  test("a user of an account the hub does not know is refused; a malformed file is logged; the edge stays up", async () => {
    const hubFx = operatorFixture();
    const stranger = operatorFixture();
    const dir = scratchDir("natsedge-creds-");
    const bad = join(dir, "broken.creds");
    writeFileSync(bad, "not a creds file\n");
    const hub = await operatorHub(hubFx.serverConf);
    const url = `nats-leaf://127.0.0.1:${hub.leafPort}`;
    const edge = own(
      await runServer({
        config: `server_name: edge1\nleafnodes { remotes = [ { url: "${url}", credentials: "${stranger.userCreds(dir, "nobody")}" }, { url: "${url}", credentials: "${bad}" } ] }`,
      }),
    );
    await until(() => edge.logs.filter((l) => l.includes("Leafnode Error 'Authorization Violation'")).length >= 2, "two refusals");
    await until(() => edge.logs.some((l) => l.includes(`credentials file ${JSON.stringify(bad)} has no user JWT and user seed`)), "the malformed file logged");
    expect(edgeLeafz(edge)).toEqual([]);
    const enc = own(await client(edge));
    const got: string[] = [];
    enc.subscribe("local", { callback: (_e, m) => void got.push(m.string()) });
    await enc.flush();
    enc.publish("local", "x");
    await until(() => got.length === 1, "local delivery");
  });
});
