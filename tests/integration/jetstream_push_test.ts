/** Push consumers (deliver subject, queue groups, flow control, heartbeats, ordered) and DIRECT.GET, on the wire. */
import { expect, test } from "bun:test";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { createInbox, headers, type Msg } from "@nats-io/transport-node";
import { jetStreamFixture, nanos } from "../_helpers/jetstream.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const fx = jetStreamFixture("push");

async function apiError(subject: string, body: unknown): Promise<{ code: number; err_code: number; description: string }> {
  const r = await fx.nc.request(subject, JSON.stringify(body), { timeout: 2000 });
  return r.json<{ error: { code: number; err_code: number; description: string } }>().error;
}

test("DIRECT.GET answers with the stored message and nats-server's headers, or a status", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "DG", subjects: ["dg.>"], allow_direct: true, storage: "memory" as never });
  await jsm.streams.add({ name: "NODG", subjects: ["nodg"], storage: "memory" as never });
  const js = jetstream(fx.nc);
  const h = headers();
  h.set("X-A", "1");
  await js.publish("dg.a", "one", { headers: h });
  await js.publish("dg.b", "two");

  const r = await fx.nc.request("$JS.API.DIRECT.GET.DG.dg.a", "", { timeout: 2000 });
  expect(r.string()).toBe("one");
  expect(r.headers?.get("X-A")).toBe("1");
  expect(r.headers?.get("Nats-Stream")).toBe("DG");
  expect(r.headers?.get("Nats-Subject")).toBe("dg.a");
  expect(r.headers?.get("Nats-Sequence")).toBe("1");
  expect(r.headers?.get("Nats-Time-Stamp")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

  const bySeq = await jsm.direct.getMessage("DG", { seq: 2 });
  expect(bySeq?.subject).toBe("dg.b");
  expect(bySeq?.string()).toBe("two");
  const last = await jsm.direct.getMessage("DG", { last_by_subj: "dg.a" });
  expect(last?.seq).toBe(1);
  const next = await jsm.direct.getMessage("DG", { seq: 1, next_by_subj: "dg.b" });
  expect(next?.seq).toBe(2);
  expect(await jsm.direct.getMessage("DG", { seq: 99 })).toBeNull();

  const missing = await fx.nc.request("$JS.API.DIRECT.GET.DG", JSON.stringify({ seq: 99 }), { timeout: 2000 });
  expect(missing.headers?.code).toBe(404);
  expect(missing.headers?.description).toBe("Message Not Found");
  const empty = await fx.nc.request("$JS.API.DIRECT.GET.DG", "", { timeout: 2000 });
  expect(empty.headers?.code).toBe(408);
  expect(empty.headers?.description).toBe("Empty Request");
  // Without allow_direct (or without the stream) nothing serves DIRECT.GET.
  await expect(fx.nc.request("$JS.API.DIRECT.GET.NODG", JSON.stringify({ seq: 1 }), { timeout: 2000 })).rejects.toThrow();
  await jsm.streams.delete("DG");
  await jsm.streams.delete("NODG");
});

test("a durable push consumer delivers to its deliver subject and takes explicit acks", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "PUSH", subjects: ["push.>"] });
  const js = jetstream(fx.nc);
  for (let i = 1; i <= 3; i++) await js.publish(`push.${i}`, `m${i}`);
  const deliver = createInbox();
  const ci = await jsm.consumers.add("PUSH", { durable_name: "p", deliver_subject: deliver, ack_policy: AckPolicy.Explicit });
  expect(ci.config.deliver_subject).toBe(deliver);
  expect(ci.config.max_waiting).toBeUndefined();
  expect(ci.config.max_ack_pending).toBe(1000);

  const c = await js.consumers.getPushConsumer("PUSH", "p");
  const got: JsMsg[] = [];
  const done = new Promise<void>((resolve) => {
    c.consume({
      callback: (m) => {
        got.push(m);
        m.ack();
        if (got.length === 4) resolve();
      },
    });
  });
  await js.publish("push.4", "m4"); // arrives live
  await done;
  expect(got.map((m) => m.string())).toEqual(["m1", "m2", "m3", "m4"]);
  expect(got[0]!.subject).toBe("push.1");
  expect(got[3]!.info.streamSequence).toBe(4);
  await fx.nc.flush();
  const info = await jsm.consumers.info("PUSH", "p");
  expect(info.num_ack_pending).toBe(0);
  expect(info.delivered.stream_seq).toBe(4);

  // Pull requests are refused on a push consumer.
  const r = await fx.nc.request("$JS.API.CONSUMER.MSG.NEXT.PUSH.p", "", { timeout: 2000 });
  expect(r.headers?.code).toBe(409);
  await jsm.streams.delete("PUSH");
});

