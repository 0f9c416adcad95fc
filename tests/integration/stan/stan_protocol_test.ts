/**
 * NATS Streaming with the real npm client (node-nats-streaming 0.3.2) against an in-process server with
 * a memory store: connect, publish with acks, every start position, durables, queue groups, manual acks,
 * redelivery, max in flight, duplicate client IDs, and garbage protobufs.
 */
import { afterEach, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { runServer, type TestServer } from "../../_helpers/server.ts";
import { Collected, type Stan, stanClose, stanConnect, stanPublish } from "../../_helpers/stan.ts";
import {
  CloseRequest,
  CloseResponse,
  ConnectRequest,
  ConnectResponse,
  MsgProto,
  Ping,
  PingResponse,
  PubAck,
  PubMsg,
  SubscriptionRequest,
  SubscriptionResponse,
} from "../../../src/stan/proto.ts";

let srv: TestServer | null = null;
const open: Stan[] = [];
afterEach(async () => {
  for (const sc of open.splice(0)) await stanClose(sc).catch(() => {});
  await srv?.close();
  srv = null;
});

async function start(config?: string): Promise<number> {
  srv = config === undefined
    ? await runServer({ streaming: { cluster_id: "test-cluster", store: "memory", encrypt: false } })
    : await runServer({ config });
  return srv.port;
}

/** Registers a client the way the real ones do, from a plain NATS connection that answers nothing. */
async function registerSilent(nc: NatsConnection, clientID: string, connID: Uint8Array): Promise<ReturnType<typeof ConnectResponse.decode>> {
  const req = ConnectRequest.encode({ clientID, heartbeatInbox: `_INBOX.${clientID}.hb`, protocol: 1, connID, pingInterval: 5, pingMaxOut: 3 });
  return ConnectResponse.decode((await nc.request("_STAN.discover.test-cluster", req)).data);
}

async function client(port: number, id: string, cluster?: string): Promise<Stan> {
  const sc = await stanConnect(port, id, cluster);
  open.push(sc);
  return sc;
}

async function publishAll(sc: Stan, channel: string, texts: string[]): Promise<void> {
  for (const t of texts) await stanPublish(sc, channel, t);
}

test("publish is acknowledged with the message's guid and subscribers get sequence, data and timestamp", async () => {
  const sc = await client(await start(), "pub1");
  const before = Date.now();
  const sub = await Collected.subscribe(sc, "orders", sc.subscriptionOptions());
  const guid = await stanPublish(sc, "orders", "first");
  expect(guid).toMatch(/^[A-Z0-9]+$/);
  await sub.until(1);
  const m = sub.msgs[0]!;
  expect([m.getSequence(), m.getSubject(), String(m.getData()), m.isRedelivered()]).toEqual([1, "orders", "first", false]);
  expect(m.getTimestamp().getTime()).toBeGreaterThanOrEqual(before - 1);
});

test("every start position: new only, last received, sequence, time delta, all available", async () => {
  const sc = await client(await start(), "starts");
  await publishAll(sc, "pos", ["a", "b", "c", "d"]);
  const o = () => sc.subscriptionOptions();
  const newOnly = await Collected.subscribe(sc, "pos", o());
  const last = await Collected.subscribe(sc, "pos", o().setStartWithLastReceived());
  const fromSeq = await Collected.subscribe(sc, "pos", o().setStartAtSequence(3));
  const all = await Collected.subscribe(sc, "pos", o().setDeliverAllAvailable());
  const delta = await Collected.subscribe(sc, "pos", o().setStartAtTimeDelta(60_000));
  await stanPublish(sc, "pos", "e");
  await Promise.all([newOnly.until(1), last.until(2), fromSeq.until(3), all.until(5), delta.until(5)]);
  expect(newOnly.texts()).toEqual(["e"]);
  expect(last.texts()).toEqual(["d", "e"]);
  expect(fromSeq.texts()).toEqual(["c", "d", "e"]);
  expect(all.texts()).toEqual(["a", "b", "c", "d", "e"]);
  expect(delta.texts()).toEqual(["a", "b", "c", "d", "e"]);
});

test("a time delta start skips messages older than the delta", async () => {
  const sc = await client(await start(), "delta");
  await stanPublish(sc, "td", "old");
  const oldAt = Date.now();
  // The start position is about time itself: the clock has to move well past the old message.
  while (Date.now() - oldAt < 500) await new Promise((resolve) => setTimeout(resolve, 10));
  const newAt = Date.now();
  await stanPublish(sc, "td", "new");
  // A start halfway between the two: the subscribe request may take up to half the gap to reach the server
  // (which computes the start from its own clock) before "new" falls outside, and "old" never falls inside.
  const sub = await Collected.subscribe(sc, "td", sc.subscriptionOptions().setStartAtTimeDelta(Date.now() - newAt + (newAt - oldAt) / 2));
  await sub.until(1);
  expect(sub.texts()).toEqual(["new"]);
});

test("a durable resumes after its client reconnects: what was missed, nothing twice", async () => {
  const port = await start();
  const first = await stanConnect(port, "dur-client");
  const opts = () => first.subscriptionOptions().setDurableName("d1").setDeliverAllAvailable();
  const sub = await Collected.subscribe(first, "dur", opts());
  await publishAll(first, "dur", ["1", "2", "3"]);
  await sub.until(3);
  await stanClose(first);
  const other = await client(port, "publisher");
  await publishAll(other, "dur", ["4", "5"]);
  const again = await client(port, "dur-client");
  const resumed = await Collected.subscribe(again, "dur", again.subscriptionOptions().setDurableName("d1").setDeliverAllAvailable());
  await resumed.until(2);
  await stanPublish(other, "dur", "6");
  await resumed.until(3);
  expect(resumed.texts()).toEqual(["4", "5", "6"]);
});

test("an unsubscribed durable starts over; a closed one resumes", async () => {
  const port = await start();
  const sc = await client(port, "unsub-client");
  await publishAll(sc, "uc", ["1", "2"]);
  const opts = () => sc.subscriptionOptions().setDurableName("d").setDeliverAllAvailable();
  const a = await Collected.subscribe(sc, "uc", opts());
  await a.until(2);
  await new Promise<void>((resolve) => { a.sub.once("closed", () => resolve()); a.sub.close(); });
  await stanPublish(sc, "uc", "3");
  const b = await Collected.subscribe(sc, "uc", opts());
  await b.until(1);
  expect(b.texts()).toEqual(["3"]);
  await new Promise<void>((resolve) => { b.sub.once("unsubscribed", () => resolve()); b.sub.unsubscribe(); });
  const c = await Collected.subscribe(sc, "uc", opts());
  await c.until(3);
  expect(c.texts()).toEqual(["1", "2", "3"]);
});

test("an active durable cannot be registered twice", async () => {
  const sc = await client(await start(), "twice");
  const opts = () => sc.subscriptionOptions().setDurableName("same");
  await Collected.subscribe(sc, "dd", opts());
  await expect(Collected.subscribe(sc, "dd", opts())).rejects.toThrow("stan: duplicate durable registration");
});

test("with replace_durable the twin of an active durable takes over from it", async () => {
  const sc = await client(await start(`streaming { replace_durable: true }`), "replacer");
  const opts = () => sc.subscriptionOptions().setDurableName("same");
  const old = await Collected.subscribe(sc, "rd", opts());
  const twin = await Collected.subscribe(sc, "rd", opts());
  await stanPublish(sc, "rd", "to the twin");
  await twin.until(1);
  expect(old.msgs.length).toBe(0);
});

test("a queue group shares the messages: each goes to exactly one member", async () => {
  const port = await start();
  const a = await client(port, "qa");
  const b = await client(port, "qb");
  const qa = await Collected.subscribe(a, "work", a.subscriptionOptions(), "workers");
  const qb = await Collected.subscribe(b, "work", b.subscriptionOptions(), "workers");
  const texts = Array.from({ length: 20 }, (_, i) => `m${i}`);
  await publishAll(a, "work", texts);
  let total = 0;
  await new Promise<void>((resolve) => {
    const check = () => ++total === texts.length && resolve();
    qa.sub.on("message", check);
    qb.sub.on("message", check);
    total = qa.msgs.length + qb.msgs.length;
    if (total >= texts.length) resolve();
  });
  expect([...qa.texts(), ...qb.texts()].sort()).toEqual([...texts].sort());
  expect(qa.msgs.length).toBeGreaterThan(0);
  expect(qb.msgs.length).toBeGreaterThan(0);
});

test("a queue member's overdue message is redelivered to another member, flagged redelivered", async () => {
  const port = await start();
  const a = await client(port, "slow");
  const b = await client(port, "fast");
  const opts = (sc: Stan) => sc.subscriptionOptions().setManualAckMode(true).setAckWait(1000);
  const slow = await Collected.subscribe(a, "rq", opts(a), "g");
  const fast = await Collected.subscribe(b, "rq", opts(b), "g", (m) => m.ack());
  await publishAll(a, "rq", ["1", "2"]);
  await Promise.all([slow.until(1), fast.until(1)]);
  const stuck = slow.msgs[0]!.getSequence();
  await fast.until(2);
  const again = fast.msgs[1]!;
  expect([again.getSequence(), again.isRedelivered()]).toEqual([stuck, true]);
  expect(slow.msgs.length).toBe(1);
});

test("a durable queue group resumes where it was when a member comes back", async () => {
  const port = await start();
  const pub = await client(port, "qpub");
  const m1 = await stanConnect(port, "qm1");
  const opts = () => m1.subscriptionOptions().setDurableName("dq").setDeliverAllAvailable();
  const g = await Collected.subscribe(m1, "dqc", opts(), "grp");
  await publishAll(pub, "dqc", ["1", "2"]);
  await g.until(2);
  await stanClose(m1);
  await publishAll(pub, "dqc", ["3"]);
  const m2 = await client(port, "qm2");
  const back = await Collected.subscribe(m2, "dqc", m2.subscriptionOptions().setDurableName("dq").setDeliverAllAvailable(), "grp");
  await back.until(1);
  expect(back.texts()).toEqual(["3"]);
});

test("manual ack: an unacknowledged message is redelivered after ack wait, flagged redelivered", async () => {
  const sc = await client(await start(), "manual");
  let acked = false;
  const sub = await Collected.subscribe(sc, "redo", sc.subscriptionOptions().setManualAckMode(true).setAckWait(1000), undefined, (m) => {
    if (m.isRedelivered()) {
      m.ack();
      acked = true;
    }
  });
  await stanPublish(sc, "redo", "x");
  await sub.until(2);
  expect(sub.msgs.map((m) => [m.getSequence(), m.isRedelivered()])).toEqual([[1, false], [1, true]]);
  expect(acked).toBe(true);
});

test("max in flight: no more than that many unacknowledged messages are ever outstanding", async () => {
  const sc = await client(await start(), "inflight");
  let outstanding = 0;
  let most = 0;
  const held: (() => void)[] = [];
  const sub = await Collected.subscribe(sc, "mif", sc.subscriptionOptions().setManualAckMode(true).setMaxInFlight(2).setDeliverAllAvailable(), undefined, (m) => {
    most = Math.max(most, ++outstanding);
    held.push(() => {
      outstanding--;
      m.ack();
    });
  });
  await publishAll(sc, "mif", ["1", "2", "3", "4", "5"]);
  await sub.until(2);
  for (let n = 3; n <= 5; n++) {
    held.shift()!();
    await sub.until(n);
  }
  expect(sub.texts()).toEqual(["1", "2", "3", "4", "5"]);
  expect(most).toBe(2);
});

test("a second client with a registered, live client ID is refused", async () => {
  const port = await start();
  await client(port, "dup");
  await expect(stanConnect(port, "dup")).rejects.toThrow("stan: clientID already registered");
});

test("a registered client that does not answer its heartbeat is replaced; its pings are then refused", async () => {
  const port = await start();
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  try {
    const connID = new TextEncoder().encode("GHOSTCONNID");
    const res = await registerSilent(nc, "ghost", connID);
    expect(res.error).toBe("");
    expect(res.pingRequests).toBe("_STAN.discover.test-cluster.pings");
    const alive = await nc.request(res.pingRequests, Ping.encode({ connID }));
    expect(alive.data.length).toBe(0);
    await client(port, "ghost");
    const replaced = PingResponse.decode((await nc.request(res.pingRequests, Ping.encode({ connID }))).data);
    expect(replaced.error).toBe("client has been replaced or is no longer registered");
    const unknown = CloseResponse.decode((await nc.request(res.closeRequests, CloseRequest.encode({ clientID: "nobody" }))).data);
    expect(unknown.error).toBe("stan: unknown clientID");
  } finally {
    await nc.close();
  }
});

test("server heartbeats close a client that stops answering and keep one that answers", async () => {
  srv = await runServer({ streaming: { cluster_id: "test-cluster", store: "memory", encrypt: false, hb_interval: 100, hb_timeout: 500, hb_fail_count: 1 } });
  const live = await client(srv.port, "alive");
  const nc = await connect({ servers: srv.url, reconnect: false });
  try {
    const connID = new TextEncoder().encode("SILENTCONNID");
    const res = await registerSilent(nc, "silent", connID);
    const closed = new Promise<void>((resolve) => {
      const check = () => (srv!.logs.some((l) => l.includes("[Client:silent] Timed out on heartbeats")) ? resolve() : setTimeout(check, 20));
      check();
    });
    await closed;
    const gone = PingResponse.decode((await nc.request(res.pingRequests, Ping.encode({ connID }))).data);
    expect(gone.error).toBe("client has been replaced or is no longer registered");
    const sub = await Collected.subscribe(live, "hb", live.subscriptionOptions());
    await stanPublish(live, "hb", "still registered");
    await sub.until(1);
  } finally {
    await nc.close();
  }
});

test("a queue member whose client misses heartbeats is picked only when no other member can take the message", async () => {
  srv = await runServer({ debug: true, streaming: { cluster_id: "test-cluster", store: "memory", encrypt: false, hb_interval: 50, hb_timeout: 50, hb_fail_count: 1000 } });
  const nc = await connect({ servers: srv.url, reconnect: false });
  try {
    await registerSilent(nc, "lagging", new TextEncoder().encode("LAGGINGCONNID"));
    const lagged: number[] = [];
    nc.subscribe("_INBOX.lagging.msgs", { callback: () => void lagged.push(1) });
    const req = SubscriptionRequest.encode({ clientID: "lagging", subject: "hq", qGroup: "q", inbox: "_INBOX.lagging.msgs", maxInFlight: 100, ackWaitInSecs: 30 });
    expect(SubscriptionResponse.decode((await nc.request("_STAN.sub.test-cluster", req)).data).error).toBe("");
    const live = await client(srv.port, "healthy");
    const member = await Collected.subscribe(live, "hq", live.subscriptionOptions(), "q");
    await new Promise<void>((resolve) => {
      const check = () => (srv!.logs.some((l) => l.includes("[Client:lagging] Missed heartbeat")) ? resolve() : setTimeout(check, 10));
      check();
    });
    await publishAll(live, "hq", ["1", "2", "3", "4"]);
    await member.until(4);
    await nc.flush();
    expect(lagged.length).toBe(0);
  } finally {
    await nc.close();
  }
});

test("the cluster ID and the subjects come from the streaming block of a config file", async () => {
  const port = await start(`streaming { cluster_id: "edge-1", store: "MEMORY" }\n`);
  const sc = await client(port, "conf", "edge-1");
  const sub = await Collected.subscribe(sc, "c", sc.subscriptionOptions());
  await stanPublish(sc, "c", "hi");
  await sub.until(1);
  await expect(stanConnect(port, "wrong", "test-cluster", { connectTimeout: 300 } as never)).rejects.toThrow("stan: connect request timeout");
});

test("store limits: the oldest messages are dropped past max_msgs, per-channel overrides win, too many channels and subscriptions are refused", async () => {
  const port = await start(`streaming {
  store_limits {
    max_channels: 2
    max_subs: 1
    max_msgs: 3
    channels { "big": { max_msgs: 0 } }
  }
}`);
  const sc = await client(port, "limits");
  await publishAll(sc, "small", ["1", "2", "3", "4", "5"]);
  await publishAll(sc, "big", ["1", "2", "3", "4", "5"]);
  const small = await Collected.subscribe(sc, "small", sc.subscriptionOptions().setDeliverAllAvailable());
  const big = await Collected.subscribe(sc, "big", sc.subscriptionOptions().setDeliverAllAvailable());
  await Promise.all([small.until(3), big.until(5)]);
  expect(small.seqs()).toEqual([3, 4, 5]);
  expect(big.texts()).toEqual(["1", "2", "3", "4", "5"]);
  await expect(stanPublish(sc, "third", "x")).rejects.toThrow("too many channels");
  await expect(Collected.subscribe(sc, "small", sc.subscriptionOptions())).rejects.toThrow("too many subscriptions per channel");
});

test("max_inactivity deletes a channel with no subscription and no new message, and spares one with a subscription", async () => {
  const port = await start(`streaming { store_limits { channels { "tmp.*": { max_inactivity: "200ms" } } } }`);
  const sc = await client(port, "inactive");
  await stanPublish(sc, "tmp.idle", "gone soon");
  const watched = await Collected.subscribe(sc, "tmp.watched", sc.subscriptionOptions());
  await stanPublish(sc, "tmp.watched", "kept");
  await watched.until(1);
  const deleted = new Promise<void>((resolve) => {
    const check = () => (srv!.logs.some((l) => l.includes('Channel "tmp.idle" has been inactive')) ? resolve() : setTimeout(check, 20));
    check();
  });
  await deleted;
  const idle = await Collected.subscribe(sc, "tmp.idle", sc.subscriptionOptions().setDeliverAllAvailable());
  const all = await Collected.subscribe(sc, "tmp.watched", sc.subscriptionOptions().setDeliverAllAvailable());
  await stanPublish(sc, "tmp.idle", "new");
  await Promise.all([idle.until(1), all.until(1)]);
  expect(idle.texts()).toEqual(["new"]);
  expect(all.texts()).toEqual(["kept"]);
  expect(srv!.logs.some((l) => l.includes('Channel "tmp.watched" has been inactive'))).toBe(false);
});

test("a channel whose name differs from another's only in case is refused", async () => {
  const sc = await client(await start(), "cases");
  await stanPublish(sc, "Orders", "1");
  await expect(stanPublish(sc, "orders", "2")).rejects.toThrow('rejecting channel "orders" because channel "Orders" alreay exists (different cases not allowed)');
});

test("garbage protobufs get the reference's errors and the server goes on serving", async () => {
  const port = await start();
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01]);
  try {
    const conn = ConnectResponse.decode((await nc.request("_STAN.discover.test-cluster", garbage)).data);
    expect(conn.error).toBe("stan: invalid connection request");
    const badID = ConnectRequest.encode({ clientID: "has space", heartbeatInbox: "_INBOX.x" });
    expect(ConnectResponse.decode((await nc.request("_STAN.discover.test-cluster", badID)).data).error).toBe(
      "stan: invalid clientID: only alphanumeric and `-` or `_` characters allowed",
    );
    const sub = SubscriptionResponse.decode((await nc.request("_STAN.sub.test-cluster", garbage)).data);
    expect(sub.error).toBe("stan: invalid subscription request");
    const unsub = SubscriptionResponse.decode((await nc.request("_STAN.unsub.test-cluster", garbage)).data);
    expect(unsub.error).toBe("stan: invalid unsubscribe request");
    const pub = PubAck.decode((await nc.request("_STAN.pub.test-cluster.foo", garbage)).data);
    expect(pub.error).toBe("stan: invalid publish request");
    const noGuid = PubAck.decode((await nc.request("_STAN.pub.test-cluster.foo", PubMsg.encode({ clientID: "x", subject: "foo" }))).data);
    expect(noGuid.error).toBe("stan: invalid publish request");
    const subClose = SubscriptionResponse.decode((await nc.request("_STAN.subclose.test-cluster", garbage)).data);
    expect(subClose.error).toBe("stan: invalid unsubscribe request");
    const close = CloseResponse.decode((await nc.request("_STAN.close.test-cluster", garbage)).data);
    expect(close.error).toBe("stan: invalid close request");
    // Acks and pings have no error answer: garbage there is dropped.
    nc.publish("_STAN.ack.test-cluster.X.1", garbage);
    nc.publish("_STAN.discover.test-cluster.pings", garbage);
    await nc.flush();
  } finally {
    await nc.close();
  }
  const sc = await client(port, "after-garbage");
  const sub = await Collected.subscribe(sc, "foo", sc.subscriptionOptions().setDeliverAllAvailable());
  await stanPublish(sc, "foo", "still here");
  await sub.until(1);
  expect(sub.texts()).toEqual(["still here"]);
});

