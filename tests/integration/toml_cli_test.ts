// The command line with TOML: `natsedge -c natsedge.toml` serves a real client with the file's settings, and
// `natsedge config --to-toml` prints a NATS config as TOML that the server then runs with. natsedge-only.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { firstMatch, natsedgeCommand, spawn, spawnSync } from "../_helpers/spawn.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const dirs: string[] = [];
const procs: { kill(): void; exited: Promise<number> }[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill();
    await p.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts the CLI and resolves with the client port once it logs that it listens. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<number> {
  const proc = spawn([...natsedgeCommand(), ...args], { cwd: ROOT, stdout: "ignore", stderr: "pipe", env: { ...process.env, ...env } });
  procs.push(proc);
  return Number((await firstMatch(proc.stderr, /Listening for client connections on .*:(\d+)/))[1]);
}

describe.skipIf(REFERENCE_SERVER !== "")("TOML on the command line", () => {
  test("natsedge -c natsedge.toml: authorization from the file, password from the environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "natsedge-toml-"));
    dirs.push(dir);
    const file = join(dir, "natsedge.toml");
    writeFileSync(file, 'listen = "127.0.0.1:-1"\n\n[authorization]\nuser = "edge"\npassword = "$EDGE_PASS"\n');
    const port = await serve(["-c", file], { EDGE_PASS: "pw-from-env" });
    await expect(connect({ servers: `127.0.0.1:${port}`, reconnect: false, user: "edge", pass: "wrong" })).rejects.toThrow();
    const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, user: "edge", pass: "pw-from-env" });
    const sub = nc.subscribe("toml.test", { max: 1 });
    nc.publish("toml.test", "hi");
    for await (const m of sub) expect(m.string()).toBe("hi");
    await nc.close();
  });

  test("config --to-toml prints TOML the server runs with, keeping $NAME references", async () => {
    const dir = mkdtempSync(join(tmpdir(), "natsedge-toml-"));
    dirs.push(dir);
    const conf = join(dir, "edge.conf");
    writeFileSync(conf, `listen: 127.0.0.1:-1\nauthorization { user: edge, password: $EDGE_PASS }\njetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }\n`);
    const r = spawnSync([...natsedgeCommand(), "config", "--to-toml", conf], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, EDGE_PASS: "pw-from-env" } });
    expect(r.exitCode).toBe(0);
    const toml = r.stdout.toString();
    expect(toml).toContain('password = "$EDGE_PASS"');
    expect(toml).not.toContain("pw-from-env");
    const file = join(dir, "edge.toml");
    writeFileSync(file, toml);
    const port = await serve(["-c", file], { EDGE_PASS: "pw-from-env" });
    const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, user: "edge", pass: "pw-from-env" });
    expect((nc.info as { jetstream?: boolean }).jetstream).toBe(true);
    await nc.close();

    const bad = spawnSync([...natsedgeCommand(), "config", "--to-toml"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect(bad.exitCode).toBe(2);
  });
});