test("a deliver group shares the messages between the group's subscribers", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "GRP", subjects: ["grp"], storage: "memory" as never });
  const js = jetstream(fx.nc);
  for (let i = 0; i < 20; i++) await js.publish("grp", String(i));
  const deliver = createInbox();
  const all: string[] = [];
  const perMember = [0, 0];
  const done = new Promise<void>((resolve) => {
    for (const i of [0, 1]) {
      fx.nc.subscribe(deliver, {
        queue: "workers",
        callback: (_err, m) => {
          perMember[i]!++;
          all.push(m.string());
          if (all.length === 20) resolve();
        },
      });
    }
  });
  await fx.nc.flush();
  await jsm.consumers.add("GRP", { durable_name: "g", deliver_subject: deliver, deliver_group: "workers", ack_policy: AckPolicy.None });
  await done;
  expect(perMember[0]! + perMember[1]!).toBe(20);
  expect(all.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  await jsm.streams.delete("GRP");
});

// nats-server 2.9.10's windows: the first is 2 MiB (1/16 of 32 MiB), a request goes out once half of it is
// pending and delivery stops past all of it; each answer doubles the window. A delivery counts its deliver
// subject, reply, headers and payload, so 64 KiB payloads make the request follow the 16th message and the
// stall the 32nd.
test("flow control stalls delivery until the client answers; heartbeats report the last sequences", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "FC", subjects: ["fc"], storage: "memory" as never });
  const js = jetstream(fx.nc);
  const payload = new Uint8Array(64 * 1024);
  for (let i = 0; i < 48; i++) await js.publish("fc", payload);
  const deliver = createInbox();
  const data: Msg[] = [];
  const fcRequests: [Msg, number][] = [];
  const heartbeats: Msg[] = [];
  let onChange = () => {};
  const sub = fx.nc.subscribe(deliver, {
    callback: (_err, m) => {
      if (m.headers?.code === 100 && m.headers.description === "FlowControl Request") fcRequests.push([m, data.length]);
      else if (m.headers?.code === 100) heartbeats.push(m);
      else data.push(m);
      onChange();
    },
  });
  const until = (cond: () => boolean) =>
    new Promise<void>((resolve) => {
      onChange = () => {
        if (cond()) resolve();
      };
      onChange();
    });
  await fx.nc.flush();
  await jsm.consumers.add("FC", { durable_name: "fc", deliver_subject: deliver, ack_policy: AckPolicy.None, flow_control: true, idle_heartbeat: nanos(200) });

  // Unanswered: delivery stops past the first window and heartbeats name the outstanding request.
  await until(() => fcRequests.length === 1 && heartbeats.length >= 1);
  expect(data.length).toBe(32);
  const [fc, after] = fcRequests[0]!;
  expect(after).toBe(16);
  expect(fc.reply).toStartWith("$JS.FC.FC.fc.");
  const hb = heartbeats[heartbeats.length - 1]!;
  expect(hb.headers?.get("Nats-Last-Consumer")).toBe("32");
  expect(hb.headers?.get("Nats-Last-Stream")).toBe("32");
  expect(hb.headers?.get("Nats-Consumer-Stalled")).toBe(fc.reply!);

  // Answering releases the rest, in a window twice as large: the next request follows the last message.
  fc.respond();
  await until(() => data.length === 48 && fcRequests.length === 2);
  expect(fcRequests[1]![1]).toBe(48);
  // In order, each with its stream sequence in the ack reply subject ($JS.ACK.<s>.<c>.<dc>.<sseq>...).
  expect(data.map((m) => Number(m.reply?.split(".")[5]))).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
  sub.unsubscribe();
  await jsm.streams.delete("FC");
});

