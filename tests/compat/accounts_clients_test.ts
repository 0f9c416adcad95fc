/**
 * Accounts with the Go and C clients: natsgo_accounts/main.go (nats.go from Debian, built offline) and
 * libnats/accounts.c (libnats-dev) run isolation, a stream import with a prefix, requests through a service
 * import and a subject mapping, each printing one JSON line per check. Both run against natsedge and against
 * nats-server 2.9.10 with the same config, so a check that is wrong about nats-server fails there.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { scratchDir } from "../_helpers/certs.ts";

const GOPATH = "/usr/share/gocode";
const BUILD_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 30_000;

const CONF = `
accounts {
  A: {
    users: [ {user: a, password: a} ]
    exports: [ {stream: "a.events.>"}, {service: "a.svc"} ]
    mappings: { "map.*": "mapped.$1" }
  }
  B: {
    users: [ {user: b, password: b} ]
    imports: [
      {stream: {account: A, subject: "a.events.>"}, prefix: fromA}
      {service: {account: A, subject: "a.svc"}, to: svc}
    ]
  }
}
`;

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = scratchDir(prefix);
  scratch.push(d);
  return d;
}

async function spawnOk(cmd: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<void> {
  const proc = Bun.spawn(cmd, { ...opts, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}):\n${out}${err}`);
}

const builds = new Map<string, Promise<string>>();

function buildGo(): Promise<string> {
  const b = builds.get("go") ?? (async () => {
    if (Bun.which("go") === null || !existsSync(join(GOPATH, "src/github.com/nats-io/nats.go"))) {
      throw new Error("building tests/compat/natsgo_accounts needs: apt-get install golang-go golang-github-nats-io-go-nats-dev");
    }
    const bin = join(tempDir("natsedge-natsgo-accounts-"), "natsgo_accounts");
    await spawnOk(["go", "build", "-trimpath", "-o", bin, "."], {
      cwd: join(import.meta.dir, "natsgo_accounts"),
      env: {
        ...process.env,
        GO111MODULE: "off",
        GOPATH,
        GOPROXY: "off",
        GOFLAGS: "",
        CGO_ENABLED: "0",
        GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "natsedge-natsgo-gocache"),
      },
    });
    return bin;
  })();
  builds.set("go", b);
  return b;
}

function buildC(): Promise<string> {
  const b = builds.get("c") ?? (async () => {
    if (Bun.which("gcc") === null || !existsSync("/usr/include/nats/nats.h")) {
      throw new Error("building tests/compat/libnats/accounts.c needs: apt-get install gcc libnats-dev");
    }
    const bin = join(tempDir("natsedge-libnats-accounts-"), "accounts");
    await spawnOk(["gcc", "-Wall", "-o", bin, join(import.meta.dir, "libnats", "accounts.c"), "-lnats"]);
    return bin;
  })();
  builds.set("c", b);
  return b;
}

/** The failing checks and problems of one run; empty when every check passed and the last one was reached. */
async function failures(cmd: string[]): Promise<string[]> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), RUN_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const problems: string[] = [];
  const checks: string[] = [];
  for (const line of out.split("\n").filter((l) => l.trim() !== "")) {
    const r = JSON.parse(line) as { check: string; ok: boolean; err: string };
    checks.push(r.check);
    if (!r.ok) problems.push(`${r.check}: ${r.err}`);
  }
  if (!checks.includes("done")) problems.push(`stopped early (exit ${code}): ${err.trim()}`);
  if (checks.length < 4) problems.push(`only ${checks.length} checks ran`);
  return problems;
}

type Target = "natsedge" | "nats-server";

/** Runs `fn` with the port of a server of `target` serving CONF. */
async function withServer(target: Target, fn: (port: number) => Promise<void>): Promise<void> {
  if (target === "natsedge") {
    const file = join(tempDir("natsedge-accounts-conf-"), "server.conf");
    writeFileSync(file, CONF);
    const srv = await runServerFromArgs(["-c", file, "-a", "127.0.0.1"]);
    try {
      await fn(srv.port);
    } finally {
      await srv.close();
    }
    return;
  }
  const ref = await startNatsServer(CONF);
  try {
    await fn(ref.port);
  } finally {
    await ref.close();
  }
}

const targets: Target[] = existsSync("/usr/sbin/nats-server") || process.env.NATS_SERVER ? ["natsedge", "nats-server"] : ["natsedge"];

for (const target of targets) {
  test(`nats.go's account checks pass against ${target}`, async () => {
    const bin = await buildGo();
    await withServer(target, async (port) => {
      expect(await failures([bin, `nats://127.0.0.1:${port}`])).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);

  test(`libnats's account checks pass against ${target}`, async () => {
    const bin = await buildC();
    await withServer(target, async (port) => {
      expect(await failures([bin, `nats://a:a@127.0.0.1:${port}`, `nats://b:b@127.0.0.1:${port}`])).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);
}
