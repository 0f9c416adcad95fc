/**
 * A server with a `websocket {}` block from a config text: natsedge, or in reference mode
 * (NATSEDGE_REFERENCE_SERVER) nats-server with the same config, its ports read from its log lines.
 */
import { startServer } from "../../mod.ts";
import { startNatsServer } from "./nats_server.ts";
import { REFERENCE_SERVER } from "./reference_server.ts";

export interface WsServer {
  /** The client (TCP) port. */
  port: number;
  wsPort: number;
  /** The monitor's HTTP port, when the config has `http`. */
  httpPort: number;
  logs: string[];
  close(): Promise<void>;
}

const WS_LISTENING = /Listening for websocket clients on wss?:\/\/.*:(\d+)$/;
const MONITOR = /Starting http monitor on .*:(\d+)$/;

function portFrom(logs: string[], re: RegExp): number {
  for (const l of logs) {
    const m = re.exec(l);
    if (m) return Number(m[1]);
  }
  return 0;
}

export async function startWsServer(conf: string): Promise<WsServer> {
  if (REFERENCE_SERVER !== "") {
    // startNatsServer runs $NATS_SERVER: make that the binary reference mode names.
    process.env.NATS_SERVER = REFERENCE_SERVER;
    const ref = await startNatsServer(conf);
    return { port: ref.port, wsPort: portFrom(ref.logs, WS_LISTENING), httpPort: portFrom(ref.logs, MONITOR), logs: ref.logs, close: () => ref.close() };
  }
  const logs: string[] = [];
  const h = await startServer({ config: `listen: "127.0.0.1:-1"\n${conf}`, logSink: (l) => logs.push(l) });
  return { port: h.port, wsPort: h.server.websocketPort, httpPort: h.server.lifecycle.httpPort, logs, close: () => h.close() };
}
