/**
 * natsedge as a leaf of a real nats-server 2.9.10 hub: nats.js clients on both sides, interest checked on
 * the hub's /leafz before each publish, so every message is sent once and must arrive exactly once.
 */
import { describe, expect, test } from "bun:test";
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";
import { startTcpProxy } from "../_helpers/tcp_proxy.ts";

const own = useCleanup();

interface Hub {
  proc: NatsServerProcess;
  leafPort: number;
  httpPort: number;
  nc: NatsConnection;
}

async function startHub(leafPort?: number, extra = ""): Promise<Hub> {
  const lp = leafPort ?? (await freePort());
  const httpPort = await freePort();
  const proc = own(await startNatsServer(`server_name: hub\nhttp: "127.0.0.1:${httpPort}"\nleafnodes { listen: "127.0.0.1:${lp}"\n${extra} }`));
  const nc = own(await connect({ servers: `127.0.0.1:${proc.port}`, reconnect: false }));
  return { proc, leafPort: lp, httpPort, nc };
}

async function startEdge(hub: Hub, url = `nats-leaf://127.0.0.1:${hub.leafPort}`): Promise<TestServer> {
  return own(await runServer({ config: `server_name: edge1\nleafnodes { reconnect: 1, remotes = [ { url: "${url}" } ] }` }));
}

/** Both ends report the link. */
async function linked(hub: Hub, edge: TestServer): Promise<void> {
  await until(async () => (await httpLeafz(hub.httpPort)).length === 1 && edgeLeafz(edge).length === 1, "the leaf link on both sides");
}

async function hubSees(hub: Hub, key: string, present = true): Promise<void> {
  await until(async () => hasInterest(await httpLeafz(hub.httpPort), key) === present, `hub /leafz ${present ? "with" : "without"} ${key}`);
}

async function edgeSees(edge: TestServer, key: string, present = true): Promise<void> {
  await until(() => hasInterest(edgeLeafz(edge), key) === present, `edge /leafz ${present ? "with" : "without"} ${key}`);
}

/** Collects the messages a subscription gets. */
function collect(nc: NatsConnection, subject: string, opts: { queue?: string } = {}): { got: string[]; sub: ReturnType<NatsConnection["subscribe"]> } {
  const got: string[] = [];
  const sub = nc.subscribe(subject, { ...opts, callback: (_e, m) => void got.push(`${m.subject}:${m.string()}`) });
  return { got, sub };
}

