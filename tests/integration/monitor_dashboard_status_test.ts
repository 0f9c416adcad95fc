/**
 * What the dashboard reads beyond nats-server's endpoints, without a browser: the store cipher by name and
 * never its key, the recent warnings, and a page that names nothing outside the server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { scratchDir } from "../_helpers/certs.ts";
import { runServer, type TestServer } from "../_helpers/server.ts";

const KEY = "dashboard-test-key-must-never-show-0123456789";
let srv: TestServer;
let dir: string;
let base: string;

beforeAll(async () => {
  dir = scratchDir("natsedge-dash-status-");
  srv = await runServer({ http_port: -1, jetstream: { enabled: true, store_dir: dir, key: KEY, cipher: "aes" } });
  base = `http://127.0.0.1:${srv.server.lifecycle.httpPort}`;
});

afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test("/dashboard/status names the cipher, never the key, and keeps the last 20 warnings and errors", async () => {
  for (let i = 0; i < 25; i++) srv.server.log.warn(`warning ${i}`);
  srv.server.log.error("an error");
  srv.server.log.notice("not a problem");
  const r = await fetch(`${base}/dashboard/status`);
  expect(r.headers.get("content-type")).toBe("application/json");
  const text = await r.text();
  expect(text).not.toContain(KEY);
  const status = JSON.parse(text) as { cipher: string; warnings: string[] };
  expect(status.cipher).toBe("AES-256-GCM");
  expect(status.warnings.length).toBe(20);
  expect(status.warnings[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[WRN\] warning 6$/);
  expect(status.warnings[19]).toEndWith("[ERR] an error");
});

test("/dashboard is one page that loads nothing from elsewhere and holds no secret", async () => {
  const r = await fetch(`${base}/dashboard`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toStartWith("text/html");
  const page = await r.text();
  expect(page).not.toContain(KEY);
  expect(page).not.toMatch(/\b(src|href)=/);
  expect(page).not.toMatch(/https?:\/\//);
  expect(page).not.toContain("@import");
});
