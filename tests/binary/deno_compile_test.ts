/**
 * `./compile.sh --deno`: deno compile needs Deno's runtime for the target (denort), which Deno downloads from
 * its own release host. Where it cannot (here: only npm and Debian are reachable), the script says so, names
 * DENORT_BIN and exits 3; a DENORT_BIN that is not an executable is refused before compiling. With a real
 * denort in DENORT_BIN (README: where to get one) the executable is built and serves a real client; that
 * case runs only where such a denort is provided, since no registry this project reaches ships one.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { ROOT } from "./_build.ts";
import { run } from "./_process.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-deno-compile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function compile(env: Record<string, string | undefined>, out: string) {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  return spawnSync(join(ROOT, "compile.sh"), ["--deno", "--out", out], { cwd: ROOT, encoding: "utf8", env: merged });
}

/** A denort the environment provides (an offline build machine's copy); without it only the refusals run. */
const DENORT = process.env.DENORT_BIN ?? "";

describe("./compile.sh --deno", () => {
  test.skipIf(DENORT !== "")("without DENORT_BIN, where denort cannot be downloaded, it exits 3 and names DENORT_BIN", () => {
    const out = join(dir, "no-denort");
    const r = compile({ DENORT_BIN: undefined }, out);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/deno compile needs Deno's runtime for x86_64-unknown-linux-gnu .*: set DENORT_BIN to a denort executable/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  test("a DENORT_BIN that is not an executable is refused before compiling", () => {
    const missing = join(dir, "missing-denort");
    const r = compile({ DENORT_BIN: missing }, join(dir, "bad-denort"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`DENORT_BIN=${missing} is not an executable`);
  });

  test.skipIf(DENORT === "")("with DENORT_BIN set to a denort, the executable is built and serves a real client", async () => {
    const out = join(dir, "natsedge-deno");
    const r = compile({}, out);
    expect(r.status).toBe(0);
    const p = run(out, ["-a", "127.0.0.1", "-p", "-1"]);
    try {
      await p.waitFor(/Runtime:\s+deno/);
      const nc = await connect({ servers: `127.0.0.1:${await p.port()}`, reconnect: false });
      const sub = nc.subscribe("compiled", { max: 1 });
      nc.publish("compiled", "hi");
      for await (const m of sub) expect(m.string()).toBe("hi");
      await nc.close();
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
  }, 180_000);
});