describe("natsedge leaf -> nats-server hub", () => {
  test("links, logs it in nats-server's words, and advertises $LDS", async () => {
    const hub = await startHub();
    const edge = await startEdge(hub);
    await linked(hub, edge);
    const [leaf] = await httpLeafz(hub.httpPort);
    expect(leaf!.account).toBe("$G");
    expect(leaf!.subscriptions_list!.some((s) => /^\$LDS\.[0-9A-Za-z]{22}$/.test(s))).toBe(true);
    expect(edge.logs.some((l) => /lid:\d+ - Leafnode connection created for account: \$G hub$/.test(l))).toBe(true);
    expect(hub.proc.logs.some((l) => l.includes("Leafnode connection created"))).toBe(true);
  });

  test("pub/sub both ways, literal and wildcard, exactly once", async () => {
    const hub = await startHub();
    const edge = await startEdge(hub);
    await linked(hub, edge);
    const enc = own(await client(edge));

    const atHub = collect(hub.nc, "edge.>");
    await hub.nc.flush();
    await edgeSees(edge, "edge.>");
    const atEdge = collect(enc, "hub.x");
    await enc.flush();
    await hubSees(hub, "hub.x");

    enc.publish("edge.a.b", "1");
    hub.nc.publish("hub.x", "2");
    await until(() => atHub.got.length === 1 && atEdge.got.length === 1, "one message each way");
    // Let anything duplicated arrive: a round trip through both servers and back.
    await enc.flush();
    await hub.nc.flush();
    expect(atHub.got).toEqual(["edge.a.b:1"]);
    expect(atEdge.got).toEqual(["hub.x:2"]);
  });

  test("unsubscribe propagates: LS- reaches the hub and the edge", async () => {
    const hub = await startHub();
    const edge = await startEdge(hub);
    await linked(hub, edge);
    const enc = own(await client(edge));
    const a = enc.subscribe("gone.edge");
    const b = hub.nc.subscribe("gone.hub");
    await enc.flush();
    await hub.nc.flush();
    await hubSees(hub, "gone.edge");
    await edgeSees(edge, "gone.hub");
    a.unsubscribe();
    b.unsubscribe();
    await enc.flush();
    await hub.nc.flush();
    await hubSees(hub, "gone.edge", false);
    await edgeSees(edge, "gone.hub", false);
  });

  test("queue groups across the link, local members preferred", async () => {
    const hub = await startHub();
    const edge = await startEdge(hub);
    await linked(hub, edge);
    const enc = own(await client(edge));
    const hubQ = collect(hub.nc, "work", { queue: "q" });
    const hubQ2 = collect(hub.nc, "work", { queue: "q" });
    await hub.nc.flush();
    await edgeSees(edge, "work");

    // Only hub members: every message crosses the link to one of them.
    for (let i = 0; i < 10; i++) enc.publish("work", String(i));
    await until(() => hubQ.got.length + hubQ2.got.length === 10, "10 messages to the hub's group");

    // With a local member, the edge keeps them all (nats-server's TestLeafNodeLocalizedDQ).
    const edgeQ = collect(enc, "work", { queue: "q" });
    await enc.flush();
    await hubSees(hub, "work");
    for (let i = 0; i < 10; i++) enc.publish("work", `l${i}`);
    await until(() => edgeQ.got.length === 10, "10 messages to the local member");
    await hub.nc.flush();
    expect(hubQ.got.length + hubQ2.got.length).toBe(10);

    // And the hub's messages go to its own members only, never across.
    for (let i = 0; i < 5; i++) hub.nc.publish("work", `h${i}`);
    await until(() => hubQ.got.length + hubQ2.got.length === 15, "the hub's 5 to its own group");
    await enc.flush();
    expect(edgeQ.got.length).toBe(10);
  });

  test("request/reply both ways, and headers cross", async () => {
    const hub = await startHub();
    const edge = await startEdge(hub);
    await linked(hub, edge);
    const enc = own(await client(edge));
    enc.subscribe("svc.edge", { callback: (_e, m) => void m.respond(`edge got ${m.string()} ${m.headers?.get("X-Trace") ?? "-"}`) });
    hub.nc.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub got ${m.string()} ${m.headers?.get("X-Trace") ?? "-"}`) });
    await enc.flush();
    await hub.nc.flush();
    await hubSees(hub, "svc.edge");
    await edgeSees(edge, "svc.hub");
    const h = natsHeaders();
    h.set("X-Trace", "t1");
    expect((await hub.nc.request("svc.edge", "a", { timeout: 2000, headers: h })).string()).toBe("edge got a t1");
    expect((await enc.request("svc.hub", "b", { timeout: 2000, headers: h })).string()).toBe("hub got b t1");
  });

  test("hub killed and restarted: the leaf reconnects by itself and interest is restored", async () => {
    const hub = await startHub();
    const edge = await startEdge(hub);
    await linked(hub, edge);
    const enc = own(await client(edge));
    const atEdge = collect(enc, "after.restart");
    await enc.flush();
    await hubSees(hub, "after.restart");

    await hub.nc.close();
    await hub.proc.close();
    await until(() => edgeLeafz(edge).length === 0, "the edge noticing the hub is gone");
    expect(edge.logs.some((l) => /Leafnode connection closed: .* account: \$G$/.test(l))).toBe(true);
    // The edge keeps serving its own clients meanwhile.
    const local = collect(enc, "local.only");
    await enc.flush();
    enc.publish("local.only", "x");
    await until(() => local.got.length === 1, "local delivery while the hub is down");

    const hub2 = await startHub(hub.leafPort);
    await linked(hub2, edge);
    await hubSees(hub2, "after.restart");
    hub2.nc.publish("after.restart", "back");
    await until(() => atEdge.got.length === 1, "a message from the restarted hub");
    expect(atEdge.got).toEqual(["after.restart:back"]);
  });

  test("wrong credentials: the edge stays up, logs the hub's refusal and keeps trying", async () => {
    const hub = await startHub(undefined, "authorization { user: leaf, password: right }");
    const edge = await startEdge(hub, `nats-leaf://leaf:wrong@127.0.0.1:${hub.leafPort}`);
    await until(() => edge.logs.filter((l) => l.includes("Leafnode Error 'Authorization Violation'")).length >= 2, "two refused attempts");
    expect(edgeLeafz(edge)).toEqual([]);
    const enc = own(await client(edge));
    const local = collect(enc, "still.up");
    await enc.flush();
    enc.publish("still.up", "1");
    await until(() => local.got.length === 1, "local traffic on the edge");
  });

  test("deny_imports and deny_exports: of four subjects only the two public ones cross", async () => {
    const hub = await startHub();
    const url = `nats-leaf://127.0.0.1:${hub.leafPort}`;
    const edge = own(
      await runServer({
        config: `server_name: edge1\nleafnodes { remotes = [ { url: "${url}", deny_imports: ["hub.private.>"], deny_exports: ["edge.private.>"] } ] }`,
      }),
    );
    await linked(hub, edge);
    const enc = own(await client(edge));
    const atHub = collect(hub.nc, "edge.>");
    const atEdge = collect(enc, "hub.>");
    // Wholly denied interest is not even advertised.
    enc.subscribe("hub.private.only");
    await hub.nc.flush();
    await enc.flush();
    await edgeSees(edge, "edge.>");
    await hubSees(hub, "hub.>");
    expect(hasInterest(await httpLeafz(hub.httpPort), "hub.private.only")).toBe(false);
    // Each side sends its private message first: had it crossed, it would arrive before the public one.
    hub.nc.publish("hub.private.x", "no");
    hub.nc.publish("hub.public.x", "yes");
    enc.publish("edge.private.y", "no");
    enc.publish("edge.public.y", "yes");
    await until(() => atHub.got.length >= 1 && atEdge.got.length >= 1, "the public messages");
    await enc.flush();
    await hub.nc.flush();
    expect(atEdge.got).toEqual(["hub.public.x:yes"]);
    expect(atHub.got).toEqual(["edge.public.y:yes"]);
  });

  test("a hub whose min_version natsedge does not meet: the refusal is logged and redials are paced by the hub's 5 s hold", async () => {
    const hub = await startHub(undefined, 'min_version: "2.10.0"');
    const edge = await startEdge(hub);
    const REFUSED = `Leafnode Error 'connection rejected since minimum version required is "2.10.0"'`;
    const at: number[] = [];
    await until(() => {
      const n = edge.logs.filter((l) => l.includes(REFUSED)).length;
      if (n > at.length) at.push(Date.now());
      return at.length >= 2;
    }, "two refusals", 15_000);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(4500);
  });

  test("right credentials in the URL link", async () => {
    const hub = await startHub(undefined, "authorization { user: leaf, password: right }");
    const edge = await startEdge(hub, `nats-leaf://leaf:right@127.0.0.1:${hub.leafPort}`);
    await linked(hub, edge);
  });
});

