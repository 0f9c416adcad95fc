/**
 * natsedge as the hub of a real nats-server 2.9.10 leaf: nats.js clients on both sides, interest checked on
 * /leafz of each side before a message is sent once, so it must arrive exactly once.
 */
import { describe, expect, test } from "bun:test";
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { client, RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();

interface Leaf {
  proc: NatsServerProcess;
  httpPort: number;
  nc: NatsConnection;
}

async function startHub(leafPort?: number, extra = ""): Promise<{ srv: TestServer; leafPort: number }> {
  const lp = leafPort ?? (await freePort());
  const srv = own(await runServer({ config: `server_name: edgehub\nleafnodes { listen: "127.0.0.1:${lp}"\n${extra} }` }));
  return { srv, leafPort: lp };
}

async function startLeaf(leafPort: number, userinfo = ""): Promise<Leaf> {
  const httpPort = await freePort();
  const proc = own(
    await startNatsServer(`server_name: leaf1\nhttp: "127.0.0.1:${httpPort}"\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://${userinfo}127.0.0.1:${leafPort}" } ] }`),
  );
  const nc = own(await connect({ servers: `127.0.0.1:${proc.port}`, reconnect: false }));
  return { proc, httpPort, nc };
}

async function linked(hub: TestServer, leaf: Leaf): Promise<void> {
  await until(async () => edgeLeafz(hub).length === 1 && (await httpLeafz(leaf.httpPort)).length === 1, "the leaf link on both sides");
}

async function hubSees(hub: TestServer, key: string, present = true): Promise<void> {
  await until(() => hasInterest(edgeLeafz(hub), key) === present, `natsedge /leafz ${present ? "with" : "without"} ${key}`);
}

async function leafSees(leaf: Leaf, key: string, present = true): Promise<void> {
  await until(async () => hasInterest(await httpLeafz(leaf.httpPort), key) === present, `nats-server /leafz ${present ? "with" : "without"} ${key}`);
}

function collect(nc: NatsConnection, subject: string, opts: { queue?: string } = {}): { got: string[] } {
  const got: string[] = [];
  nc.subscribe(subject, { ...opts, callback: (_e, m) => void got.push(`${m.subject}:${m.string()}`) });
  return { got };
}

describe("nats-server leaf -> natsedge hub", () => {
  test("the leaf accepts natsedge's INFO and links; both sides list the link", async () => {
    const monitorPort = await freePort();
    const leafPort = await freePort();
    const srv = own(await runServer({ config: `server_name: edgehub\nhttp: "127.0.0.1:${monitorPort}"\nleafnodes { listen: "127.0.0.1:${leafPort}" }` }));
    const leaf = await startLeaf(leafPort);
    await linked(srv, leaf);
    const [l] = await httpLeafz(monitorPort);
    expect(l!.account).toBe("$G");
    expect(l!.ip).toBe("127.0.0.1");
    expect(l!.subscriptions_list!.some((s) => s.startsWith("$LDS."))).toBe(true);
    const varz = (await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { leafnodes: number; leaf: { host: string; port: number }; in_msgs: number };
    expect(varz.leafnodes).toBe(1);
    expect(varz.leaf).toMatchObject({ host: "127.0.0.1", port: leafPort, auth_timeout: 2 });
    // Messages over the link count in the server totals, as in nats-server.
    const hnc = own(await client(srv));
    hnc.subscribe("counted");
    await hnc.flush();
    await leafSees(leaf, "counted");
    leaf.nc.publish("counted", "x");
    await leaf.nc.flush();
    await until(async () => ((await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { in_msgs: number }).in_msgs > varz.in_msgs, "in_msgs counting the link");
    // A Go duration, measured by the PING natsedge sends when the link comes up.
    await until(async () => {
      const rtt = (await httpLeafz(monitorPort))[0]?.rtt ?? "0s";
      return rtt !== "0s" && /^[\d.]+(ns|µs|ms|s)$/.test(rtt);
    }, "a measured rtt");
    expect(srv.logs.some((x) => /lid:\d+ - Leafnode connection created/.test(x))).toBe(true);
    expect(srv.logs.some((x) => x.includes("Listening for leafnode connections on 127.0.0.1:" + leafPort))).toBe(true);
    expect(leaf.proc.logs.some((x) => x.includes("Leafnode connection created for account: $G"))).toBe(true);
  });

  test("pub/sub both ways, literal and wildcard, exactly once", async () => {
    const { srv, leafPort } = await startHub();
    const leaf = await startLeaf(leafPort);
    await linked(srv, leaf);
    const hnc = own(await client(srv));
    const atHub = collect(hnc, "leaf.*.x");
    await hnc.flush();
    await leafSees(leaf, "leaf.*.x");
    const atLeaf = collect(leaf.nc, "hub.>");
    await leaf.nc.flush();
    await hubSees(srv, "hub.>");
    leaf.nc.publish("leaf.a.x", "1");
    hnc.publish("hub.q.r", "2");
    await until(() => atHub.got.length === 1 && atLeaf.got.length === 1, "one message each way");
    await hnc.flush();
    await leaf.nc.flush();
    expect(atHub.got).toEqual(["leaf.a.x:1"]);
    expect(atLeaf.got).toEqual(["hub.q.r:2"]);
  });

  test("unsubscribe propagates both ways", async () => {
    const { srv, leafPort } = await startHub();
    const leaf = await startLeaf(leafPort);
    await linked(srv, leaf);
    const hnc = own(await client(srv));
    const a = hnc.subscribe("gone.hub");
    const b = leaf.nc.subscribe("gone.leaf");
    await hnc.flush();
    await leaf.nc.flush();
    await leafSees(leaf, "gone.hub");
    await hubSees(srv, "gone.leaf");
    a.unsubscribe();
    b.unsubscribe();
    await hnc.flush();
    await leaf.nc.flush();
    await leafSees(leaf, "gone.hub", false);
    await hubSees(srv, "gone.leaf", false);
  });

  test("queue group: a member on the far side only gets what no local member can take", async () => {
    const { srv, leafPort } = await startHub();
    const leaf = await startLeaf(leafPort);
    await linked(srv, leaf);
    const hnc = own(await client(srv));
    const far = collect(leaf.nc, "jobs", { queue: "w" });
    await leaf.nc.flush();
    await hubSees(srv, "jobs");
    for (let i = 0; i < 5; i++) hnc.publish("jobs", String(i));
    await until(() => far.got.length === 5, "5 jobs across the link");
    const near = collect(hnc, "jobs", { queue: "w" });
    await hnc.flush();
    await leafSees(leaf, "jobs");
    for (let i = 0; i < 5; i++) hnc.publish("jobs", `n${i}`);
    await until(() => near.got.length === 5, "5 jobs to the local member");
    await leaf.nc.flush();
    expect(far.got.length).toBe(5);
    // From the leaf's side the same rule holds on the leaf: its own member keeps them.
    for (let i = 0; i < 5; i++) leaf.nc.publish("jobs", `f${i}`);
    await until(() => far.got.length === 10, "the leaf's jobs to its own member");
    await hnc.flush();
    expect(near.got.length).toBe(5);
  });

  test("request/reply both ways with headers", async () => {
    const { srv, leafPort } = await startHub();
    const leaf = await startLeaf(leafPort);
    await linked(srv, leaf);
    const hnc = own(await client(srv));
    hnc.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub ${m.string()} ${m.headers?.get("X-Id") ?? "-"}`) });
    leaf.nc.subscribe("svc.leaf", { callback: (_e, m) => void m.respond(`leaf ${m.string()} ${m.headers?.get("X-Id") ?? "-"}`) });
    await hnc.flush();
    await leaf.nc.flush();
    await leafSees(leaf, "svc.hub");
    await hubSees(srv, "svc.leaf");
    const h = natsHeaders();
    h.set("X-Id", "7");
    expect((await leaf.nc.request("svc.hub", "a", { timeout: 2000, headers: h })).string()).toBe("hub a 7");
    expect((await hnc.request("svc.leaf", "b", { timeout: 2000, headers: h })).string()).toBe("leaf b 7");
  });

  test("natsedge restarted on the same port: the nats-server leaf comes back and interest is restored", async () => {
    const first = await startHub();
    const leaf = await startLeaf(first.leafPort);
    await linked(first.srv, leaf);
    const atLeaf = collect(leaf.nc, "back.again");
    await leaf.nc.flush();
    await hubSees(first.srv, "back.again");
    await first.srv.close();
    await until(async () => (await httpLeafz(leaf.httpPort)).length === 0, "the leaf noticing");
    const { srv } = await startHub(first.leafPort);
    await linked(srv, leaf);
    await hubSees(srv, "back.again");
    const hnc = own(await client(srv));
    hnc.publish("back.again", "x");
    await until(() => atLeaf.got.length === 1, "delivery after the restart");
  });

  test("authorization: the right user links, a wrong password is refused and the hub stays up", async () => {
    const { srv, leafPort } = await startHub(undefined, "authorization { user: leafy, password: s3cret }");
    const bad = await startLeaf(leafPort, "leafy:nope@");
    await until(() => srv.logs.filter((l) => l.includes("authentication error")).length >= 2, "two refusals");
    expect(bad.proc.logs.some((l) => l.includes("Authorization Violation"))).toBe(true);
    expect(edgeLeafz(srv)).toEqual([]);
    const good = await startLeaf(leafPort, "leafy:s3cret@");
    await linked(srv, good);
  });
});

describe("a bcrypt leaf password", () => {
  test("what the leaf sends right after CONNECT waits for the check and is then processed", async () => {
    const { default: bcrypt } = await import("bcryptjs");
    const hash = bcrypt.hashSync("s3cret", 6);
    const { srv, leafPort } = await startHub(undefined, `authorization { user: leafy, password: "${hash}" }`);
    const leaf = own(await RawConn.open(leafPort));
    await leaf.waitFor(/^INFO .*\r\n/);
    leaf.send('CONNECT {"user":"leafy","pass":"s3cret"}\r\nLS+ after.connect\r\nPING\r\n');
    await leaf.waitFor("PONG\r\n");
    await hubSees(srv, "after.connect");
    const hnc = own(await client(srv));
    hnc.publish("after.connect", "ok");
    await leaf.waitFor("LMSG after.connect 2\r\nok\r\n");
  });
});
