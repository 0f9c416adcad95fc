// QoS 2 (issue 19): PUBREC/PUBREL/PUBCOMP in both directions, exactly once, as nats-server 2.10 and Mosquitto
// serve it, with MQTT.js, mosquitto_pub/mosquitto_sub, paho and raw bytes. In reference mode
// (NATSEDGE_REFERENCE_SERVER) the same tests assert what nats-server 2.9.10 does instead: a QoS 2 PUBLISH
// closes the connection and a QoS 2 subscription is granted QoS 1.
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { ackPacket, CONNACK_OK, connectPacket, mosquittoRoundTrip, nextMessages, publishPacket, Raw, subscribePacket } from "../../_helpers/mqtt_raw.ts";
import { startMqttServer, type MqttServer } from "../../_helpers/mqtt_server.ts";
import { useCleanup } from "../../_helpers/scope.ts";
import { natsedgeOnly, REFERENCE } from "../../_helpers/security.ts";

const own = useCleanup();

async function server(extra = ""): Promise<MqttServer> {
  return own(await startMqttServer(extra));
}

async function mqtt(srv: MqttServer, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${srv.mqttPort}`, { reconnectPeriod: 0, protocolVersion: 4, ...opts });
  own({ close: () => c.endAsync(true) });
  return c;
}

/** A raw client, connected (CONNACK read) and subscribed to `filter` at `qos` (SUBACK read): the granted QoS. */
async function rawSubscriber(srv: MqttServer, id: string, filter: string, qos: number): Promise<{ raw: Raw; granted: number }> {
  const raw = new Raw(srv.mqttPort, own);
  raw.write([...connectPacket(id, 0), ...subscribePacket(1, filter, qos)]);
  expect(await raw.next()).toEqual({ type: 2, flags: 0, body: [0, 0] });
  const suback = await raw.next();
  expect(suback.type).toBe(9);
  return { raw, granted: suback.body[2]! };
}

describe("QoS 2 from the client", () => {
  test("MQTT.js publishes and subscribes at QoS 2 and gets the message once, at QoS 2", async () => {
    const srv = await server();
    const sub = await mqtt(srv);
    const granted = await sub.subscribeAsync("meters/#", { qos: 2 });
    expect(granted.map((g) => g.qos)).toEqual([REFERENCE ? 1 : 2]);
    const pub = await mqtt(srv);
    if (REFERENCE) {
      // 2.9.10: "publish QoS=2 not supported", the connection closes.
      const closed = new Promise<void>((r) => pub.once("close", () => r()));
      pub.publish("meters/1", "kWh", { qos: 2 });
      await closed;
      return;
    }
    const got = nextMessages(sub, 1);
    await pub.publishAsync("meters/1", "kWh", { qos: 2 });
    expect(await got).toEqual([{ topic: "meters/1", payload: "kWh", qos: 2, retain: false }]);
  });

  test("a repeated QoS 2 PUBLISH is kept once and delivered only at PUBREL", async () => {
    const srv = await server();
    const { raw: sub } = await rawSubscriber(srv, "sub", "once/+", 1);
    const pub = new Raw(srv.mqttPort, own);
    pub.write([...connectPacket("pub", 0), ...publishPacket("once/x", "one", 2, 7)]);
    expect(await pub.next()).toEqual({ type: 2, flags: 0, body: [0, 0] });
    if (REFERENCE) {
      await pub.closed;
      return;
    }
    expect(await pub.next()).toEqual({ type: 5, flags: 0, body: [0, 7] });
    // The client did not see the PUBREC (as far as it knows): it sends the PUBLISH again, with DUP.
    pub.write(publishPacket("once/x", "one", 2, 7, true));
    expect(await pub.next()).toEqual({ type: 5, flags: 0, body: [0, 7] });
    expect(await sub.quietFor(200)).toBe(true);
    pub.write(ackPacket(6, 7));
    expect(await pub.next()).toEqual({ type: 7, flags: 0, body: [0, 7] });
    const m = await sub.nextPublish();
    expect(m).toMatchObject({ topic: "once/x", payload: "one", qos: 1, dup: false });
    sub.write(ackPacket(4, m.pid));
    // A PUBREL repeated after PUBCOMP is completed again, and publishes nothing.
    pub.write(ackPacket(6, 7));
    expect(await pub.next()).toEqual({ type: 7, flags: 0, body: [0, 7] });
    expect(await sub.quietFor(200)).toBe(true);
  });

  test("a PUBREL with the wrong fixed-header flags closes the connection", async () => {
    const srv = await server();
    const raw = new Raw(srv.mqttPort, own);
    raw.write([...connectPacket("badrel", 0), 0x60, 2, 0, 1]);
    expect(await raw.bytes(4)).toEqual(CONNACK_OK);
    await raw.closed;
  });

  natsedgeOnly("reject_qos2_publish closes on a QoS 2 PUBLISH and downgrade_qos2_subscribe grants 1 (2.10's switches)", async () => {
    const srv = await server(", reject_qos2_publish: true, downgrade_qos2_subscribe: true");
    const { granted } = await rawSubscriber(srv, "down", "d/#", 2);
    expect(granted).toBe(1);
    const raw = new Raw(srv.mqttPort, own);
    raw.write([...connectPacket("rejected", 0), ...publishPacket("d/1", "x", 2, 1)]);
    expect(await raw.bytes(4)).toEqual(CONNACK_OK);
    await raw.closed;
    expect(srv.logs.some((l) => l.includes("publish QoS=2 not supported"))).toBe(true);
  });
});

describe("QoS 2 to the client", () => {
  natsedgeOnly("PUBLISH, PUBREC, PUBREL, PUBCOMP; the slot is free only after PUBCOMP", async () => {
    const srv = await server(", max_ack_pending: 1");
    const { raw: sub, granted } = await rawSubscriber(srv, "q2sub", "q2/#", 2);
    expect(granted).toBe(2);
    const pub = await mqtt(srv);
    await pub.publishAsync("q2/a", "first", { qos: 2 });
    await pub.publishAsync("q2/b", "second", { qos: 2 });
    const first = await sub.nextPublish();
    expect(first).toMatchObject({ topic: "q2/a", payload: "first", qos: 2, dup: false });
    sub.write(ackPacket(5, first.pid));
    expect(await sub.next()).toEqual({ type: 6, flags: 2, body: [first.pid >> 8, first.pid & 0xff] });
    // max_ack_pending 1: the second waits while the first is between PUBREL and PUBCOMP.
    expect(await sub.quietFor(200)).toBe(true);
    sub.write(ackPacket(7, first.pid));
    expect(await sub.nextPublish()).toMatchObject({ topic: "q2/b", payload: "second", qos: 2 });
  });

  natsedgeOnly("mosquitto_sub -q 2 receives what mosquitto_pub -q 2 sends", async () => {
    const srv = await server();
    expect(await mosquittoRoundTrip(srv.mqttPort, 2, "m2/+", "m2/1", "exactly-once", own)).toBe("m2/1 exactly-once");
  });

  natsedgeOnly("paho (Python) publishes and receives at QoS 2", async () => {
    const srv = await server();
    const script = `
import threading, paho.mqtt.client as mqtt
subscribed, got = threading.Event(), threading.Event()
msgs = []
def on_message(c, u, m):
    msgs.append((m.topic, m.payload.decode(), m.qos))
    got.set()
sub = mqtt.Client(client_id="paho-sub", clean_session=True)
sub.on_message = on_message
sub.on_subscribe = lambda c, u, mid, granted: subscribed.set()
sub.connect("127.0.0.1", ${srv.mqttPort})
sub.loop_start()
sub.subscribe("paho/q2", 2)
subscribed.wait(10)
pub = mqtt.Client(client_id="paho-pub", clean_session=True)
pub.connect("127.0.0.1", ${srv.mqttPort})
pub.loop_start()
pub.publish("paho/q2", "from-paho", qos=2).wait_for_publish(10)
got.wait(10)
print(msgs)
`;
    const out = await runOut("/usr/bin/python3", ["-c", script]);
    expect(out.trim()).toBe("[('paho/q2', 'from-paho', 2)]");
  });
});

function runOut(cmd: string, args: string[]): Promise<string> {
  const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((r) => p.on("exit", () => r(out)));
}
