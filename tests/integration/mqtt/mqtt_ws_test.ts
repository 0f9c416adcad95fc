// MQTT over WebSocket (issue 19): the WebSocket listener serves paths starting with /mqtt as MQTT
// connections, echoing `Sec-WebSocket-Protocol: mqtt`, as nats-server does. MQTT.js over ws:// against a
// TCP MQTT client and a NATS client. Run with NATSEDGE_REFERENCE_SERVER to check it against nats-server 2.9.10.
import { describe, expect, test } from "bun:test";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { connect } from "@nats-io/transport-node";
import { nextMessages } from "../../_helpers/mqtt_raw.ts";
import { startMqttServer, type MqttServer } from "../../_helpers/mqtt_server.ts";
import { useCleanup } from "../../_helpers/scope.ts";

const own = useCleanup();
const WS_LISTENING = /Listening for websocket clients on ws:\/\/.*:(\d+)$/;

async function server(): Promise<{ srv: MqttServer; wsPort: number }> {
  const srv = own(await startMqttServer("", undefined, "websocket { host: 127.0.0.1, port: -1, no_tls: true }"));
  const m = srv.logs.map((l) => WS_LISTENING.exec(l)).find((x) => x !== null);
  return { srv, wsPort: Number(m![1]) };
}

async function mqtt(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, ...opts });
  own({ close: () => c.endAsync(true) });
  return c;
}

describe("MQTT over WebSocket", () => {
  test("MQTT.js over ws://…/mqtt subscribes at QoS 1 and gets what a TCP MQTT client and a NATS client publish", async () => {
    const { srv, wsPort } = await server();
    const ws = await mqtt(`ws://127.0.0.1:${wsPort}/mqtt`, { clientId: "browser-like" });
    await ws.subscribeAsync("ws/#", { qos: 1 });
    const got = nextMessages(ws, 2);
    const tcp = await mqtt(`mqtt://127.0.0.1:${srv.mqttPort}`);
    await tcp.publishAsync("ws/tcp", "from-tcp", { qos: 1 });
    const nc = own(await connect({ servers: `127.0.0.1:${srv.port}` }));
    nc.publish("ws.nats", "from-nats");
    await nc.flush();
    expect(await got).toEqual([
      { topic: "ws/tcp", payload: "from-tcp", qos: 1, retain: false },
      { topic: "ws/nats", payload: "from-nats", qos: 0, retain: false },
    ]);
  });

  test("an MQTT client over WebSocket publishes to a TCP MQTT subscriber", async () => {
    const { srv, wsPort } = await server();
    const tcp = await mqtt(`mqtt://127.0.0.1:${srv.mqttPort}`);
    await tcp.subscribeAsync("up/+", { qos: 1 });
    const got = nextMessages(tcp, 1);
    const ws = await mqtt(`ws://127.0.0.1:${wsPort}/mqtt`);
    await ws.publishAsync("up/1", "via-ws", { qos: 1 });
    expect(await got).toEqual([{ topic: "up/1", payload: "via-ws", qos: 1, retain: false }]);
  });
});