test("a PubMsg's reply is kept with the message and handed to subscribers in MsgProto.reply, as nats-streaming-server does", async () => {
  const port = await start();
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  try {
    const connID = new TextEncoder().encode("REPLYCONNID");
    const conn = await registerSilent(nc, "replier", connID);
    const publish = async (guid: string, reply: string) => {
      const pm = PubMsg.encode({ clientID: "replier", guid, subject: "asks", reply, data: new TextEncoder().encode(guid), connID });
      expect(PubAck.decode((await nc.request(`${conn.pubPrefix}.asks`, pm)).data)).toMatchObject({ guid, error: "" });
    };
    await publish("with-reply", "answers.here");
    await publish("without", "");
    const inbox = "_INBOX.replier.deliver";
    const got: ReturnType<typeof MsgProto.decode>[] = [];
    const two = new Promise<void>((resolve) => {
      nc.subscribe(inbox, {
        callback: (_e, m) => {
          got.push(MsgProto.decode(m.data));
          if (got.length === 2) resolve();
        },
      });
    });
    await nc.flush();
    const req = SubscriptionRequest.encode({ clientID: "replier", subject: "asks", inbox, maxInFlight: 10, ackWaitInSecs: 30, startPosition: 4 });
    expect(SubscriptionResponse.decode((await nc.request(conn.subRequests, req)).data).error).toBe("");
    await two;
    expect(got.map((m) => [m.sequence, m.reply])).toEqual([[1n, "answers.here"], [2n, ""]]);
  } finally {
    await nc.close();
  }
});
