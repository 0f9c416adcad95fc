/**
 * GET /dashboard in a real browser (Debian's chromium driven by playwright-core): the page loads under
 * http_base_path with nothing from elsewhere, and the connection count, a stream's message count, a
 * consumer's pending count and the recent warnings it shows follow the server; it fits a phone's width. Screenshots go to tests/output/. Skipped without chromium
 * (.ci/run installs it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { scratchDir } from "../_helpers/certs.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const OUTPUT = join(import.meta.dirname!, "..", "output");
const present = existsSync(CHROMIUM);
if (!present) console.warn(`skipping the dashboard browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);

let srv: TestServer;
let nc: NatsConnection;
let storeDir: string;
let profile: string;
let browser: BrowserContext;
let origin: string;

beforeAll(async () => {
  if (!present) return;
  storeDir = scratchDir("natsedge-dash-");
  srv = await runServer({ http_port: -1, http_base_path: "/mon", jetstream: { enabled: true, store_dir: storeDir } });
  origin = `http://127.0.0.1:${srv.server.lifecycle.httpPort}`;
  nc = await client(srv);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  await jsm.consumers.add("ORDERS", { durable_name: "proc", ack_policy: AckPolicy.Explicit });
  profile = mkdtempSync(join(tmpdir(), "natsedge-chromium-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  mkdirSync(OUTPUT, { recursive: true });
});

afterAll(async () => {
  if (!present) return;
  await browser?.close();
  await nc?.close();
  await srv?.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

/** Waits until the element's text is `want`, with the page's last text in the failure. */
async function shows(page: Page, selector: string, want: string): Promise<void> {
  try {
    await page.waitForFunction(([s, w]) => document.querySelector(s!)?.textContent === w, [selector, want], { timeout: 10_000 });
  } catch {
    throw new Error(`${selector}: wanted ${JSON.stringify(want)}, page shows ${JSON.stringify(await page.textContent(selector, { timeout: 500 }).catch(() => null))} (${await page.textContent("#error")})`);
  }
}

describe.skipIf(!present)("/dashboard in chromium", () => {
  test("follows connections, stream messages and warnings; loads nothing from elsewhere", async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(`${origin}/mon/`)) foreign.push(r.url());
    });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${origin}/mon/dashboard?refresh=250`);

    await shows(page, "#connections", "1");
    await shows(page, "#name", srv.server.name);
    await shows(page, '[data-stream="ORDERS"] .msgs', "0");
    await shows(page, "#js_cipher", "none (not encrypted)");

    const more = [await client(srv), await client(srv)];
    const js = jetstream(nc);
    for (let i = 0; i < 7; i++) await js.publish("orders.new", `o${i}`);
    srv.server.log.warn(`disk <b>nearly</b> full`);
    await shows(page, "#connections", "3");
    await shows(page, '[data-stream="ORDERS"] .msgs', "7");
    await shows(page, '[data-consumer="ORDERS/proc"] .pending', "7");
    await page.waitForFunction(() => document.querySelector("#warnings")?.textContent?.includes("disk <b>nearly</b> full"), undefined, { timeout: 10_000 });
    // Set as text: the markup in a log line is not parsed.
    expect(await page.locator("#warnings b").count()).toBe(0);
    await page.screenshot({ path: join(OUTPUT, "dashboard.png"), fullPage: true });

    for (const c of more) await c.close();
    await shows(page, "#connections", "1");

    // A phone's width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT, "dashboard-phone.png"), fullPage: true });

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