// Delivery goes out in bounded turns: a backlog of many turns only arrives whole if every turn schedules
// the next, and every flow control reply and ack restarts a consumer held by the window or max_ack_pending.
// Without acks only the turns themselves and the flow control replies keep it going.
test("a backlog many delivery turns long arrives whole and in order through flow control and max_ack_pending", async () => {
  const N = 20_000;
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "TURNS", subjects: ["turns"], storage: "memory" as never });
  const js = jetstream(fx.nc);
  const payload = new Uint8Array(256).fill(120);
  for (let i = 0; i < N; i += 1000) await Promise.all(Array.from({ length: 1000 }, () => js.publish("turns", payload)));
  const configs = [
    { durable_name: "explicit", ack_policy: AckPolicy.Explicit, max_ack_pending: 100 },
    { durable_name: "none", ack_policy: AckPolicy.None },
  ];
  for (const cfg of configs) {
    await jsm.consumers.add("TURNS", { ...cfg, deliver_subject: createInbox(), flow_control: true, idle_heartbeat: nanos(5000) });
    const c = await js.consumers.getPushConsumer("TURNS", cfg.durable_name);
    const seqs: number[] = [];
    let messages: Awaited<ReturnType<typeof c.consume>> | undefined;
    await new Promise<void>((resolve) => {
      c.consume({
        callback: (m) => {
          seqs.push(m.seq);
          if (cfg.ack_policy === AckPolicy.Explicit) m.ack();
          if (seqs.length === N) resolve();
        },
      }).then((ms) => (messages = ms));
    });
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    await messages?.close();
  }
  await jsm.streams.delete("TURNS");
});

// nats-server resets its heartbeat timer on every delivery, so clients that count a heartbeat missed after
// twice the interval (nats.go's ordered consumer) never see one go missing after a delivery.
test("an idle heartbeat follows the last delivery by the interval, not up to twice it", async () => {
  const HB_MS = 300;
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "HBT", subjects: ["hbt"], storage: "memory" as never });
  const deliver = createInbox();
  const events: [kind: "hb" | "msg", at: number][] = [];
  let onChange = () => {};
  const sub = fx.nc.subscribe(deliver, {
    callback: (_err, m) => {
      events.push([m.headers?.code === 100 ? "hb" : "msg", Date.now()]);
      onChange();
    },
  });
  const until = (cond: () => boolean) =>
    new Promise<void>((resolve) => {
      onChange = () => cond() && resolve();
      onChange();
    });
  await fx.nc.flush();
  await jsm.consumers.add("HBT", { durable_name: "h", deliver_subject: deliver, ack_policy: AckPolicy.None, idle_heartbeat: nanos(HB_MS) });
  await until(() => events.length === 1);
  // Published right after a heartbeat: a timer ticking every interval would skip its next tick as too soon.
  await jetstream(fx.nc).publish("hbt", "x");
  await until(() => events.length === 3);
  expect(events.map(([k]) => k)).toEqual(["hb", "msg", "hb"]);
  const gap = events[2]![1] - events[1]![1];
  expect(gap).toBeGreaterThanOrEqual(HB_MS - 25);
  expect(gap).toBeLessThan(HB_MS * 1.5);
  sub.unsubscribe();
  await jsm.streams.delete("HBT");
});

