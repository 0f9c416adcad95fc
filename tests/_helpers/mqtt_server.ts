/**
 * A server with an `mqtt {}` block: natsedge, or in reference mode (NATSEDGE_REFERENCE_SERVER) nats-server with
 * the same config. Both need a server_name and JetStream for MQTT; the store directory is the test's, so a
 * restart on the same `dir` finds what was stored.
 */
import { rmSync } from "node:fs";
import { startServer } from "../../mod.ts";
import { scratchDir } from "./certs.ts";
import { startNatsServer } from "./nats_server.ts";
import { REFERENCE_SERVER } from "./reference_server.ts";

export interface MqttServer {
  /** The NATS client port. */
  port: number;
  mqttPort: number;
  /** The monitor's HTTP port, when `top` has `http`; else 0. */
  httpPort: number;
  logs: string[];
  /** The store directory, kept by close() so that a server started again on it can be tested. */
  dir: string;
  close(): Promise<void>;
}

const MQTT_LISTENING = /Listening for MQTT clients on (?:mqtt|tls):\/\/.*:(\d+)$/;
const MONITOR = /Starting http monitor on .*:(\d+)$/;

function mqttPortFrom(logs: string[]): number {
  for (const l of logs) {
    const m = MQTT_LISTENING.exec(l);
    if (m) return Number(m[1]);
  }
  throw new Error(`no MQTT listener in the log:\n${logs.join("\n")}`);
}

/** `extra` goes inside the `mqtt {}` block, `top` at the top level; `dir` reuses a store directory. */
export async function startMqttServer(extra = "", dir = scratchDir("natsedge-mqtt-"), top = ""): Promise<MqttServer> {
  const js = top.includes("jetstream") ? "" : `jetstream { store_dir: ${JSON.stringify(dir)} }`;
  const conf = `server_name: mqtt_test\n${js}\n${top}\nmqtt { host: 127.0.0.1, port: -1 ${extra} }`;
  if (REFERENCE_SERVER !== "") {
    process.env.NATS_SERVER = REFERENCE_SERVER;
    const ref = await startNatsServer(conf);
    const http = ref.logs.map((l) => MONITOR.exec(l)).find((m) => m !== null);
    return { port: ref.port, mqttPort: mqttPortFrom(ref.logs), httpPort: http ? Number(http[1]) : 0, logs: ref.logs, dir, close: () => ref.close() };
  }
  const logs: string[] = [];
  const h = await startServer({ config: `listen: "127.0.0.1:-1"\n${conf}`, logSink: (l) => logs.push(l) });
  return { port: h.port, mqttPort: mqttPortFrom(logs), httpPort: h.server.lifecycle.httpPort, logs, dir, close: () => h.close() };
}

export function removeStore(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
