/**
 * Routes over TLS (cluster { tls {} }), as nats-server 2.9.10 does them: TLS from the first byte, strict
 * verification both ways with the block's CA, the block's certificate presented whether the server accepts
 * or dials. Each case runs natsedge against nats-server in both dial directions and natsedge against
 * natsedge; a member without a trusted certificate never joins, and the other keeps serving its clients.
 */
import { describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testCerts } from "../_helpers/certs.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, httpRoutez, routeInterest } from "../_helpers/route.ts";

const own = useCleanup();
const certs = testCerts();

const TLS = `tls { cert_file: "${certs.node.cert}", key_file: "${certs.node.key}", ca_file: "${certs.ca}", timeout: 2 }`;

function clusterConf(name: string, listen: string, routes: number[], tls = TLS): string {
  const r = routes.map((p) => `"nats-route://localhost:${p}"`).join(", ");
  return `server_name: ${name}\ncluster {\n name: sec\n listen: "${listen}"\n ${tls}\n routes = [${r}]\n}`;
}

/** A message each way and a request/reply across the route. */
async function crosses(a: NatsConnection, b: NatsConnection, interestOnA: () => Promise<boolean>): Promise<void> {
  const got: string[] = [];
  a.subscribe("over.tls", { callback: (_e, m) => void got.push(m.string()) });
  a.subscribe("svc.tls", { callback: (_e, m) => void m.respond(`sealed ${m.string()}`) });
  await a.flush();
  await until(interestOnA, "interest across the TLS route");
  b.publish("over.tls", "1");
  expect((await b.request("svc.tls", "q", { timeout: 5000 })).string()).toBe("sealed q");
  await until(() => got.length === 1, "the message across");
  expect(got).toEqual(["1"]);
}

describe("routes over TLS", () => {
  test("natsedge dials nats-server: mutual TLS, messages and requests cross", async () => {
    const port = await freePort();
    const http = await freePort();
    const ns = own(await startNatsServer(`http: "127.0.0.1:${http}"\n${clusterConf("ns", `127.0.0.1:${port}`, [])}`));
    const edge = own(await runServer({ config: clusterConf("edge", "127.0.0.1:-1", [port]) }));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the TLS route on both sides");
    const nn = own(await connect({ servers: `127.0.0.1:${ns.port}`, reconnect: false }));
    const ne = own(await client(edge));
    await crosses(ne, nn, async () => routeInterest(await httpRoutez(http), "over.tls") && routeInterest(await httpRoutez(http), "svc.tls"));
    await crosses(nn, ne, async () => routeInterest(edgeRoutez(edge), "over.tls") && routeInterest(edgeRoutez(edge), "svc.tls"));
  });

  test("nats-server dials natsedge: natsedge accepts with TLS first and checks the peer's certificate", async () => {
    const edge = own(await runServer({ config: clusterConf("edge", "127.0.0.1:-1", []) }));
    const http = await freePort();
    const ns = own(await startNatsServer(`http: "127.0.0.1:${http}"\n${clusterConf("ns", "127.0.0.1:-1", [edgeClusterPort(edge)])}`));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the TLS route on both sides");
    const nn = own(await connect({ servers: `127.0.0.1:${ns.port}`, reconnect: false }));
    const ne = own(await client(edge));
    await crosses(nn, ne, async () => routeInterest(edgeRoutez(edge), "over.tls"));
  });

  test("natsedge <-> natsedge over TLS", async () => {
    const a = own(await runServer({ config: clusterConf("a", "127.0.0.1:-1", []) }));
    const b = own(await runServer({ config: clusterConf("b", "127.0.0.1:-1", [edgeClusterPort(a)]) }));
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "the TLS route");
    const na = own(await client(a));
    const nb = own(await client(b));
    await crosses(na, nb, async () => routeInterest(edgeRoutez(b), "over.tls"));
  });

  for (const side of ["nats-server", "natsedge"] as const) {
    test(`a ${side} member with a certificate from an untrusted CA never joins; natsedge keeps serving`, async () => {
      const bad = `tls { cert_file: "${certs.untrusted.cert}", key_file: "${certs.untrusted.key}", ca_file: "${certs.ca}", timeout: 2 }`;
      const edge: TestServer = own(await runServer({ config: clusterConf("edge", "127.0.0.1:-1", []) }));
      if (side === "nats-server") {
        own(await startNatsServer(clusterConf("ns", "127.0.0.1:-1", [edgeClusterPort(edge)], bad)));
      } else {
        own(await runServer({ config: clusterConf("intruder", "127.0.0.1:-1", [edgeClusterPort(edge)], bad) }));
      }
      await until(() => edge.logs.filter((l) => /TLS handshake error/.test(l)).length >= 1, "the refused handshake");
      expect(edgeRoutez(edge)).toEqual([]);
      const nc = own(await client(edge));
      const got: string[] = [];
      nc.subscribe("still.here", { callback: (_e, m) => void got.push(m.string()) });
      nc.publish("still.here", "yes");
      await until(() => got.length === 1, "local traffic");
    });
  }
});
