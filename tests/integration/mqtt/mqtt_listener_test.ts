// The MQTT listener's own options (issue 19): `mqtt { tls {} }`, the block's authorization and no_auth_user,
// and what /varz and /connz say about MQTT. Run with NATSEDGE_REFERENCE_SERVER to check the same assertions
// against nats-server 2.9.10.
import { describe, expect, test } from "bun:test";
import { connectAsync } from "mqtt";
import { connect } from "@nats-io/transport-node";
import { pem, testCerts } from "../../_helpers/certs.ts";
import { connectPacket, Raw, tryConnect } from "../../_helpers/mqtt_raw.ts";
import { startMqttServer, type MqttServer } from "../../_helpers/mqtt_server.ts";
import { useCleanup } from "../../_helpers/scope.ts";

const own = useCleanup();

async function server(extra = "", top = ""): Promise<MqttServer> {
  return own(await startMqttServer(extra, undefined, top));
}

describe("mqtt { tls {} }", () => {
  test("MQTT.js connects over TLS with the CA; a plaintext client does not get a CONNACK", async () => {
    const certs = testCerts();
    const srv = await server(`, tls { cert_file: ${JSON.stringify(certs.server.cert)}, key_file: ${JSON.stringify(certs.server.key)} }`);
    expect(srv.logs.some((l) => /Listening for MQTT clients on tls:\/\//.test(l))).toBe(true);
    expect(await tryConnect(`mqtts://127.0.0.1:${srv.mqttPort}`, { ca: pem(certs.ca), servername: "localhost" })).toBe("ok");
    const plain = new Raw(srv.mqttPort, own);
    plain.write(connectPacket("plain", 0));
    await plain.closed;
    expect(plain.data[0]).not.toBe(0x20);
  });
});

describe("the block's own authorization", () => {
  test("its username and password are what MQTT clients must send; NATS clients are not affected", async () => {
    const srv = await server(`, authorization { username: "dev", password: "mqtt-pass" }`);
    const url = `mqtt://127.0.0.1:${srv.mqttPort}`;
    expect(await tryConnect(url, { username: "dev", password: "mqtt-pass" })).toBe("ok");
    expect(await tryConnect(url, { username: "dev", password: "wrong" })).toContain("Not authorized");
    expect(await tryConnect(url)).toContain("Not authorized");
    const nc = await connect({ servers: `127.0.0.1:${srv.port}` });
    await nc.flush();
    await nc.close();
  });

  test("its token is tried against the CONNECT password", async () => {
    const srv = await server(`, authorization { token: "mqtt-t0ken" }`);
    const url = `mqtt://127.0.0.1:${srv.mqttPort}`;
    expect(await tryConnect(url, { username: "anyone", password: "mqtt-t0ken" })).toBe("ok");
    expect(await tryConnect(url, { username: "anyone", password: "other" })).toContain("Not authorized");
  });

  test("its no_auth_user lets MQTT clients without credentials in as that user", async () => {
    const srv = await server(`, no_auth_user: "device"`, `authorization { users: [{ user: device, password: devpass }, { user: admin, password: adminpass }] }`);
    const url = `mqtt://127.0.0.1:${srv.mqttPort}`;
    expect(await tryConnect(url)).toBe("ok");
    expect(await tryConnect(url, { username: "admin", password: "adminpass" })).toBe("ok");
    expect(await tryConnect(url, { username: "admin", password: "nope" })).toContain("Not authorized");
  });
});

describe("monitoring", () => {
  test("/varz has the mqtt block and /connz lists MQTT clients with mqtt_client", async () => {
    const srv = await server(`, ack_wait: "45s", max_ack_pending: 77`, "http: 127.0.0.1:-1");
    const c = await connectAsync(`mqtt://127.0.0.1:${srv.mqttPort}`, { clientId: "meter-42", reconnectPeriod: 0 });
    own({ close: () => c.endAsync(true) });
    await c.subscribeAsync("m/#", { qos: 1 });
    const varz = (await (await fetch(`http://127.0.0.1:${srv.httpPort}/varz`)).json()) as { mqtt: Record<string, unknown> };
    expect(varz.mqtt).toMatchObject({ host: "127.0.0.1", port: srv.mqttPort, ack_wait: 45_000_000_000, max_ack_pending: 77 });
    const connz = (await (await fetch(`http://127.0.0.1:${srv.httpPort}/connz?mqtt_client=meter-42`)).json()) as {
      connections: { mqtt_client?: string; type?: string }[];
    };
    expect(connz.connections.length).toBe(1);
    expect(connz.connections[0]).toMatchObject({ mqtt_client: "meter-42" });
    const none = (await (await fetch(`http://127.0.0.1:${srv.httpPort}/connz?mqtt_client=nobody`)).json()) as { connections: unknown[] };
    expect(none.connections.length).toBe(0);
  });
});
