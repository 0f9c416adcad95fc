// The WebSocket listener's paths (nats-server's wsUpgrade): /mqtt is MQTT over WebSocket, answered with the
// "mqtt" subprotocol, sharing messages with NATS clients; without an mqtt block natsedge refuses /mqtt with
// 404 as current nats-server does (2.9.10 upgrades it anyway); /leafnode is a leaf node (tests in
// leaf_websocket_test.ts), upgraded and then closed when there is no leafnode port. The MQTT round trip runs where the server can take MQTT over WebSocket: against
// nats-server in reference mode, and on natsedge once its MQTT service offers the hook (acceptMqttWebSocket).
import { describe, expect, test } from "bun:test";
import { connectAsync } from "mqtt";
import { connect } from "@nats-io/transport-node";
import { startServer } from "../../mod.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { startWsServer } from "../_helpers/ws_server.ts";
import { RawWs } from "../_helpers/ws_raw.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { natsedgeOnly } from "../_helpers/security.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { until } from "../_helpers/leaf.ts";

const own = useCleanup();
const PLAIN = "websocket { host: 127.0.0.1, port: -1, no_tls: true }";

const probe = await startServer({ config: "", logSink: () => {} });
const mqttOverWs = REFERENCE_SERVER !== "" || typeof (probe.server as { acceptMqttWebSocket?: unknown }).acceptMqttWebSocket === "function";
await probe.close();

describe("paths on the WebSocket port", () => {
  natsedgeOnly("/mqtt without an mqtt block is refused with 404", async () => {
    const srv = own(await startWsServer(PLAIN));
    const c = own(await RawWs.open(srv.wsPort, { "Sec-WebSocket-Protocol": "mqtt" }, "/mqtt"));
    expect(c.status).toBe(404);
  });

  test("/leafnode without a leafnode port is upgraded, then closed and logged, as 2.9.10 does", async () => {
    const srv = own(await startWsServer(PLAIN));
    const c = own(await RawWs.open(srv.wsPort, {}, "/leafnode"));
    expect(c.status).toBe(101);
    await c.until(() => c.closed);
    expect(c.text).toBe("");
    await until(() => srv.logs.some((x) => x.includes("Not configured to accept leaf node connections")), "the log line");
  });

  test("any other path is a NATS client", async () => {
    const srv = own(await startWsServer(PLAIN));
    const c = own(await RawWs.open(srv.wsPort, {}, "/some/app/path?x=1"));
    expect(c.status).toBe(101);
    await c.until(() => c.text.startsWith("INFO "));
  });

  test.skipIf(!mqttOverWs)("MQTT over WebSocket on /mqtt: the subprotocol is answered and messages cross to NATS", async () => {
    const dir = scratchDir("natsedge-wsmqtt-");
    const srv = own(await startWsServer(`server_name: wsmqtt\njetstream { store_dir: ${JSON.stringify(dir)} }\nmqtt { host: 127.0.0.1, port: -1 }\n${PLAIN}`));
    const raw = own(await RawWs.open(srv.wsPort, { "Sec-WebSocket-Protocol": "mqtt" }, "/mqtt"));
    expect(raw.headers.get("sec-websocket-protocol")).toBe("mqtt");
    const nc = own(await connect({ servers: `127.0.0.1:${srv.port}` }));
    const sub = nc.subscribe("from.mqtt", { max: 1 });
    await nc.flush();
    const m = await connectAsync(`ws://127.0.0.1:${srv.wsPort}/mqtt`, { clientId: "ws-mqtt", reconnectPeriod: 0 });
    own({ close: () => m.endAsync() });
    await m.publishAsync("from/mqtt", "over ws");
    for await (const msg of sub) expect(msg.string()).toBe("over ws");
  });
});
