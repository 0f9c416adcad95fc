/**
 * Leaf nodes over WebSocket (issue 15): a remote with a ws:// or wss:// URL dials the hub's WebSocket port,
 * whose /leafnode path accepts it, with nats-server 2.9.10 and natsedge in either role, and natsedge on both
 * ends. Also a remote's `hub: true`, which swaps the spoke's part (over plain TCP: it is not about
 * WebSocket). In reference mode (NATSEDGE_REFERENCE_SERVER) every natsedge side is nats-server, so the
 * assertions are checked against 2.9.10 alone.
 */
import { describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startServer } from "../../mod.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { freePort, hasInterest, httpLeafz, type LeafzEntry, until } from "../_helpers/leaf.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { testCerts } from "../_helpers/certs.ts";
import { LEAFNODES } from "../../src/server/builtin_services.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";

const own = useCleanup();
/** wss on natsedge's side needs a transport that serves TLS. */
const servesTLS = (await detectRuntime()).serverTLS;

type Kind = "natsedge" | "nats-server";

interface Side {
  kind: Kind;
  wsPort: number;
  leafPort: number;
  logs: string[];
  nc: NatsConnection;
  leafz(): Promise<LeafzEntry[]>;
  close(): Promise<void>;
}

const WS_LISTENING = /Listening for websocket clients on wss?:\/\/.*:(\d+)$/;
const LEAF_LISTENING = /Listening for leafnode connections on .*:(\d+)$/;

function portFrom(logs: string[], re: RegExp): number {
  for (const l of logs) {
    const m = re.exec(l);
    if (m) return Number(m[1]);
  }
  return 0;
}

/** A server of `kind` with `conf`; natsedge is nats-server too in reference mode. */
async function start(kind: Kind, conf: string): Promise<Side> {
  if (kind === "nats-server" || REFERENCE_SERVER !== "") {
    if (REFERENCE_SERVER !== "") process.env.NATS_SERVER = REFERENCE_SERVER;
    const httpPort = await freePort();
    const p = await startNatsServer(`http: "127.0.0.1:${httpPort}"\n${conf}`);
    const nc = await connect({ servers: `127.0.0.1:${p.port}`, reconnect: false });
    return own({
      kind,
      wsPort: portFrom(p.logs, WS_LISTENING),
      leafPort: portFrom(p.logs, LEAF_LISTENING),
      logs: p.logs,
      nc,
      leafz: () => httpLeafz(httpPort),
      close: async () => {
        await nc.close();
        await p.close();
      },
    });
  }
  const logs: string[] = [];
  const h = await startServer({ config: `listen: "127.0.0.1:-1"\n${conf}`, logSink: (l) => logs.push(l) });
  const nc = await connect({ servers: `127.0.0.1:${h.port}`, reconnect: false });
  return own({
    kind,
    wsPort: h.server.websocketPort,
    leafPort: h.server.services.get(LEAFNODES)?.listen?.port ?? 0,
    logs,
    nc,
    leafz: () => Promise.resolve(h.server.services.get(LEAFNODES)?.leafz(true) ?? []),
    close: async () => {
      await nc.close();
      await h.close();
    },
  });
}

const WS_PLAIN = "websocket { host: 127.0.0.1, port: -1, no_tls: true }";
const LEAF_PORT = "leafnodes { host: 127.0.0.1, port: -1 }";

/** A hub whose WebSocket port takes leaves (2.9.10 wants a leafnode port for that). */
function hub(kind: Kind, ws = WS_PLAIN): Promise<Side> {
  return start(kind, `server_name: hub\n${ws}\n${LEAF_PORT}`);
}

/** A leaf with one remote; `remote` holds the rest of the remote's keys. */
function leaf(kind: Kind, url: string, remote = "", extra = ""): Promise<Side> {
  return start(kind, `server_name: leaf\n${extra}\nleafnodes { reconnect: 1, remotes = [ { url: "${url}"\n${remote} } ] }`);
}

async function linked(a: Side, b: Side): Promise<void> {
  await until(async () => (await a.leafz()).length === 1 && (await b.leafz()).length === 1, "the leaf link on both sides");
}

async function sees(side: Side, key: string): Promise<void> {
  await until(async () => hasInterest(await side.leafz(), key), `${side.kind} /leafz with ${key}`);
}

