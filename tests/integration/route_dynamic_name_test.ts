/**
 * Dynamic cluster names (nats-server 2.9.10's route.go): a member without `cluster { name }` generates one,
 * warns, and gives it up for a peer's configured name, or for a peer's generated name that sorts higher, so
 * unnamed members still form one cluster. Each case also runs with nats-server as the other member.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, httpRoutez, routeInterest } from "../_helpers/route.ts";
import { ROUTES } from "../../src/server/builtin_services.ts";

const own = useCleanup();

function edgeClusterName(srv: TestServer): string {
  return srv.server.services.get(ROUTES)?.clusterName ?? "";
}

async function httpClusterName(http: number): Promise<string> {
  const v = (await (await fetch(`http://127.0.0.1:${http}/varz`)).json()) as { cluster?: { name?: string } };
  return v.cluster?.name ?? "";
}

function conf(name: string, clusterName: string | null, routes: number[]): string {
  const r = routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  return `server_name: ${name}\ncluster {\n ${clusterName !== null ? `name: ${clusterName}\n ` : ""}listen: "127.0.0.1:-1"\n routes = [${r}]\n}`;
}

describe("dynamic cluster names", () => {
  test("an unnamed natsedge dialling a named nats-server takes its name and joins", async () => {
    const http = await freePort();
    const clusterPort = await freePort();
    const ns = own(await startNatsServer(`server_name: ns\nhttp: "127.0.0.1:${http}"\ncluster { name: east\nlisten: "127.0.0.1:${clusterPort}" }`));
    const edge = own(await runServer({ config: conf("edge", null, [clusterPort]) }));
    expect(edge.logs.some((l) => /Cluster name was dynamically generated, consider setting one/.test(l))).toBe(true);
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the route");
    expect(edgeClusterName(edge)).toBe("east");
    expect(edge.logs.some((l) => /Cluster name updated to east/.test(l))).toBe(true);
    const nn = own(await connect({ servers: `127.0.0.1:${ns.port}`, reconnect: false }));
    const ne = own(await client(edge));
    const got: string[] = [];
    ne.subscribe("dyn.x", { callback: (_e, m) => void got.push(m.string()) });
    await ne.flush();
    await until(async () => routeInterest(await httpRoutez(http), "dyn.x"), "interest");
    nn.publish("dyn.x", "joined");
    await until(() => got.length === 1, "the message");
  });

  test("a named nats-server dialling an unnamed natsedge: natsedge takes the name from its CONNECT", async () => {
    const edge = own(await runServer({ config: conf("edge", null, []) }));
    const http = await freePort();
    own(await startNatsServer(`server_name: ns\nhttp: "127.0.0.1:${http}"\n${conf("ns", "west", [edgeClusterPort(edge)]).replace(/^server_name: ns\n/, "")}`));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the route");
    expect(edgeClusterName(edge)).toBe("west");
  });

  test("an unnamed nats-server and an unnamed natsedge settle on one name", async () => {
    const edge = own(await runServer({ config: conf("edge", null, []) }));
    const http = await freePort();
    own(await startNatsServer(`server_name: ns\nhttp: "127.0.0.1:${http}"\n${conf("ns", null, [edgeClusterPort(edge)]).replace(/^server_name: ns\n/, "")}`));
    await until(async () => edgeRoutez(edge).length === 1 && (await httpRoutez(http)).length === 1, "the route");
    await until(async () => edgeClusterName(edge) === (await httpClusterName(http)), "one name");
  });

  test("three unnamed natsedge members form one cluster under the highest name", async () => {
    const a = own(await runServer({ config: conf("a", null, []) }));
    const b = own(await runServer({ config: conf("b", null, [edgeClusterPort(a)]) }));
    const c = own(await runServer({ config: conf("c", null, [edgeClusterPort(a)]) }));
    await until(() => [a, b, c].every((s) => edgeRoutez(s).length === 2), "the full mesh");
    const names = new Set([a, b, c].map(edgeClusterName));
    expect(names.size).toBe(1);
  });

  test("two configured names still refuse each other", async () => {
    const a = own(await runServer({ config: conf("a", "one", []) }));
    const b = own(await runServer({ config: conf("b", "two", [edgeClusterPort(a)]) }));
    await until(() => a.logs.some((l) => /Rejecting connection, cluster name "two" does not match "one"/.test(l)), "the refusal");
    expect(edgeRoutez(a)).toEqual([]);
    expect(edgeRoutez(b)).toEqual([]);
  });
});
