/**
 * The C client (libnats, Debian's libnats-dev) against natsedge: libnats/checks.c, compiled here, puts,
 * deletes and purges KV keys and reads the markers back through Get, History, Keys and STREAM.MSG.GET, then
 * reads a 100k-message stream through an ordered consumer, printing one JSON line per check. The same program runs against nats-server 2.9.10, so a check that is wrong about
 * nats-server's behaviour fails there.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServer } from "../_helpers/server.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { spawn, text, which } from "../_helpers/spawn.ts";

const SOURCE = join(import.meta.dirname!, "libnats", "checks.c");
const RUN_TIMEOUT_MS = 60_000;
const LAST_CHECK = "done";

interface CheckResult {
  check: string;
  ok: boolean;
  err: string;
}

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

let built: Promise<string> | null = null;

function buildOnce(): Promise<string> {
  built ??= (async () => {
    const missing = [...(which("gcc") === null ? ["gcc"] : []), ...(existsSync("/usr/include/nats/nats.h") ? [] : ["libnats-dev"])];
    if (missing.length > 0) throw new Error(`building tests/compat/libnats needs: apt-get install ${missing.join(" ")}`);
    const dir = mkdtempSync(join(tmpdir(), "natsedge-libnats-"));
    scratch.push(dir);
    const bin = join(dir, "checks");
    const proc = spawn(["gcc", "-Wall", "-o", bin, SOURCE, "-lnats"], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([text(proc.stderr), proc.exited]);
    if (code !== 0) throw new Error(`gcc of tests/compat/libnats/checks.c failed (${code}):\n${err}`);
    return bin;
  })();
  return built;
}

/** The checks that failed, and any problem with the run; empty when all passed. Asynchronous: natsedge runs in this process. */
async function failures(url: string): Promise<string[]> {
  const proc = spawn([await buildOnce(), url], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), RUN_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited]);
  clearTimeout(timer);
  const results = out.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as CheckResult);
  const lines = results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.err}`);
  if (!results.some((r) => r.check === LAST_CHECK)) lines.push(`stopped before ${LAST_CHECK} (exit ${code}): ${err.trim()}`);
  if (results.length < 11) lines.push(`only ${results.length} checks ran`);
  return lines;
}

test("libnats KV sees natsedge's markers as it sees nats-server's, and its ordered consumer reads 100k messages", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-libnats-store-"));
  scratch.push(dir);
  const srv = await runServer({ jetstream: { enabled: true, store_dir: dir } });
  try {
    expect(await failures(`nats://${srv.url}`)).toEqual([]);
  } finally {
    await srv.close();
  }
}, 90_000);

test.skipIf(which("nats-server") === null)("the checks themselves pass against nats-server -js", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-libnats-ref-"));
  scratch.push(dir);
  const ref = await startNatsServer(`jetstream { store_dir: ${JSON.stringify(dir)} }`);
  try {
    expect(await failures(`nats://127.0.0.1:${ref.port}`)).toEqual([]);
  } finally {
    await ref.close();
  }
}, 90_000);
