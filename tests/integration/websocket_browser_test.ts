// A real browser speaking NATS over WebSocket: Debian's chromium, driven headless by playwright-core, loads a
// locally served page whose bundled nats.js (wsconnect) subscribes, publishes and requests against the
// server, with a TCP client on the other end. The page's origin is the only allowed one, so the browser's
// Origin header goes through the listener's check; compression is on, which chromium negotiates. Skipped,
// saying so, where /usr/bin/chromium is absent (.ci/run installs it).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { startWsServer } from "../_helpers/ws_server.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!HAVE_CHROMIUM) console.warn(`websocket_browser_test: skipped, ${CHROMIUM} is absent (apt-get install -y chromium)`);

async function bundle(): Promise<string> {
  const out = await Bun.build({ entrypoints: [join(import.meta.dir, "../testdata/websocket/page.ts")], target: "browser" });
  if (!out.success) throw new Error(`bundling the page failed: ${out.logs.join("\n")}`);
  return out.outputs[0]!.text();
}

describe.skipIf(!HAVE_CHROMIUM)(`a browser (${CHROMIUM})`, () => {
  test("chromium subscribes, publishes and requests over WebSocket", async () => {
    const js = await bundle();
    const page = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        if (new URL(req.url).pathname === "/app.js") return new Response(js, { headers: { "Content-Type": "text/javascript" } });
        return new Response('<!doctype html><title>nats</title><script type="module" src="/app.js"></script>', { headers: { "Content-Type": "text/html" } });
      },
    });
    const origin = `http://127.0.0.1:${page.port}`;
    const srv = await startWsServer(`websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true, allowed_origins: [${JSON.stringify(origin)}] }`);
    const nc = await connect({ servers: `127.0.0.1:${srv.port}` });
    const profile = mkdtempSync(join(tmpdir(), "natsedge-chromium-"));
    const { chromium } = await import("playwright-core");
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      nc.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`echo: ${m.string()}`) });
      nc.subscribe("from.browser", { callback: (_e, m) => nc.publish("to.browser", `got ${m.string()}`) });
      await nc.flush();
      const tab = await ctx.newPage();
      await tab.goto(`${origin}/#${encodeURIComponent(`ws://127.0.0.1:${srv.wsPort}`)}`);
      const handle = await tab.waitForFunction(() => (globalThis as { __result?: unknown }).__result, undefined, { timeout: 20_000 });
      expect(await handle.jsonValue()).toEqual({ reply: "echo: from a browser", received: "got hello" });
    } finally {
      await ctx.close();
      await nc.close();
      await srv.close();
      await page.stop(true);
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
