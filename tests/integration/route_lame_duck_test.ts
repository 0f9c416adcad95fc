/**
 * Lame duck mode across a cluster (nats-server 2.9.10's sendLDMToRoutes): the member going away sends its
 * routes one INFO with `"ldm": true`, and each peer stops offering that member's client URL, telling its
 * own clients with an async INFO. Both directions against nats-server, and natsedge with natsedge.
 */
import { describe, expect, test } from "bun:test";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, httpRoutez } from "../_helpers/route.ts";
import { enterLameDuck } from "../../src/server/lame_duck.ts";

const own = useCleanup();

/** Long enough that the lame duck is still up while the test looks at its peer. */
const SLOW_LDM = { lame_duck_duration: 20_000, lame_duck_grace_period: 15_000 };

function conf(name: string, routes: number[]): string {
  const r = routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  return `server_name: ${name}\ncluster {\n name: ldm\n listen: "127.0.0.1:-1"\n routes = [${r}]\n}`;
}

/** A raw protocol-1 client: its async INFOs are where connect_urls changes show. */
async function infoClient(port: number): Promise<RawConn> {
  const raw = await RawConn.open(port);
  await raw.waitFor("INFO ");
  raw.send(`CONNECT {"verbose":false,"protocol":1}\r\n`);
  await raw.sync();
  return raw;
}

function lastConnectUrls(raw: RawConn): string[] {
  const infos = [...raw.received.matchAll(/INFO (\{[^\r]*\}) ?\r\n/g)].map((m) => JSON.parse(m[1]!) as { connect_urls?: string[] });
  return infos.at(-1)?.connect_urls ?? [];
}

async function stopLameDuck(srv: TestServer, done: Promise<void>): Promise<void> {
  await srv.server.shutdown();
  await done;
}

describe("lame duck mode told to route peers", () => {
  test("natsedge in lame duck: nats-server stops offering its URL to clients", async () => {
    const edge = own(await runServer({ ...SLOW_LDM, config: conf("edge", []) }));
    const http = await freePort();
    const ns = own(await startNatsServer(`http: "127.0.0.1:${http}"\n${conf("ns", [edgeClusterPort(edge)])}`));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the route");
    const raw = own(await infoClient(ns.port));
    // A lame duck without clients shuts down at once, as nats-server does, and tells nobody.
    own(await infoClient(edge.port));
    const edgeUrl = `127.0.0.1:${edge.port}`;
    await raw.waitUntil(() => lastConnectUrls(raw).includes(edgeUrl), "natsedge's URL offered");
    const done = enterLameDuck(edge.server);
    await raw.waitUntil(() => !lastConnectUrls(raw).includes(edgeUrl), "natsedge's URL withdrawn");
    expect(lastConnectUrls(raw)).toEqual([`127.0.0.1:${ns.port}`]);
    expect((await httpRoutez(http)).length).toBe(1);
    await stopLameDuck(edge, done);
  });

  test("nats-server in lame duck: natsedge stops offering its URL to clients", async () => {
    const edge = own(await runServer({ config: conf("edge", []) }));
    const http = await freePort();
    const ns = own(await startNatsServer(`http: "127.0.0.1:${http}"\nlame_duck_duration: 30s\nlame_duck_grace_period: 25s\n${conf("ns", [edgeClusterPort(edge)])}`));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the route");
    const raw = own(await infoClient(edge.port));
    const nsUrl = `127.0.0.1:${ns.port}`;
    await raw.waitUntil(() => lastConnectUrls(raw).includes(nsUrl), "nats-server's URL offered");
    process.kill(ns.pid, "SIGUSR2");
    await raw.waitUntil(() => !lastConnectUrls(raw).includes(nsUrl), "nats-server's URL withdrawn");
    expect(lastConnectUrls(raw)).toEqual([`127.0.0.1:${edge.port}`]);
  });

  test("natsedge with natsedge: the peer's connect_urls drop the lame duck, the route stays until it goes", async () => {
    const a = own(await runServer({ ...SLOW_LDM, config: conf("a", []) }));
    const b = own(await runServer({ config: conf("b", [edgeClusterPort(a)]) }));
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "the route");
    const raw = own(await infoClient(b.port));
    const onA = own(await infoClient(a.port));
    const aUrl = `127.0.0.1:${a.port}`;
    await raw.waitUntil(() => lastConnectUrls(raw).includes(aUrl), "A's URL offered");
    await onA.waitUntil(() => lastConnectUrls(onA).length === 2, "both URLs on A");
    const done = enterLameDuck(a.server);
    await raw.waitUntil(() => !lastConnectUrls(raw).includes(aUrl), "A's URL withdrawn");
    // A's own clients are told with ldm and a list without A, so they reconnect to B.
    await onA.waitFor(/"ldm":true/);
    expect(lastConnectUrls(onA)).toEqual([`127.0.0.1:${b.port}`]);
    expect(edgeRoutez(b).length).toBe(1);
    await stopLameDuck(a, done);
    await until(() => edgeRoutez(b).length === 0, "the route gone with A");
  });
});
