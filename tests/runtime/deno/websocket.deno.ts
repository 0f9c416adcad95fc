/**
 * The WebSocket listener on Deno's transport (natsedge's framing on Deno.listen): the official client's
 * wsconnect publishes, subscribes and requests beside a TCP client, a foreign Origin gets 403, a message over
 * the size limit closes only its own connection, and a compressed connection carries a long message. The
 * runtime-independent suite (tests/integration/websocket_test.ts: framing, deflate, origins, auth, close
 * frames, handshake_timeout) runs here too. Run by `npm run test:deno`.
 */
import { wsconnect } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startServer } from "../../../mod.ts";
import "../../integration/websocket_test.ts";
import "../../unit/websocket/frame_reader_test.ts";
import "../../unit/websocket/ws_conn_test.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

function assertEquals<T>(actual: T, expected: T): void {
  if (actual !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const CONF = "max_payload: 4096\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true, same_origin: true, compression: true }";

Deno.test("natsedge on Deno serves WebSocket clients beside TCP clients", async () => {
  const logs: string[] = [];
  const srv = await startServer({ host: "127.0.0.1", port: -1, config: CONF, logSink: (l) => logs.push(l) });
  try {
    assertEquals(logs.some((l) => l.includes("Runtime:  deno")), true);
    const url = `ws://127.0.0.1:${srv.server.websocketPort}`;
    const w = await wsconnect({ servers: url, reconnect: false });
    const t = await connect({ servers: `127.0.0.1:${srv.port}`, reconnect: false });
    t.subscribe("svc", { callback: (_e, m) => void m.respond(`tcp:${m.string()}`) });
    await t.flush();
    assertEquals((await w.request("svc", "hi", { timeout: 5000 })).string(), "tcp:hi");
    const sub = w.subscribe("to.ws", { max: 1 });
    await w.flush();
    t.publish("to.ws", "x".repeat(3000));
    for await (const m of sub) assertEquals(m.data.length, 3000);

    const foreign = await fetch(url.replace("ws:", "http:"), {
      headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13", Origin: "http://evil.example" },
    });
    await foreign.body?.cancel();
    assertEquals(foreign.status, 403);

    // A plain WebSocket: the client library would refuse to send a message over max_payload.
    const victim = new WebSocket(url);
    const code = new Promise<number>((resolve) => (victim.onclose = (e) => resolve(e.code)));
    await new Promise((resolve) => (victim.onopen = resolve));
    // One message far over the limit (8 × max_payload).
    victim.send(new Uint8Array(40_000));
    assertEquals(await code, 1009);
    assertEquals((await w.request("svc", "still", { timeout: 5000 })).string(), "tcp:still");
    // Deno's WebSocket client offers no deflate; a compressed connection is checked with a long message.
    const big = w.subscribe("big", { max: 1 });
    await w.flush();
    t.publish("big", "z".repeat(4000));
    for await (const m of big) assertEquals(m.string(), "z".repeat(4000));
    await w.close();
    await t.close();
  } finally {
    await srv.close();
  }
});
