/**
 * The browser side of tests/integration/websocket_browser_test.ts, bundled with Bun.build: nats.js over the
 * browser's WebSocket subscribes, publishes and requests, then leaves what it saw in globalThis.__result.
 */
import { wsconnect } from "@nats-io/nats-core";

interface Result {
  reply?: string;
  received?: string;
  error?: string;
}

const g = globalThis as unknown as { __result?: Result; location: { hash: string } };

async function run(): Promise<Result> {
  const nc = await wsconnect({ servers: decodeURIComponent(g.location.hash.slice(1)), reconnect: false });
  const sub = nc.subscribe("to.browser", { max: 1 });
  await nc.flush();
  const reply = (await nc.request("svc.echo", "from a browser", { timeout: 5000 })).string();
  // The test's TCP client answers this with a message on to.browser.
  nc.publish("from.browser", "hello");
  let received = "";
  for await (const m of sub) received = m.string();
  await nc.close();
  return { reply, received };
}

run().then(
  (r) => (g.__result = r),
  (e: unknown) => (g.__result = { error: String(e) }),
);