test("ordered push consumers: nats.js's config is accepted and messages arrive in order from a start sequence", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "ORD", subjects: ["ord.*"] });
  const js = jetstream(fx.nc);
  for (let i = 1; i <= 5; i++) await js.publish(`ord.${i % 2}`, `m${i}`);
  const oc = await js.consumers.getPushConsumer("ORD", { opt_start_seq: 2 });
  const info = await oc.info(true);
  expect(info.config.ack_policy).toBe(AckPolicy.None);
  expect(info.config.max_deliver).toBe(1);
  expect(info.config.flow_control).toBe(true);
  expect(info.config.deliver_policy).toBe(DeliverPolicy.StartSequence);
  expect(info.num_pending).toBe(4);
  const got: string[] = [];
  await new Promise<void>((resolve) => {
    oc.consume({
      callback: (m) => {
        got.push(m.string());
        if (m.info.pending === 0) resolve();
      },
    });
  });
  expect(got).toEqual(["m2", "m3", "m4", "m5"]);
  await oc.delete();
  await jsm.streams.delete("ORD");
});

test("deliver_policy by_start_time", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "TIME", subjects: ["time.*"] });
  const js = jetstream(fx.nc);
  await js.publish("time.a", "old");
  const cut = new Date(Date.now() + 5);
  await new Promise((r) => setTimeout(r, 10));
  await js.publish("time.b", "new1");
  await js.publish("time.c", "new2");
  await js.publish("time.a", "new3");
  const ci = await jsm.consumers.add("TIME", { name: "t", deliver_policy: DeliverPolicy.StartTime, opt_start_time: cut.toISOString(), ack_policy: AckPolicy.None });
  expect(ci.num_pending).toBe(3);
  const t = await js.consumers.get("TIME", "t");
  const after: string[] = [];
  for await (const m of await t.fetch({ max_messages: 3, expires: 1000 })) after.push(m.string());
  expect(after).toEqual(["new1", "new2", "new3"]);
  await jsm.streams.delete("TIME");
});

// filter_subjects came with nats-server 2.10; 2.9.10 ignores the field.
test.skipIf(REFERENCE_SERVER !== "")("filter_subjects: several filters, and overlapping ones refused", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "TIME", subjects: ["time.*"] });
  const js = jetstream(fx.nc);
  for (const [subject, data] of [["time.a", "old"], ["time.b", "new1"], ["time.c", "new2"], ["time.a", "new3"]]) await js.publish(subject!, data!);
  // nats.js asks for server 2.10 before it sends filter_subjects, so this one goes in by hand.
  const r = await fx.nc.request("$JS.API.CONSUMER.CREATE.TIME.m", JSON.stringify({ stream_name: "TIME", config: { name: "m", filter_subjects: ["time.a", "time.c"], ack_policy: "none" } }), { timeout: 2000 });
  expect(r.json<{ num_pending: number }>().num_pending).toBe(3);
  const c = await js.consumers.get("TIME", "m");
  const got: string[] = [];
  for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) got.push(m.string());
  expect(got).toEqual(["old", "new2", "new3"]);
  const overlap = await apiError("$JS.API.CONSUMER.CREATE.TIME.o", { stream_name: "TIME", config: { name: "o", filter_subjects: ["time.*", "time.a"] } });
  expect(overlap.err_code).toBe(10138);
  await jsm.streams.delete("TIME");
});

test("push consumer configurations nats-server refuses", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "BADP", subjects: ["badp"], storage: "memory" as never });
  const create = (config: Record<string, unknown>) => apiError("$JS.API.CONSUMER.CREATE.BADP", { stream_name: "BADP", config });
  expect((await create({ deliver_subject: "d.1", max_waiting: 5 })).err_code).toBe(10080);
  expect((await create({ deliver_subject: "d.1", idle_heartbeat: 1000 })).err_code).toBe(10083);
  expect((await create({ flow_control: true, idle_heartbeat: nanos(1000) })).err_code).toBe(10088);
  expect((await create({ idle_heartbeat: 1000 })).err_code).toBe(10088);
  expect((await create({ flow_control: true })).err_code).toBe(10089);
  expect((await create({ deliver_subject: "d.1", flow_control: true })).err_code).toBe(10108);
  const noTime = await create({ deliver_subject: "d.1", deliver_policy: "by_start_time" });
  expect(noTime.err_code).toBe(10094);
  expect(noTime.description).toBe("consumer delivery policy is deliver by start time, but optional start time is not set");
  await jsm.streams.delete("BADP");
});
