/**
 * Accounts across routes, as nats-server 2.9.10 carries them on one route: RS+/RS- and RMSG name the account,
 * so each account's interest and messages stay in that account on every member. Run natsedge–nats-server in
 * both dial directions and natsedge–natsedge, with the same accounts on every member.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, routeInterest } from "../_helpers/route.ts";
import { collect } from "../_helpers/collect.ts";

const own = useCleanup();

const ACCOUNTS = `accounts {
  A: { users: [ { user: a, password: a } ] }
  B: { users: [ { user: b, password: b } ] }
}`;

function conf(name: string, listen: string, routes: number[]): string {
  const r = routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  return `server_name: ${name}\n${ACCOUNTS}\ncluster {\n name: acc\n listen: "${listen}"\n routes = [${r}]\n}`;
}

const user = (port: number, u: string) => connect({ servers: `127.0.0.1:${port}`, user: u, pass: u, reconnect: false });

interface Pair {
  /** Client ports of the two members. */
  p1: number;
  p2: number;
  /** Resolves once member 1's interest in `key` (account A) has reached member 2. */
  interestAt2(key: string): Promise<boolean>;
}

async function pairs(kind: string): Promise<Pair> {
  if (kind === "natsedge-natsedge") {
    const a = own(await runServer({ config: conf("a", "127.0.0.1:-1", []) }));
    const b = own(await runServer({ config: conf("b", "127.0.0.1:-1", [edgeClusterPort(a)]) }));
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "the route");
    return { p1: a.port, p2: b.port, interestAt2: async (k) => routeInterest(edgeRoutez(b), k) };
  }
  const clusterPort = await freePort();
  const http = await freePort();
  if (kind === "natsedge-dials-nats-server") {
    const ns = own(await startNatsServer(`http: "127.0.0.1:${http}"\n${conf("ns", `127.0.0.1:${clusterPort}`, [])}`));
    const edge = own(await runServer({ config: conf("edge", "127.0.0.1:-1", [clusterPort]) }));
    await until(() => edgeRoutez(edge).length === 1, "the route");
    return { p1: ns.port, p2: edge.port, interestAt2: async (k) => routeInterest(edgeRoutez(edge), k) };
  }
  const edge = own(await runServer({ config: conf("edge", "127.0.0.1:-1", []) }));
  const ns = own(await startNatsServer(`http: "127.0.0.1:${http}"\n${conf("ns", "127.0.0.1:-1", [edgeClusterPort(edge)])}`));
  await until(() => edgeRoutez(edge).length === 1, "the route");
  return {
    p1: edge.port,
    p2: ns.port,
    interestAt2: async (k) => {
      const r = (await (await fetch(`http://127.0.0.1:${http}/routez?subs=1`)).json()) as { routes: { subscriptions_list?: string[] }[] | null };
      return (r.routes ?? []).some((x) => x.subscriptions_list?.includes(k));
    },
  };
}

for (const kind of ["natsedge-natsedge", "natsedge-dials-nats-server", "nats-server-dials-natsedge"]) {
  describe(`accounts across a route (${kind})`, () => {
    test("messages, wildcard interest and requests stay in their account on both members", async () => {
      const { p1, p2, interestAt2 } = await pairs(kind);
      const a1 = own(await user(p1, "a"));
      const b1 = own(await user(p1, "b"));
      const a2 = own(await user(p2, "a"));
      const b2 = own(await user(p2, "b"));
      const atA = collect(a1, "news");
      const atB = collect(b1, "news");
      const workA = collect(a1, "work.>");
      a1.subscribe("svc", { callback: (_e, m) => void m.respond(`A answers ${m.string()}`) });
      await a1.flush();
      await b1.flush();
      await until(() => interestAt2("news").then(async (x) => x && (await interestAt2("svc"))), "account A's interest on the far member");
      a2.publish("news", "for A");
      b2.publish("news", "for B");
      a2.publish("work.1", "job");
      expect((await a2.request("svc", "q", { timeout: 5000 })).string()).toBe("A answers q");
      await expect(b2.request("svc", "q", { timeout: 1000 })).rejects.toThrow();
      await until(() => atA.length === 1 && atB.length === 1 && workA.length === 1, "each account's messages across the route");
      await a1.flush();
      await b1.flush();
      // Same subject, two accounts: each subscriber got its own account's message only.
      expect(atA).toEqual(["for A"]);
      expect(atB).toEqual(["for B"]);
    });
  });
}
