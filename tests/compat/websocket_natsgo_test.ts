/**
 * nats.go's own WebSocket transport against the WebSocket listener: websocket_natsgo/main.go (built here from
 * Debian's Go packages, offline) connects with a ws:// URL, plain and with permessage-deflate, and checks
 * pub/sub from empty to 512 KiB payloads, request/reply, headers and a round trip. The same program runs
 * against nats-server 2.9.10, so that a check wrong about nats-server fails there too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../mod.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { spawn, text, which } from "../_helpers/spawn.ts";

const NATS_SERVER = "/usr/sbin/nats-server";
const GOPATH = "/usr/share/gocode";
const SOURCE = join(import.meta.dirname!, "websocket_natsgo");
const BUILD_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 60_000;
const CHECKS = ["connect", "pubsub_sizes", "request_reply", "headers", "flush_rtt"];
const CONF = (compression: boolean) => `websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: ${compression} }`;

const dir = mkdtempSync(join(tmpdir(), "natsedge-wsnatsgo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const haveGo = which("go") !== null && existsSync(join(GOPATH, "src/github.com/nats-io/nats.go/ws.go"));

let built: Promise<string> | null = null;
function build(): Promise<string> {
  built ??= (async () => {
    const bin = join(dir, "websocket_natsgo");
    const proc = spawn(["go", "build", "-trimpath", "-o", bin, "."], {
      cwd: SOURCE,
      env: { ...process.env, GO111MODULE: "off", GOPATH, GOPROXY: "off", GOFLAGS: "", CGO_ENABLED: "0", GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "natsedge-natsgo-gocache") },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited]);
    if (code !== 0) throw new Error(`go build of tests/compat/websocket_natsgo failed (${code}):\n${out}${err}`);
    return bin;
  })();
  return built;
}

/** The failed checks and run problems; empty when every check passed. */
async function run(url: string, mode: "plain" | "compress"): Promise<string[]> {
  const proc = spawn([await build(), url, mode], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), RUN_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited]);
  clearTimeout(timer);
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const line of out.split("\n").filter((l) => l.trim() !== "")) {
    const r = JSON.parse(line) as { check: string; ok: boolean; err: string };
    seen.add(r.check);
    if (!r.ok) problems.push(`${r.check}: ${r.err}`);
  }
  for (const c of CHECKS) if (!seen.has(c)) problems.push(`${c} did not run (exit ${code}) ${err.trim()}`);
  if (code !== 0 && problems.length === 0) problems.push(`exit ${code}: ${err.trim()}`);
  return problems;
}

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
