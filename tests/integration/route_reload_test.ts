/**
 * Reloading the cluster block (nats-server 2.9.10's clusterOption and routesOption): routes added are
 * dialled, routes removed are closed ("Route Removed") and not dialled again, advertising changes reach
 * clients, and what the cluster listens on cannot change (the reload is refused, nothing applied).
 */
import { describe, expect, test } from "bun:test";
import { runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { ROUTES } from "../../src/server/builtin_services.ts";
import { edgeClusterPort, edgeRoutez } from "../_helpers/route.ts";

const own = useCleanup();

function conf(name: string, routes: number[], extra = "", listen = "127.0.0.1:-1"): string {
  const r = routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  return `server_name: ${name}\ncluster {\n name: rl\n listen: "${listen}"\n routes = [${r}]\n ${extra}\n}`;
}

function peerIds(srv: TestServer): string[] {
  return edgeRoutez(srv).map((r) => r.remote_id).sort();
}

describe("cluster block reload", () => {
  test("a route swapped for another: the removed one closes and stays closed, the added one is dialled", async () => {
    const b = own(await runServer({ config: conf("b", []) }));
    const c = own(await runServer({ config: conf("c", []) }));
    const a = own(await runServer({ config: conf("a", [edgeClusterPort(b)]) }));
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "A routed to B");
    await a.reload({ config: conf("a", [edgeClusterPort(c)]) });
    expect(a.logs.some((l) => l.includes("Reloaded: cluster routes"))).toBe(true);
    const cId = c.server.info.server_id as string;
    await until(() => peerIds(a).join() === cId && edgeRoutez(b).length === 0, "A routed to C alone");
    expect(a.logs.some((l) => /Router connection closed: Route Removed/.test(l))).toBe(true);
    // Nothing is left to dial B again: A's only solicitor is C's.
    const solicitors = (a.server.services.get(ROUTES) as unknown as { solicitors: Set<{ raw: string }> }).solicitors;
    expect([...solicitors].map((s) => s.raw)).toEqual([`nats-route://127.0.0.1:${edgeClusterPort(c)}`]);
  });

  test("no_advertise on reload withdraws the cluster's URLs from clients' INFO", async () => {
    const b = own(await runServer({ config: conf("b", []) }));
    const a = own(await runServer({ config: conf("a", [edgeClusterPort(b)]) }));
    await until(() => ((a.server.info.connect_urls as string[] | undefined) ?? []).length === 2, "both URLs");
    await a.reload({ config: conf("a", [edgeClusterPort(b)], "no_advertise: true") });
    expect(a.server.info.connect_urls).toBeUndefined();
    expect(edgeRoutez(a).length).toBe(1);
  });

  test("a new cluster port or name is refused and nothing changes", async () => {
    const b = own(await runServer({ config: conf("b", []) }));
    const port = await freePort();
    const a = own(await runServer({ config: conf("a", [edgeClusterPort(b)], "", `127.0.0.1:${port}`) }));
    await until(() => edgeRoutez(a).length === 1, "the route");
    await expect(a.reload({ config: conf("a", [], "", `127.0.0.1:${port + 1}`) })).rejects.toThrow(`config reload not supported for cluster port: old=${port}, new=${port + 1}`);
    await expect(a.reload({ config: conf("a", [edgeClusterPort(b)], "", `127.0.0.1:${port}`).replace("name: rl", "name: other") })).rejects.toThrow(
      "config reload not supported for cluster name: old=rl, new=other",
    );
    expect(edgeRoutez(a).length).toBe(1);
    expect(a.server.options.cluster?.routes?.length).toBe(1);
  });
});
