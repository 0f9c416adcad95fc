// MQTT 3.1.1 (issue 19, first slice) with real clients: MQTT.js, Debian's mosquitto_pub/mosquitto_sub and
// nats.js on the NATS side, plus raw bytes for what a real client never sends. Run with
// NATSEDGE_REFERENCE_SERVER to check the same assertions against nats-server 2.9.10. QoS 2 is a later slice.
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { connect as mqttConnect, connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { connectPacket, mosquittoRoundTrip, nextMessages, Raw as RawClient, run, str } from "../../_helpers/mqtt_raw.ts";
import { removeStore, startMqttServer, type MqttServer } from "../../_helpers/mqtt_server.ts";
import { useCleanup } from "../../_helpers/scope.ts";
import { sleep } from "../../_helpers/spawn.ts";

const own = useCleanup();

async function server(extra = "", dir?: string): Promise<MqttServer> {
  return own(await startMqttServer(extra, dir));
}

async function mqtt(srv: MqttServer, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${srv.mqttPort}`, { reconnectPeriod: 0, protocolVersion: 4, ...opts });
  own({ close: () => c.endAsync(true) });
  return c;
}

/** A raw TCP client closed after the test. */
class Raw extends RawClient {
  constructor(port: number) {
    super(port, own);
  }
}

async function nats(srv: MqttServer): Promise<NatsConnection> {
  return own(await connect({ servers: `127.0.0.1:${srv.port}` }));
}

describe("MQTT and NATS clients see each other's messages", () => {
  test("an MQTT publish reaches a NATS subscriber on the mapped subject, marked with Nmqtt-Pub", async () => {
    const srv = await server();
    const nc = await nats(srv);
    const sub = nc.subscribe("sensors.t1", { max: 1 });
    await nc.flush();
    const c = await mqtt(srv);
    await c.publishAsync("sensors/t1", "21.5", { qos: 1 });
    for await (const m of sub) {
      expect(m.string()).toBe("21.5");
      expect(m.headers?.get("Nmqtt-Pub")).toBe("1");
    }
  });

  test("a NATS publish reaches MQTT subscribers with the topic mapped back, as QoS 0", async () => {
    const srv = await server();
    const c = await mqtt(srv);
    await c.subscribeAsync("sensors/#", { qos: 1 });
    const got = nextMessages(c, 2);
    const nc = await nats(srv);
    nc.publish("sensors.fromnats", "hello");
    // `#` also matches its parent level.
    nc.publish("sensors", "parent");
    await nc.flush();
    expect(await got).toEqual([
      { topic: "sensors/fromnats", payload: "hello", qos: 0, retain: false },
      { topic: "sensors", payload: "parent", qos: 0, retain: false },
    ]);
  });

  test("+ matches one level and # the rest, between MQTT clients", async () => {
    const srv = await server();
    const sub = await mqtt(srv);
    const granted = await sub.subscribeAsync({ "a/+/c": { qos: 0 }, "x/#": { qos: 1 } });
    expect(granted.map((g) => g.qos)).toEqual([0, 1]);
    const got = nextMessages(sub, 2);
    const pub = await mqtt(srv);
    await pub.publishAsync("a/b/d", "no");
    await pub.publishAsync("a/b/c", "one");
    await pub.publishAsync("x/y/z", "two", { qos: 1 });
    expect(await got).toEqual([
      { topic: "a/b/c", payload: "one", qos: 0, retain: false },
      { topic: "x/y/z", payload: "two", qos: 1, retain: false },
    ]);
  });

  test("mosquitto_sub receives what mosquitto_pub publishes at QoS 1", async () => {
    const srv = await server();
    expect(await mosquittoRoundTrip(srv.mqttPort, 1, "m/+", "m/1", "from-mosquitto", own)).toBe("m/1 from-mosquitto");
  });

  test("mosquitto_sub receives a NATS publish, and a NATS subscriber what mosquitto_pub sends", async () => {
    const srv = await server();
    const args = ["-V", "mqttv311", "-h", "127.0.0.1", "-p", String(srv.mqttPort)];
    const nc = await nats(srv);
    const fromMqtt = nc.subscribe("to.nats", { max: 1 });
    await nc.flush();
    expect(await run("mosquitto_pub", [...args, "-t", "to/nats", "-m", "via-mqtt"])).toBe(0);
    for await (const m of fromMqtt) expect(m.string()).toBe("via-mqtt");
    const sub = spawn("mosquitto_sub", [...args, "-t", "to/mqtt", "-C", "1"]);
    let out = "";
    sub.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => sub.on("exit", r));
    own({ close: () => sub.kill() });
    for (let i = 0; i < 100 && out === ""; i++) {
      nc.publish("to.mqtt", "via-nats");
      await nc.flush();
      await sleep(20);
    }
    expect(await exited).toBe(0);
    expect(out.trim()).toBe("via-nats");
  });
});

