/**
 * Deno parity smoke test: the same server code, on Deno's transport, serves the official client.
 * Run by `npm run test:deno` (deno test), kept out of bun test by its file name.
 */
import { connect } from "@nats-io/transport-node";
import { startServer } from "../../../mod.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

function assertEquals<T>(actual: T, expected: T): void {
  if (actual !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

Deno.test("natsedge on Deno serves publish, subscribe and request/reply to the official client", async () => {
  const logs: string[] = [];
  const srv = await startServer({ host: "127.0.0.1", port: -1, logSink: (l) => logs.push(l) });
  try {
    assertEquals(logs.some((l) => l.includes("Runtime:  deno")), true);
    const nc = await connect({ servers: `127.0.0.1:${srv.port}`, reconnect: false });
    const responder = nc.subscribe("svc.echo");
    (async () => {
      for await (const m of responder) m.respond(m.data);
    })();
    const sub = nc.subscribe("deno.>", { max: 100 });
    for (let i = 0; i < 100; i++) nc.publish(`deno.${i}`, `m${i}`);
    let n = 0;
    for await (const m of sub) {
      assertEquals(m.string(), `m${n}`);
      n++;
    }
    assertEquals(n, 100);
    const r = await nc.request("svc.echo", "ping", { timeout: 5000 });
    assertEquals(r.string(), "ping");
    await nc.close();
  } finally {
    await srv.close();
  }
});
