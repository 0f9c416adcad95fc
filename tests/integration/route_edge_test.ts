/**
 * natsedge + natsedge routes: pub/sub across, a queue group delivering once cluster-wide, request/reply,
 * unsubscribe propagation, a peer restarted (the explicit route redials), and route authorization.
 */
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import bcrypt from "bcryptjs";
import { scratchDir } from "../_helpers/certs.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez, routeInterest } from "../_helpers/route.ts";
import { ROUTES } from "../../src/server/builtin_services.ts";
import { collect, settle } from "../_helpers/collect.ts";

const own = useCleanup();

/** Two natsedge servers, B naming A as its one route. */
async function pair(clusterExtra = "", routeUser = ""): Promise<{ a: TestServer; b: TestServer }> {
  const a = own(await runServer({ config: `server_name: a\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n ${clusterExtra}\n}` }));
  const port = edgeClusterPort(a);
  const b = own(await runServer({ config: `server_name: b\ncluster { name: edge, listen: "127.0.0.1:-1", routes = ["nats-route://${routeUser}127.0.0.1:${port}"] }` }));
  return { a, b };
}

describe("natsedge <-> natsedge route", () => {
  test("pub/sub both ways, queue group once, request/reply, unsubscribe", async () => {
    const { a, b } = await pair();
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "the route on both sides");
    const na = own(await client(a));
    const nb = own(await client(b));
    const atA = collect(na, "to.a");
    const atB = collect(nb, "to.>");
    const qa = collect(na, "work", "w");
    const qb = collect(nb, "work", "w");
    const remoteOnly = collect(na, "far", "g");
    na.subscribe("svc", { callback: (_e, m) => void m.respond(`hi ${m.string()}`) });
    await settle(na, nb);
    await until(() => routeInterest(edgeRoutez(b), "to.a") && routeInterest(edgeRoutez(b), "work w") && routeInterest(edgeRoutez(b), "far g") && routeInterest(edgeRoutez(b), "svc") && routeInterest(edgeRoutez(a), "to.>"), "interest both ways");
    nb.publish("to.a", "1");
    na.publish("to.b.x", "2");
    for (let i = 0; i < 20; i++) (i % 2 ? na : nb).publish("work", `${i}`);
    for (let i = 0; i < 5; i++) nb.publish("far", `${i}`);
    const reply = await nb.request("svc", "b", { timeout: 5000 });
    expect(reply.string()).toBe("hi b");
    await until(() => atA.length === 1 && atB.length === 2 && qa.length + qb.length === 20 && remoteOnly.length === 5, "messages across");
    await settle(na, nb);
    expect(atA).toEqual(["1"]);
    // B's own publish on to.a reaches its own to.> too; A's to.b.x crosses once.
    expect(atB.sort()).toEqual(["1", "2"].sort());
    expect(remoteOnly).toEqual(["0", "1", "2", "3", "4"]);
    expect([...qa, ...qb].map(Number).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);

    const gone = nb.subscribe("late");
    await settle(nb);
    await until(() => routeInterest(edgeRoutez(a), "late"), "late interest at A");
    gone.unsubscribe();
    await settle(nb);
    await until(() => !routeInterest(edgeRoutez(a), "late"), "unsubscribe reaching A");
  });

  test("a restarted peer is routed again and traffic resumes", async () => {
    const aPort = await freePort();
    const a1 = await runServer({ config: `server_name: a\ncluster { name: edge, listen: "127.0.0.1:${aPort}" }` });
    const b = own(await runServer({ config: `server_name: b\ncluster { name: edge, listen: "127.0.0.1:-1", routes = ["nats-route://127.0.0.1:${aPort}"] }` }));
    await until(() => edgeRoutez(b).length === 1, "the first route");
    await a1.close();
    await until(() => edgeRoutez(b).length === 0, "the route gone");
    const a2 = own(await runServer({ config: `server_name: a\ncluster { name: edge, listen: "127.0.0.1:${aPort}" }` }));
    await until(() => edgeRoutez(b).length === 1 && edgeRoutez(a2).length === 1, "the route again");
    const na = own(await client(a2));
    const nb = own(await client(b));
    const got = collect(na, "again");
    await settle(na);
    await until(() => routeInterest(edgeRoutez(b), "again"), "interest after the restart");
    nb.publish("again", "x");
    await until(() => got.length === 1, "a message after the restart");
  });

  test("three natsedge servers naming one seed: gossip completes the mesh, one copy of each message", async () => {
    const seed = own(await runServer({ config: `server_name: s\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n}` }));
    const url = `nats-route://127.0.0.1:${edgeClusterPort(seed)}`;
    const members = [seed];
    for (const name of ["m1", "m2"]) {
      members.push(own(await runServer({ config: `server_name: ${name}\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n routes = ["${url}"]\n}` })));
    }
    await until(() => members.every((m) => edgeRoutez(m).length === 2), "a full mesh of three");
    const ncs = [];
    for (const m of members) ncs.push(own(await client(m)));
    const got = ncs.map((nc) => collect(nc, "all"));
    const q = ncs.map((nc) => collect(nc, "jobs", "w"));
    await settle(...ncs);
    await until(() => members.every((m) => edgeRoutez(m).filter((r) => routeInterest([r], "all") && routeInterest([r], "jobs w")).length === 2), "interest on every route");
    ncs.forEach((nc, i) => nc.publish("all", `from${i}`));
    for (let i = 0; i < 30; i++) ncs[i % 3]!.publish("jobs", `${i}`);
    await until(() => got.every((g) => g.length === 3) && q.flat().length === 30, "every message everywhere");
    await settle(...ncs);
    for (const g of got) expect(g.sort()).toEqual(["from0", "from1", "from2"]);
    expect(q.flat().map(Number).sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
  });

  test("a gossiped (implicit) route that drops is dialled again, so the mesh heals", async () => {
    const seed = own(await runServer({ config: `server_name: s\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n}` }));
    const url = `nats-route://127.0.0.1:${edgeClusterPort(seed)}`;
    const m1 = own(await runServer({ config: `server_name: m1\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n routes = ["${url}"]\n}` }));
    const m2 = own(await runServer({ config: `server_name: m2\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n routes = ["${url}"]\n}` }));
    await until(() => [seed, m1, m2].every((m) => edgeRoutez(m).length === 2), "a full mesh of three");
    // The m1–m2 route was learnt by gossip: drop it on the accepting side, as a network blip would.
    const implicit = [m1, m2].find((m) => edgeRoutez(m).some((r) => r.did_solicit && !r.is_configured))!;
    const other = implicit === m1 ? m2 : m1;
    const otherId = other.server.info.server_id as string;
    const accepting = (other.server.services.get(ROUTES) as unknown as { byId: Map<string, { link: { close(reason: string): void } }> }).byId;
    const implicitId = implicit.server.info.server_id as string;
    const before = edgeRoutez(implicit).find((r) => r.remote_id === otherId)!.rid;
    accepting.get(implicitId)!.link.close("Read Error");
    // The redial follows within ~100 ms, so the gap may never be seen: wait for a new route to the peer.
    await until(() => edgeRoutez(implicit).some((r) => r.remote_id === otherId && r.rid !== before), "a new route to the peer");
    await until(() => [seed, m1, m2].every((m) => edgeRoutez(m).length === 2), "the mesh healed");
  });

  test("two servers naming each other keep one route between them", async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const conf = (name: string, own: number, peer: number) => `server_name: ${name}\ncluster {\n name: edge\n listen: "127.0.0.1:${own}"\n routes = ["nats-route://127.0.0.1:${peer}"]\n}`;
    const [a, b] = await Promise.all([runServer({ config: conf("a", pa, pb) }), runServer({ config: conf("b", pb, pa) })]);
    own(a);
    own(b);
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "one route each");
    const na = own(await client(a));
    const nb = own(await client(b));
    const got = collect(nb, "x");
    await settle(nb);
    await until(() => routeInterest(edgeRoutez(a), "x"), "interest across");
    na.publish("x", "1");
    await until(() => got.length === 1, "the message");
    await settle(na, nb);
    expect(got).toEqual(["1"]);
    expect(edgeRoutez(a).length).toBe(1);
    expect(edgeRoutez(b).length).toBe(1);
  });

  test("connect_urls name every member, and none with no_advertise", async () => {
    const { a, b } = await pair();
    await until(() => edgeRoutez(a).length === 1 && edgeRoutez(b).length === 1, "the route");
    await until(() => ((a.server.info.connect_urls as string[] | undefined) ?? []).length === 2, "A's connect_urls");
    expect((a.server.info.connect_urls as string[]).sort()).toEqual([a.url, b.url].sort());
    const quiet = await pair("no_advertise: true");
    await until(() => edgeRoutez(quiet.a).length === 1, "the quiet route");
    expect(quiet.a.server.info.connect_urls).toBeUndefined();
    await until(() => ((quiet.b.server.info.connect_urls as string[] | undefined) ?? []).length === 1, "B's own URL");
    expect(quiet.b.server.info.connect_urls).toEqual([quiet.b.url]);
  });

  test("a route member with JetStream says its streams are not replicated", async () => {
    const dir = scratchDir("natsedge-route-js-");
    own({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const srv = own(await runServer({ config: `jetstream { store_dir: "${dir}" }\ncluster {\n name: edge\n listen: "127.0.0.1:-1"\n}` }));
    expect(srv.logs.some((l) => l.includes("[WRN] JetStream on a route member stays local: streams are not replicated"))).toBe(true);
  });

  test("route authorization: the right password routes, a wrong one is refused", async () => {
    const auth = `authorization { user: ruser, password: rpass }`;
    const bad = await pair(auth, "ruser:nope@");
    await until(() => bad.a.logs.some((l) => l.includes("authentication error")), "the refusal logged");
    expect(edgeRoutez(bad.a).length).toBe(0);
    // The dialling side registered the route on the peer's INFO, as nats-server does; the refusal closes it.
    await until(() => edgeRoutez(bad.b).length === 0, "the refused route gone on the dialling side");
    const good = await pair(auth, "ruser:rpass@");
    await until(() => edgeRoutez(good.a).length === 1 && edgeRoutez(good.b).length === 1, "the authorized route");
    // A bcrypt password is checked asynchronously; the peer's INFO and RS+ behind its CONNECT wait for it.
    const hash = await bcrypt.hash("rpass", 4);
    const hashed = await pair(`authorization { user: ruser, password: "${hash}" }`, "ruser:rpass@");
    await until(() => edgeRoutez(hashed.a).length === 1 && edgeRoutez(hashed.b).length === 1, "the route past bcrypt");
    const nb = own(await client(hashed.b));
    const got = collect(nb, "after.bcrypt");
    await settle(nb);
    await until(() => routeInterest(edgeRoutez(hashed.a), "after.bcrypt"), "interest past bcrypt");
    const na = own(await client(hashed.a));
    na.publish("after.bcrypt", "ok");
    await until(() => got.length === 1, "a message past bcrypt");
  });
});