describe("retained messages", () => {
  test("a late subscriber gets the retained message with RETAIN set; an empty retained publish removes it", async () => {
    const srv = await server();
    const pub = await mqtt(srv);
    await pub.publishAsync("status/door", "open", { qos: 1, retain: true });
    const late = await mqtt(srv);
    const got = nextMessages(late, 1);
    await late.subscribeAsync("status/+", { qos: 1 });
    expect(await got).toEqual([{ topic: "status/door", payload: "open", qos: 1, retain: true }]);
    await pub.publishAsync("status/door", "", { qos: 1, retain: true });
    const later = await mqtt(srv);
    const none = nextMessages(later, 1);
    await later.subscribeAsync("status/+", { qos: 1 });
    // A marker published after the subscription arrives first only if nothing retained was sent.
    await pub.publishAsync("status/marker", "m");
    expect((await none)[0]!.topic).toBe("status/marker");
  });

  test("retained messages survive a restart", async () => {
    const first = await startMqttServer();
    const dir = first.dir;
    own({ close: () => removeStore(dir) });
    const pub = await connectAsync(`mqtt://127.0.0.1:${first.mqttPort}`, { reconnectPeriod: 0 });
    await pub.publishAsync("plant/temp", "19", { qos: 1, retain: true });
    await pub.endAsync();
    await first.close();
    const srv = await server("", dir);
    const c = await mqtt(srv);
    const got = nextMessages(c, 1);
    await c.subscribeAsync("plant/#", { qos: 0 });
    expect(await got).toEqual([{ topic: "plant/temp", payload: "19", qos: 0, retain: true }]);
  });
});

describe("sessions, wills and keep-alive", () => {
  test("a persistent session gets the QoS 1 messages published while it was offline", async () => {
    const srv = await server();
    const opts = { clientId: "subber", clean: false };
    const first = await mqtt(srv, opts);
    await first.subscribeAsync("jobs/#", { qos: 1 });
    await first.endAsync();
    const pub = await mqtt(srv);
    await pub.publishAsync("jobs/1", "q1", { qos: 1 });
    await pub.publishAsync("jobs/2", "q0", { qos: 0 });
    // The message comes right behind CONNACK: listen before connecting.
    const again = mqttConnect(`mqtt://127.0.0.1:${srv.mqttPort}`, { ...opts, reconnectPeriod: 0 });
    own({ close: () => again.endAsync(true) });
    const present = new Promise<boolean>((r) => again.once("connect", (ack) => r(ack.sessionPresent)));
    const got = await nextMessages(again, 1);
    expect(got).toEqual([{ topic: "jobs/1", payload: "q1", qos: 1, retain: false }]);
    expect(await present).toBe(true);
  });

  test("the Will is published when a client goes away without DISCONNECT, not when it disconnects", async () => {
    const srv = await server();
    const watcher = await mqtt(srv);
    await watcher.subscribeAsync("status/#", { qos: 1 });
    const got = nextMessages(watcher, 1);
    const polite = await mqtt(srv, { will: { topic: "status/polite", payload: "gone", qos: 1, retain: false } });
    await polite.endAsync();
    const rude = await mqtt(srv, { will: { topic: "status/rude", payload: "gone", qos: 1, retain: false } });
    rude.stream.destroy();
    expect(await got).toEqual([{ topic: "status/rude", payload: "gone", qos: 1, retain: false }]);
  });

  test("a client silent for 1.5 × its keep-alive is disconnected", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    const t0 = Date.now();
    // 2 s, not 1: nats-server 2.9.10 truncates 1.5 × 1 s to 1 s (time.Duration of a float), natsedge does not.
    raw.write(connectPacket("sleepy", 2));
    expect(await raw.bytes(4)).toEqual([0x20, 2, 0, 0]);
    await raw.closed;
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(2900);
    expect(waited).toBeLessThan(6000);
  });

  test("PINGREQ is answered with PINGRESP", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    raw.write([...connectPacket("pinger", 0), 0xc0, 0]);
    expect(await raw.bytes(6)).toEqual([0x20, 2, 0, 0, 0xd0, 0]);
  });
});

describe("bad input closes only that connection", () => {
  test("a first packet other than CONNECT", async () => {
    const srv = await server();
    const bystander = await mqtt(srv);
    const raw = new Raw(srv.mqttPort);
    raw.write([0x30, 5, 0, 1, 0x61, 0x68, 0x69]);
    await raw.closed;
    expect(raw.data.length).toBe(0);
    await bystander.publishAsync("still/here", "yes", { qos: 1 });
  });

  test("protocol level 3 gets CONNACK 1 (unacceptable protocol version)", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    raw.write(connectPacket("old", 0, 3));
    expect(await raw.bytes(4)).toEqual([0x20, 2, 0, 1]);
    await raw.closed;
  });

  test("a PUBLISH with a wildcard in its topic", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    raw.write([...connectPacket("wild", 0), 0x30, 5, 0, 3, 0x61, 0x2f, 0x23]);
    expect(await raw.bytes(4)).toEqual([0x20, 2, 0, 0]);
    await raw.closed;
  });

  test("a Will topic with a character 2.9.10 cannot map", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    const body = [...str("MQTT"), 4, 0x02 | 0x04, 0, 0, ...str("willer"), ...str("a.b"), 0, 1, 0x78];
    raw.write([0x10, body.length, ...body]);
    await raw.closed;
    expect(raw.data.length).toBe(0);
  });

  test("a WebSocket upgrade request on the MQTT port is told to use the WebSocket port", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    raw.write([...new TextEncoder().encode("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\r\n")]);
    await raw.closed;
    expect(raw.data.length).toBe(0);
    expect(srv.logs.some((l) => l.includes("MQTT clients over websocket must connect to the Websocket port, not the MQTT port"))).toBe(true);
  });

  test("a remaining length over four bytes", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort);
    raw.write([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]);
    await raw.closed;
    expect(raw.data.length).toBe(0);
  });
});