describe("leafnodes options natsedge does not apply yet", () => {
  test("refuse to start, naming each key", async () => {
    const config = `leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:1", jetstream_cluster_migrate: true } ] }`;
    const err = await runServer({ config }).then(() => null, (e: Error) => e);
    expect(err?.message).toBe("natsedge does not support these configured options yet: leafnodes.remotes.jetstream_cluster_migrate");
  });

  test("a remote's account must exist, as nats-server checks", async () => {
    const config = `leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:1", account: ACC } ] }`;
    const err = await runServer({ config }).then(() => null, (e: Error) => e);
    expect(err?.message).toBe('cannot find local account "ACC" specified in leafnode remote');
  });
});

describe("natsedge leaf -> proxy -> nats-server hub", () => {
  test("a delayed path carries traffic; when it is cut the leaf comes back through the advertised proxy", async () => {
    const leafPort = await freePort();
    const proxy = own(await startTcpProxy(leafPort, 30));
    const hub = await startHub(leafPort, `advertise: "127.0.0.1:${proxy.port}"`);
    const edge = await startEdge(hub, `nats-leaf://127.0.0.1:${proxy.port}`);
    await linked(hub, edge);
    const enc = own(await client(edge));
    const atEdge = collect(enc, "through.proxy");
    await enc.flush();
    await hubSees(hub, "through.proxy");
    hub.nc.publish("through.proxy", "1");
    await until(() => atEdge.got.length === 1, "a message over the delayed path");

    const before = proxy.accepted;
    proxy.cut();
    await until(() => proxy.accepted > before && edgeLeafz(edge).length === 1, "the leaf back through the proxy");
    await hubSees(hub, "through.proxy");
    hub.nc.publish("through.proxy", "2");
    await until(() => atEdge.got.length === 2, "a message after the cut");
    expect(atEdge.got).toEqual(["through.proxy:1", "through.proxy:2"]);
  });
});
