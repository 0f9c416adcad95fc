/**
 * The single executable for this machine, built by ./compile.sh, run as a user would: `./natsedge -c js.conf`
 * with JS_KEY in the environment, a real client, SIGTERM to stop.
 *
 * js.conf is the seed's file unchanged (`jetstream { key: $JS_KEY, store_dir: datastore }`): the executable
 * starts JetStream on an encrypted store under the directory it runs in, serves core NATS and JetStream to
 * the official clients, and exits 0 on SIGTERM. (Before JetStream landed this test accepted a refusal that
 * named jetstream; now that it serves, the test holds it to that.)
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { binaryFor, ROOT } from "./_build.ts";
import { run, type Running } from "./_process.ts";

/** The Bun compile.sh builds with (the npm devDependency), also when the tests run under Deno. */
const BUN_VERSION = spawnSync(join(ROOT, "node_modules/.bin/bun"), ["--version"], { encoding: "utf8" }).stdout.trim();
const SEED_JS_CONF = join(ROOT, "tests/testdata/conf/seed_000_js_key_env.conf");
const dirs: string[] = [];
function workdir(): string {
  const d = mkdtempSync(join(tmpdir(), "natsedge-run-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Publish/subscribe and request/reply through the official client: what "core NATS works" means here. */
async function assertCoreNats(port: number): Promise<void> {
  const nc: NatsConnection = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  try {
    const echo = nc.subscribe("svc.echo");
    void (async () => {
      for await (const m of echo) m.respond(m.data);
    })();
    const sub = nc.subscribe("bin.>", { max: 50 });
    for (let i = 0; i < 50; i++) nc.publish(`bin.${i}`, `m${i}`);
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect((await nc.request("svc.echo", "hi", { timeout: 5000 })).string()).toBe("hi");
  } finally {
    await nc.close();
  }
}

async function stopWithSigterm(p: Running): Promise<void> {
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(p.output()).toContain("Server Exiting..");
}

describe("the host executable", () => {
  const bin = binaryFor("host");
  const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra });

  test("natsedge -v reports the release, the host target and how it was built", async () => {
    const p = run(bin, ["-v"], { env: env({}) });
    expect(await p.exited).toBe(0);
    const arch = process.arch === "arm64" ? "arm64" : "x64";
    expect(p.output().trim()).toBe(`natsedge: v0.1.0 (nats-server protocol 2.9.10) ${process.platform}-${arch} bun ${BUN_VERSION} bun-${process.platform}-${arch}`);
  });

  test("natsedge -c js.conf with JS_KEY from the environment serves core NATS and JetStream, then stops on SIGTERM", async () => {
    const dir = workdir();
    copyFileSync(SEED_JS_CONF, join(dir, "js.conf"));
    const p = run(bin, ["-c", "js.conf", "-a", "127.0.0.1", "-p", "-1"], { cwd: dir, env: env({ JS_KEY: "mykey" }) });
    const port = await p.port();
    expect(p.output()).toContain("Starting JetStream");
    expect(p.output()).toMatch(/Encryption: +(AES-256-GCM|ChaCha20-Poly1305)/);
    await assertCoreNats(port);
    const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: "EDGE", subjects: ["edge.>"] });
      const ack = await jetstream(nc).publish("edge.1", "stored");
      expect(ack).toMatchObject({ stream: "EDGE", seq: 1 });
    } finally {
      await nc.close();
    }
    expect(existsSync(join(dir, "datastore"))).toBe(true);
    await stopWithSigterm(p);
  });

  test("natsedge -c js.conf without JS_KEY fails naming the variable and the line", async () => {
    const dir = workdir();
    copyFileSync(SEED_JS_CONF, join(dir, "js.conf"));
    const p = run(bin, ["-c", "js.conf"], { cwd: dir, env: env({}) });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain("js.conf:2:6: variable reference for 'JS_KEY' on line 2 can not be found");
  });

  test("serves a real client from a config file and exits 0 on SIGTERM", async () => {
    const dir = workdir();
    writeFileSync(join(dir, "core.conf"), "server_name: $NAME\nmax_payload: 65536\n");
    const p = run(bin, ["-c", "core.conf", "-a", "127.0.0.1", "-p", "-1"], { cwd: dir, env: env({ NAME: "edge-1" }) });
    const port = await p.port();
    expect(p.output()).toContain("Name:     edge-1");
    await assertCoreNats(port);
    await stopWithSigterm(p);
  });

  test("ignores a .env and a bunfig.toml in the directory it runs in", async () => {
    const dir = workdir();
    writeFileSync(join(dir, ".env"), "FROM_DOTENV=leaked\n");
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(dir, "preload.ts"), 'console.error("BUNFIG PRELOAD RAN");\n');
    writeFileSync(join(dir, "x.conf"), "server_name: $FROM_DOTENV\n");
    const p = run(bin, ["-t", "-c", "x.conf"], { cwd: dir, env: env({}) });
    expect(await p.exited).toBe(1);
    expect(p.output()).not.toContain("BUNFIG PRELOAD RAN");
    expect(p.output()).toContain("variable reference for 'FROM_DOTENV' on line 1 can not be found");
  });

  test("idles within 40 MB of RSS with JetStream on, serving again after the idle trim", async () => {
    const dir = workdir();
    const p = run(bin, ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", join(dir, "store")], { env: env({}) });
    try {
      const port = await p.port();
      const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.proc.pid}/status`, "utf8"))![1]) / 1024;
      // Untrimmed the executable idles at ~47 MB, most of it Bun's code pages touched at startup; the trim
      // runs a second after ready.
      const deadline = Date.now() + 10_000;
      while (rss() > 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(rss()).toBeLessThanOrEqual(40);
      await assertCoreNats(port);
    } finally {
      await stopWithSigterm(p);
    }
  }, 30_000);
});