/** A message each way, sent once the interest has crossed, so each must arrive exactly once. */
async function pubSubBothWays(h: Side, l: Side, payload = "x"): Promise<void> {
  const atHub: string[] = [];
  const atLeaf: string[] = [];
  h.nc.subscribe("to.hub.>", { callback: (_e, m) => void atHub.push(`${m.subject}:${m.string()}`) });
  l.nc.subscribe("to.leaf", { callback: (_e, m) => void atLeaf.push(`${m.subject}:${m.string()}`) });
  await h.nc.flush();
  await l.nc.flush();
  await sees(l, "to.hub.>");
  await sees(h, "to.leaf");
  l.nc.publish("to.hub.a", payload);
  h.nc.publish("to.leaf", payload);
  await l.nc.flush();
  await h.nc.flush();
  await until(() => atHub.length === 1 && atLeaf.length === 1, "one message each way");
  expect(atHub).toEqual([`to.hub.a:${payload}`]);
  expect(atLeaf).toEqual([`to.leaf:${payload}`]);
  // A request answered across the link, back over the same WebSocket.
  const svc = h.nc.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`echo ${m.string()}`) });
  await h.nc.flush();
  await sees(l, "svc.echo");
  expect((await l.nc.request("svc.echo", "hi", { timeout: 5000 })).string()).toBe("echo hi");
  svc.unsubscribe();
}

const PAIRS: [Kind, Kind][] = [
  ["nats-server", "natsedge"],
  ["natsedge", "nats-server"],
  ["natsedge", "natsedge"],
];

describe("leaf nodes over WebSocket", () => {
  for (const [hk, lk] of PAIRS) {
    test(`${lk} leaf -> ${hk} hub over ws://: pub/sub and request/reply both ways`, async () => {
      const h = await hub(hk);
      const l = await leaf(lk, `ws://127.0.0.1:${h.wsPort}`);
      await linked(h, l);
      await pubSubBothWays(h, l);
    });

    test(`${lk} leaf -> ${hk} hub with ws_compression and ws_no_masking: both negotiated, large messages cross`, async () => {
      const h = await hub(hk, "websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true }");
      const l = await leaf(lk, `ws://127.0.0.1:${h.wsPort}`, "ws_compression: true\nws_no_masking: true", "debug: true");
      await linked(h, l);
      expect(l.logs.some((x) => x.includes("Leafnode compression=true masking=false"))).toBe(true);
      await pubSubBothWays(h, l, "compressible ".repeat(5000));
    });
  }

  test("without ws_no_masking the leaf masks, and without compression on the hub it sends plain frames", async () => {
    const h = await hub("nats-server");
    const l = await leaf("natsedge", `ws://127.0.0.1:${h.wsPort}`, "ws_compression: true", "debug: true");
    await linked(h, l);
    expect(l.logs.some((x) => x.includes("Leafnode compression=false masking=true"))).toBe(true);
    await pubSubBothWays(h, l, "y".repeat(1000));
  });

  const wssPairs = PAIRS.filter(([hk]) => hk === "nats-server" || servesTLS);
  for (const [hk, lk] of wssPairs) {
    test(`${lk} leaf -> ${hk} hub over wss:// with the test CA`, async () => {
      const c = testCerts();
      const h = await hub(hk, `websocket { host: 127.0.0.1, port: -1, tls { cert_file: "${c.server.cert}", key_file: "${c.server.key}" } }`);
      const l = await leaf(lk, `wss://localhost:${h.wsPort}`, `tls { ca_file: "${c.ca}" }`);
      await linked(h, l);
      await pubSubBothWays(h, l);
    });
  }

  test("a natsedge leaf redials the WebSocket URL when the hub comes back, and gets its interest again", async () => {
    const wsPort = await freePort();
    const conf = `server_name: hub\nwebsocket { host: 127.0.0.1, port: ${wsPort}, no_tls: true }\n${LEAF_PORT}`;
    const h1 = await start("nats-server", conf);
    const l = await leaf("natsedge", `ws://127.0.0.1:${wsPort}`, "", "debug: true");
    await linked(h1, l);
    await h1.close();
    await until(async () => (await l.leafz()).length === 0, "the leaf seeing the link drop");
    const h2 = await start("nats-server", conf);
    await linked(h2, l);
    await pubSubBothWays(h2, l);
    expect(l.logs.filter((x) => x.includes(`Trying to connect as leafnode to remote server on "127.0.0.1:${wsPort}"`)).length).toBeGreaterThanOrEqual(2);
  });
});

