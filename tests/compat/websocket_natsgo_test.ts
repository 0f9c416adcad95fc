/**
 * nats.go's own WebSocket transport against the WebSocket listener: websocket_natsgo/main.go (built here from
 * Debian's Go packages, offline) connects with a ws:// URL, plain and with permessage-deflate, and checks
 * pub/sub from empty to 512 KiB payloads, request/reply, headers and a round trip. The same program runs
 * against nats-server 2.9.10, so that a check wrong about nats-server fails there too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { startServer } from "../../mod.ts";
import { BUILD_TIMEOUT_MS, buildGoProgram, checkFailures, RUN_TIMEOUT_MS, scratchDir } from "../_helpers/compat_programs.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { which } from "../_helpers/spawn.ts";

const NATS_SERVER = "/usr/sbin/nats-server";
const CHECKS = ["connect", "pubsub_sizes", "request_reply", "headers", "flush_rtt", "done"];
const CONF = (compression: boolean) => `websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: ${compression} }`;

const haveGo = which("go") !== null && existsSync("/usr/share/gocode/src/github.com/nats-io/nats.go/ws.go");
const dir = scratchDir("natsedge-wsnatsgo-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let bin: Promise<string> | null = null;
const run = async (url: string, mode: "plain" | "compress") =>
  checkFailures([await (bin ??= buildGoProgram("websocket_natsgo", dir)), url, mode], CHECKS.length);

describe.skipIf(!haveGo)("nats.go over WebSocket", () => {
  for (const mode of ["plain", "compress"] as const) {
    test(`${mode}: natsedge`, async () => {
      const h = await startServer({ host: "127.0.0.1", port: -1, config: CONF(mode === "compress"), logSink: () => {} });
      try {
        expect(await run(`ws://127.0.0.1:${h.server.websocketPort}`, mode)).toEqual([]);
      } finally {
        await h.close();
      }
    }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);

    test.skipIf(!existsSync(NATS_SERVER))(`${mode}: nats-server 2.9.10`, async () => {
      process.env.NATS_SERVER = NATS_SERVER;
      const ns = await startNatsServer(CONF(mode === "compress"));
      try {
        const port = Number(/Listening for websocket clients on ws:\/\/[^:]+:(\d+)/.exec(ns.logs.join("\n"))?.[1]);
        expect(await run(`ws://127.0.0.1:${port}`, mode)).toEqual([]);
      } finally {
        await ns.close();
      }
    }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);
  }
});
