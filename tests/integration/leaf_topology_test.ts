/**
 * Leaf topologies beyond one link: natsedge on both ends, natsedge in the middle of a daisy chain of
 * nats-server 2.9.10 hub and leaf, and a loop (two remotes to one hub) that $LDS detection stops.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";
import { collect, settle } from "../_helpers/collect.ts";

const own = useCleanup();

describe("natsedge hub <- natsedge leaf", () => {
  test("pub/sub and queue groups both ways", async () => {
    const leafPort = await freePort();
    const hub = own(await runServer({ config: `server_name: ehub\nleafnodes { listen: "127.0.0.1:${leafPort}" }` }));
    const edge = own(await runServer({ config: `server_name: eleaf\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }` }));
    await until(() => edgeLeafz(hub).length === 1 && edgeLeafz(edge).length === 1, "the link on both sides");
    const hnc = own(await client(hub));
    const enc = own(await client(edge));
    const atHub = collect(hnc, "up.>");
    const atEdge = collect(enc, "down.*");
    const q = collect(hnc, "jobs", "w");
    await settle(hnc, enc);
    await until(() => hasInterest(edgeLeafz(edge), "up.>") && hasInterest(edgeLeafz(edge), "jobs") && hasInterest(edgeLeafz(hub), "down.*"), "interest both ways");
    enc.publish("up.a.b", "1");
    hnc.publish("down.c", "2");
    for (let i = 0; i < 3; i++) enc.publish("jobs", `j${i}`);
    await until(() => atHub.length === 1 && atEdge.length === 1 && q.length === 3, "messages both ways");
    await settle(hnc, enc);
    expect(atHub).toEqual(["1"]);
    expect(atEdge).toEqual(["2"]);
    expect(q).toEqual(["j0", "j1", "j2"]);
  });
});

describe("nats-server hub <- natsedge <- nats-server leaf (daisy chain)", () => {
  test("messages cross both links exactly once, both ways", async () => {
    const hubLeafPort = await freePort();
    const hubHttp = await freePort();
    const hub = own(await startNatsServer(`server_name: top\nhttp: "127.0.0.1:${hubHttp}"\nleafnodes { listen: "127.0.0.1:${hubLeafPort}" }`));
    const midLeafPort = await freePort();
    const mid: TestServer = own(
      await runServer({
        config: `server_name: middle\nleafnodes { listen: "127.0.0.1:${midLeafPort}", remotes = [ { url: "nats-leaf://127.0.0.1:${hubLeafPort}" } ] }`,
      }),
    );
    const bottomHttp = await freePort();
    const bottom = own(await startNatsServer(`server_name: bottom\nhttp: "127.0.0.1:${bottomHttp}"\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${midLeafPort}" } ] }`));
    await until(async () => edgeLeafz(mid).length === 2 && (await httpLeafz(hubHttp)).length === 1 && (await httpLeafz(bottomHttp)).length === 1, "both links");

    const top = own(await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false }));
    const low = own(await connect({ servers: `127.0.0.1:${bottom.port}`, reconnect: false }));
    const atTop = collect(top, "from.bottom");
    const atBottom = collect(low, "from.top");
    await settle(top, low);
    // The bottom's interest reaches the top through natsedge, and the top's reaches the bottom.
    // A /leafz lists what the far side is interested in: the top sees the bottom's subscription, and back.
    await until(async () => hasInterest(await httpLeafz(hubHttp), "from.top") && hasInterest(await httpLeafz(bottomHttp), "from.bottom"), "interest through the middle");
    low.publish("from.bottom", "up");
    top.publish("from.top", "down");
    await until(() => atTop.length === 1 && atBottom.length === 1, "one message each way");
    await settle(top, low);
    expect(atTop).toEqual(["up"]);
    expect(atBottom).toEqual(["down"]);
  });
});

describe("a loop: natsedge dials a hub directly and through one of its leaves", () => {
  test("its $LDS comes back on both links; it drops both, as nats-server 2.9.10 does in its place, and serves local clients", async () => {
    const topPort = await freePort();
    const topHttp = await freePort();
    own(await startNatsServer(`server_name: top\nhttp: "127.0.0.1:${topHttp}"\nleafnodes { listen: "127.0.0.1:${topPort}" }`));
    const midPort = await freePort();
    const mid = own(await startNatsServer(`server_name: mid\nleafnodes { listen: "127.0.0.1:${midPort}", remotes = [ { url: "nats-leaf://127.0.0.1:${topPort}" } ] }`));
    await until(async () => (await httpLeafz(topHttp)).length === 1, "mid linked to top");
    const edge = own(
      await runServer({
        config: `server_name: looped\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${midPort}" }, { url: "nats-leaf://127.0.0.1:${topPort}" } ] }`,
      }),
    );
    const LOOP = 'Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s';
    await until(() => edge.logs.filter((l) => l.includes(`[ERR]`) && l.endsWith(LOOP)).length === 2, "natsedge reporting the loop on both links");
    await until(() => edgeLeafz(edge).length === 0, "both links dropped");
    // The far side got the error text too.
    await until(() => mid.logs.some((l) => l.includes(`Leafnode Error '${LOOP}'`)), "mid told about the loop");
    expect(edge.logs.filter((l) => l.includes("Leafnode connection closed: Protocol Violation account: $G")).length).toBe(2);
    const enc = own(await client(edge));
    const got = collect(enc, "local");
    await enc.flush();
    enc.publish("local", "x");
    await until(() => got.length === 1, "local delivery");
  });
});
