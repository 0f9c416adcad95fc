// WebSocket listeners in a cluster with nats-server 2.9.10: each side's route INFO carries its ws_connect_urls
// (its websocket advertise, else host and port), and WebSocket clients on either side are told the cluster's
// WebSocket URLs in connect_urls, never the client ports, which a WebSocket client cannot dial. TCP clients
// keep the client URLs.
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { until } from "../_helpers/leaf.ts";
import { edgeClusterPort } from "../_helpers/route.ts";
import { RawWs } from "../_helpers/ws_raw.ts";

const own = useCleanup();

/** A raw WebSocket client that has sent CONNECT (protocol 1, so it hears async INFO). */
async function wsClient(port: number): Promise<RawWs> {
  const c = own(await RawWs.open(port));
  await c.until(() => c.text.includes("\r\n"));
  c.send(2, 'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
  await c.until(() => c.text.includes("PONG\r\n"));
  return c;
}

/** The connect_urls of the last INFO `c` was sent. */
function lastConnectUrls(c: RawWs): string[] {
  const infos = [...c.text.matchAll(/INFO (\{.*?\}) ?\r\n/g)];
  const last = infos.at(-1);
  if (last === undefined) return [];
  return ((JSON.parse(last[1]!) as { connect_urls?: string[] }).connect_urls ?? []).slice().sort();
}

describe("ws_connect_urls across a natsedge <-> nats-server 2.9.10 route", () => {
  test("WebSocket clients on each side learn both WebSocket listeners, with natsedge's advertise; TCP clients the client ports", async () => {
    const edge = own(
      await runServer({
        config: 'server_name: edge\ncluster {\n name: wsmix\n listen: "127.0.0.1:-1"\n}\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true, advertise: "edge-ws.example:8443" }',
      }),
    );
    const edgeWs = edge.server.websocketPort;
    const ns = own(
      await startNatsServer(
        `server_name: ns\ncluster { name: wsmix\nlisten: "127.0.0.1:-1"\nroutes = ["nats-route://127.0.0.1:${edgeClusterPort(edge)}"] }\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true }`,
      ),
    );
    const nsWs = Number(/Listening for websocket clients on ws:\/\/[^:]+:(\d+)/.exec(ns.logs.join("\n"))?.[1]);
    expect(nsWs).toBeGreaterThan(0);

    const atEdge = await wsClient(edgeWs);
    const atNs = await wsClient(nsWs);
    const wanted = ["edge-ws.example:8443", `127.0.0.1:${nsWs}`].sort();
    await until(() => JSON.stringify(lastConnectUrls(atEdge)) === JSON.stringify(wanted), "natsedge's WebSocket client told both WebSocket URLs");
    await until(() => JSON.stringify(lastConnectUrls(atNs)) === JSON.stringify(wanted), "nats-server's WebSocket client told natsedge's advertised URL");

    const tcp = own(await connect({ servers: edge.url }));
    await tcp.flush();
    const urls = (edge.server.info.connect_urls as string[] | undefined) ?? [];
    expect(urls).toContain(`127.0.0.1:${ns.port}`);
    expect(urls.some((u) => u.endsWith(`:${nsWs}`) || u.startsWith("edge-ws"))).toBe(false);
  });

  test("a natsedge WebSocket listener without routes sends no connect_urls", async () => {
    const edge = own(await runServer({ config: "websocket { host: 127.0.0.1, port: -1, no_tls: true }" }));
    const c = await wsClient(edge.server.websocketPort);
    expect(lastConnectUrls(c)).toEqual([]);
  });
});
