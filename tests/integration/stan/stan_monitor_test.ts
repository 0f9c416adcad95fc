/**
 * /streaming/serverz, /storez, /clientsz and /channelsz on the monitoring port, driven by the real npm client:
 * nats-streaming-server's field names, `subs=1`, `client=`, `channel=`, offset/limit paging and 404 texts.
 */
import { expect, test } from "bun:test";
import { useCleanup } from "../../_helpers/scope.ts";
import { runServer, type TestServer } from "../../_helpers/server.ts";
import { Collected, type Stan, stanClose, stanConnect, stanPublish } from "../../_helpers/stan.ts";

const own = useCleanup();
let srv: TestServer;

async function client(id: string): Promise<Stan> {
  const sc = await stanConnect(srv.port, id, "mon-cluster");
  let closed = false;
  sc.once("close", () => (closed = true));
  own({ close: () => (closed ? undefined : stanClose(sc)) });
  return sc;
}

async function get(path: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(`http://127.0.0.1:${srv.server.lifecycle.httpPort}${path}`);
  return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
}

async function json(path: string): Promise<Record<string, any>> {
  const r = await get(path);
  expect(`${path}: ${r.status} ${r.type}`).toBe(`${path}: 200 application/json`);
  return JSON.parse(r.body);
}

const SUB_FIELDS = ["client_id", "inbox", "ack_inbox", "is_durable", "is_offline", "max_inflight", "ack_wait", "last_sent", "pending_count", "is_stalled"];

test("the four pages with nats-streaming-server's fields, subscriptions by client and by channel, paging and 404s", async () => {
  srv = own(
    await runServer({
      http_port: -1,
      streaming: { cluster_id: "mon-cluster", store: "memory", encrypt: false, store_limits: { max_msgs: 500, channels: { "orders.*": { max_msgs: 10 } } } },
    }),
  );
  const pub = await client("pub");
  const worker = await client("worker");
  const held = await Collected.subscribe(
    worker,
    "orders.eu",
    worker.subscriptionOptions().setDurableName("eu").setDeliverAllAvailable().setManualAckMode(true).setMaxInFlight(2).setAckWait(60_000),
  );
  await Collected.subscribe(worker, "jobs", worker.subscriptionOptions().setDurableName("d"), "crew");
  for (const t of ["a", "b", "c"]) await stanPublish(pub, "orders.eu", t);
  await stanPublish(pub, "jobs", "j");
  await held.until(2);

  const server = await json("/streaming/serverz");
  expect(Object.keys(server)).toEqual([
    "cluster_id", "server_id", "now", "version", "go", "state", "start_time", "uptime", "clients", "subscriptions", "channels",
    "total_msgs", "total_bytes", "in_msgs", "in_bytes", "out_msgs", "out_bytes", "open_fds", "max_fds",
  ]);
  // The listeners, the log and the channels' files at least; the limit as `ulimit -n` says.
  expect(server.open_fds).toBeGreaterThan(3);
  expect(server.max_fds).toBeGreaterThanOrEqual(server.open_fds);
  expect(server).toMatchObject({ cluster_id: "mon-cluster", state: "STANDALONE", clients: 2, subscriptions: 2, channels: 2, total_msgs: 4, in_msgs: 4, in_bytes: 4 });
  expect(server.out_msgs).toBeGreaterThanOrEqual(3);
  expect(server.server_id).not.toBe(srv.server.id);

  const store = await json("/streaming/storez");
  expect(store).toMatchObject({
    cluster_id: "mon-cluster",
    type: "MEMORY",
    total_msgs: 4,
    limits: { max_channels: 100, max_msgs: 500, max_bytes: 1_024_000_000, max_age: 0, max_subscriptions: 1000, max_inactivity: 0, channels: { "orders.*": { max_msgs: 10, max_bytes: 1_024_000_000 } } },
  });

  const names = await json("/streaming/channelsz");
  expect(names).toMatchObject({ offset: 0, limit: 1024, count: 2, total: 2, names: ["jobs", "orders.eu"] });
  expect(names.channels).toBeUndefined();
  const paged = await json("/streaming/channelsz?offset=1&limit=1");
  expect(paged).toMatchObject({ offset: 1, limit: 1, count: 1, total: 2, names: ["orders.eu"] });

  const withSubs = await json("/streaming/channelsz?subs=1");
  expect(withSubs.names).toBeUndefined();
  const eu = withSubs.channels.find((c: { name: string }) => c.name === "orders.eu");
  expect(eu).toMatchObject({ name: "orders.eu", msgs: 3, first_seq: 1, last_seq: 3, subs_count: 1 });
  expect(eu.subscriptions).toHaveLength(1);
  const sub = eu.subscriptions[0];
  for (const f of SUB_FIELDS) expect(Object.keys(sub)).toContain(f);
  expect(sub).toMatchObject({
    client_id: "worker",
    durable_name: "eu",
    is_durable: true,
    is_offline: false,
    max_inflight: 2,
    ack_wait: 60,
    last_sent: 2,
    pending_count: 2,
    is_stalled: true,
  });
  expect(sub.queue_name).toBeUndefined();

  const one = await json("/streaming/channelsz?channel=jobs&subs=1");
  expect(one).toMatchObject({ name: "jobs", msgs: 1, subscriptions: [{ client_id: "worker", queue_name: "d:crew", durable_name: "d", is_durable: true }] });
  const missing = await get("/streaming/channelsz?channel=nope");
  expect(`${missing.status} ${missing.body}`).toBe("404 Channel nope not found\n");

  const clients = await json("/streaming/clientsz");
  expect(clients).toMatchObject({ cluster_id: "mon-cluster", offset: 0, limit: 1024, count: 2, total: 2 });
  expect(clients.clients.map((c: { id: string }) => c.id)).toEqual(["pub", "worker"]);
  expect(clients.clients[1].hb_inbox).toMatch(/^_INBOX\./);
  expect(clients.clients.map((c: { subs_count: number }) => c.subs_count)).toEqual([0, 2]);
  expect(clients.clients[1].subscriptions).toBeUndefined();
  const subs = await json("/streaming/clientsz?subs=1&offset=1");
  expect(subs).toMatchObject({ offset: 1, count: 1, total: 2 });
  expect(Object.keys(subs.clients[0].subscriptions).sort()).toEqual(["jobs", "orders.eu"]);
  expect((await json("/streaming/clientsz?client=worker")).id).toBe("worker");
  const gone = await get("/streaming/clientsz?client=ghost");
  expect(`${gone.status} ${gone.body}`).toBe("404 Client ghost not found\n");

  // A durable whose client has left is listed offline under its channel.
  await stanClose(worker);
  const offline = await json("/streaming/channelsz?channel=orders.eu&subs=1");
  expect(offline.subscriptions).toMatchObject([{ client_id: "worker", durable_name: "eu", is_offline: true, pending_count: 2 }]);
  expect((await json("/streaming/channelsz?channel=jobs&subs=1")).subscriptions).toMatchObject([{ queue_name: "d:crew", is_offline: true }]);
  expect((await get("/streaming")).body).toContain("/streaming/channelsz");
});

test("without streaming the /streaming pages do not exist", async () => {
  srv = own(await runServer({ http_port: -1 }));
  for (const p of ["/streaming/serverz", "/streaming/storez", "/streaming/clientsz", "/streaming/channelsz", "/streaming"]) {
    expect(`${p} ${(await get(p)).status}`).toBe(`${p} 404`);
  }
});
