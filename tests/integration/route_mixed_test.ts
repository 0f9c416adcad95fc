/**
 * natsedge in a cluster with nats-server 2.9.10: routes both ways (natsedge dials nats-server, nats-server
 * dials natsedge), pub/sub and request/reply across, a queue group delivering once cluster-wide, unsubscribe
 * propagation, gossip completing a three-member mesh, and a wrong route password refused by nats-server.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, httpRoutez, routeInterest } from "../_helpers/route.ts";
import { collect, settle } from "../_helpers/collect.ts";

const own = useCleanup();

describe("natsedge <-> nats-server 2.9.10 route", () => {
  test("natsedge dials nats-server: pub/sub, queue group once, request/reply, unsubscribe", async () => {
    const clusterPort = await freePort();
    const http = await freePort();
    const ns = own(await startNatsServer(`server_name: ns\nhttp: "127.0.0.1:${http}"\ncluster { name: mix\nlisten: "127.0.0.1:${clusterPort}" }`));
    const edge = own(await runServer({ config: `server_name: edge\ncluster {\n name: mix\n listen: "127.0.0.1:-1"\n routes = ["nats-route://127.0.0.1:${clusterPort}"]\n}` }));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the route on both sides");

    const nn = own(await connect({ servers: `127.0.0.1:${ns.port}`, reconnect: false }));
    const ne = own(await client(edge));
    const atNs = collect(nn, "to.ns");
    const atEdge = collect(ne, "to.edge.*");
    const qn = collect(nn, "work", "w");
    const qe = collect(ne, "work", "w");
    const farOnly = collect(nn, "far", "g");
    nn.subscribe("svc", { callback: (_e, m) => void m.respond(`ns ${m.string()}`) });
    ne.subscribe("esvc", { callback: (_e, m) => void m.respond(`edge ${m.string()}`) });
    await settle(nn, ne);
    await until(
      async () => routeInterest(edgeRoutez(edge), "to.ns") && routeInterest(edgeRoutez(edge), "far g") && routeInterest(await httpRoutez(http), "to.edge.*") && routeInterest(await httpRoutez(http), "esvc"),
      "interest both ways",
    );
    ne.publish("to.ns", "1");
    nn.publish("to.edge.x", "2");
    for (let i = 0; i < 20; i++) (i % 2 ? nn : ne).publish("work", `${i}`);
    for (let i = 0; i < 5; i++) ne.publish("far", `${i}`);
    expect((await ne.request("svc", "e", { timeout: 5000 })).string()).toBe("ns e");
    expect((await nn.request("esvc", "n", { timeout: 5000 })).string()).toBe("edge n");
    await until(() => atNs.length === 1 && atEdge.length === 1 && qn.length + qe.length === 20 && farOnly.length === 5, "messages across");
    await settle(nn, ne);
    expect(atNs).toEqual(["1"]);
    expect(atEdge).toEqual(["2"]);
    expect(farOnly).toEqual(["0", "1", "2", "3", "4"]);
    expect([...qn, ...qe].map(Number).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);

    const late = ne.subscribe("late");
    await settle(ne);
    await until(async () => routeInterest(await httpRoutez(http), "late"), "late interest at nats-server");
    late.unsubscribe();
    await settle(ne);
    await until(async () => !routeInterest(await httpRoutez(http), "late"), "unsubscribe reaching nats-server");
  });

  test("nats-server dials natsedge, and gossip completes the mesh with a second nats-server", async () => {
    const edge = own(await runServer({ config: `server_name: edge\ncluster {\n name: mix\n listen: "127.0.0.1:-1"\n}` }));
    const port = edgeClusterPort(edge);
    const h1 = await freePort();
    const h2 = await freePort();
    const n1 = own(await startNatsServer(`server_name: n1\nhttp: "127.0.0.1:${h1}"\ncluster { name: mix\nlisten: "127.0.0.1:-1"\nroutes = ["nats-route://127.0.0.1:${port}"] }`));
    const n2 = own(await startNatsServer(`server_name: n2\nhttp: "127.0.0.1:${h2}"\ncluster { name: mix\nlisten: "127.0.0.1:-1"\nroutes = ["nats-route://127.0.0.1:${port}"] }`));
    // Each nats-server names only natsedge: they learn of each other from natsedge's gossip.
    await until(async () => edgeRoutez(edge).length === 2 && (await httpRoutez(h1)).length === 2 && (await httpRoutez(h2)).length === 2, "a full mesh of three");
    const c1 = own(await connect({ servers: `127.0.0.1:${n1.port}`, reconnect: false }));
    const c2 = own(await connect({ servers: `127.0.0.1:${n2.port}`, reconnect: false }));
    const ce = own(await client(edge));
    const at1 = collect(c1, "all");
    const at2 = collect(c2, "all");
    const atE = collect(ce, "all");
    await settle(c1, c2, ce);
    await until(async () => routeInterest(edgeRoutez(edge), "all") && (await httpRoutez(h1)).filter((r) => routeInterest([r], "all")).length === 2, "interest everywhere");
    c1.publish("all", "from1");
    c2.publish("all", "from2");
    ce.publish("all", "fromE");
    await until(() => at1.length === 3 && at2.length === 3 && atE.length === 3, "every message everywhere");
    await settle(c1, c2, ce);
    // One hop: nothing arrives twice.
    for (const got of [at1, at2, atE]) expect(got.sort()).toEqual(["from1", "from2", "fromE"]);
  });

  test("a client learns the nats-server peer from connect_urls and fails over to it", async () => {
    const edge = own(await runServer({ config: `server_name: edge\ncluster {\n name: mix\n listen: "127.0.0.1:-1"\n}` }));
    const port = edgeClusterPort(edge);
    const http = await freePort();
    const ns = own(await startNatsServer(`server_name: ns\nhttp: "127.0.0.1:${http}"\ncluster { name: mix\nlisten: "127.0.0.1:-1"\nroutes = ["nats-route://127.0.0.1:${port}"] }`));
    const nsUrl = `127.0.0.1:${ns.port}`;
    const nc = own(await connect({ servers: edge.url, reconnectTimeWait: 50, maxReconnectAttempts: -1, ignoreClusterUpdates: false }));
    await until(() => ((edge.server.info.connect_urls as string[] | undefined) ?? []).includes(nsUrl), "connect_urls naming nats-server");
    // The async INFO was written before the PONG that answers this flush.
    await nc.flush();
    await edge.close();
    await until(() => nc.info?.server_name === "ns", "the client reconnected to the discovered server");
    const got = collect(nc, "after");
    await nc.flush();
    nc.publish("after", "x");
    await until(() => got.length === 1, "traffic through the new server");
  });

  test("a wrong route password is refused by nats-server", async () => {
    const clusterPort = await freePort();
    const http = await freePort();
    own(await startNatsServer(`server_name: ns\nhttp: "127.0.0.1:${http}"\ncluster { name: mix\nlisten: "127.0.0.1:${clusterPort}"\nauthorization { user: ruser, password: rpass } }`));
    const edge = own(await runServer({ config: `server_name: edge\ncluster {\n name: mix\n listen: "127.0.0.1:-1"\n routes = ["nats-route://ruser:wrong@127.0.0.1:${clusterPort}"]\n}` }));
    await until(() => edge.logs.some((l) => l.includes("Authorization Violation")), "the refusal");
    expect(edgeRoutez(edge).length).toBe(0);
    expect((await httpRoutez(http)).length).toBe(0);
  });
});