/**
 * A remote with hub: true: the dialling side is the hub of that link, so the accepting side is its spoke and
 * advertises only its own interest, not what it learned from a hub it dials itself. X accepts Y (who says
 * hub: true) and dials Z: Y must learn X's local subscriptions but not Z's.
 */
describe("remote hub: true", () => {
  const cases: [Kind, Kind][] = [
    ["natsedge", "natsedge"],
    ["nats-server", "natsedge"],
    ["natsedge", "nats-server"],
  ];
  for (const [xk, yk] of cases) {
    test(`${yk} dialling ${xk} with hub: true is not sent what ${xk} learned from its own hub`, async () => {
      const z = await start("nats-server", `server_name: z\n${LEAF_PORT}`);
      const x = await start(xk, `server_name: x\nleafnodes { host: 127.0.0.1, port: -1, reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:${z.leafPort}" } ] }`);
      await until(async () => (await z.leafz()).length === 1, "x linked to z");
      const y = await start(yk, `server_name: y\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:${x.leafPort}", hub: true } ] }`);
      await until(async () => (await x.leafz()).length === 2 && (await y.leafz()).length === 1, "y linked to x");
      z.nc.subscribe("from.z");
      await z.nc.flush();
      await until(async () => hasInterest(await x.leafz(), "from.z"), "x learning from.z from z");
      x.nc.subscribe("from.x");
      await x.nc.flush();
      await sees(y, "from.x");
      expect(hasInterest(await y.leafz(), "from.z")).toBe(false);
      // y, the hub of its link, still sends its own interest to x.
      y.nc.subscribe("from.y");
      await y.nc.flush();
      await until(async () => hasInterest(await x.leafz(), "from.y"), "x learning from.y");
    });
  }

  test("without hub: true the accepting side passes on what it learned from its hub", async () => {
    const z = await start("nats-server", `server_name: z\n${LEAF_PORT}`);
    const x = await start("natsedge", `server_name: x\nleafnodes { host: 127.0.0.1, port: -1, reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:${z.leafPort}" } ] }`);
    await until(async () => (await z.leafz()).length === 1, "x linked to z");
    const y = await start("natsedge", `server_name: y\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:${x.leafPort}" } ] }`);
    await until(async () => (await y.leafz()).length === 1, "y linked to x");
    z.nc.subscribe("from.z");
    await z.nc.flush();
    await sees(y, "from.z");
  });
});

/**
 * A ws:// remote whose hub says tls_required in its INFO (a hub with TLS on its leafnode port and none on its
 * WebSocket port, which 2.9.10 sends the leafnode port's INFO on): the link the INFO came on stays as it is,
 * since TLS over a WebSocket can only come before the upgrade, but the remote is TLS from then on
 * (processLeafnodeInfo's remote.TLS), so every later dial is wss:// and the plain WebSocket port refuses it.
 */
describe("a ws:// remote whose hub asks for TLS in its INFO", () => {
  for (const [hk, lk] of PAIRS) {
    test(`${lk} leaf -> ${hk} hub: the first link stays plain, every redial does TLS first and fails`, async () => {
      const c = testCerts();
      const wsPort = await freePort();
      const conf = `server_name: hub\nwebsocket { host: 127.0.0.1, port: ${wsPort}, no_tls: true }\nleafnodes { host: 127.0.0.1, port: -1, tls { cert_file: "${c.server.cert}", key_file: "${c.server.key}" } }`;
      const h1 = await start(hk, conf);
      const l = await leaf(lk, `ws://127.0.0.1:${wsPort}`, "", "debug: true");
      await linked(h1, l);
      await pubSubBothWays(h1, l);
      await h1.close();
      await until(async () => (await l.leafz()).length === 0, "the leaf seeing the link drop");
      const before = l.logs.length;
      const h2 = await start(hk, conf);
      // A redial that worked would be the last: a third one means two failed.
      const dials = () => l.logs.slice(before).filter((x) => x.includes(`Trying to connect as leafnode to remote server on "127.0.0.1:${wsPort}"`)).length;
      await until(() => dials() >= 3, "three redials");
      expect(await h2.leafz()).toEqual([]);
      expect(await l.leafz()).toEqual([]);
      // nats-server says "TLS leafnode handshake error", natsedge names the failed dial's TLS handshake.
      expect(l.logs.slice(before).some((x) => /TLS (leafnode )?handshake/.test(x))).toBe(true);
    });
  }
});
