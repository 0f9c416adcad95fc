/**
 * Accounts with the Go and C clients: natsgo_accounts/main.go (nats.go from Debian, built offline) and
 * libnats/accounts.c (libnats-dev) run isolation, a stream import with a prefix, requests through a service
 * import and a subject mapping, each printing one JSON line per check. Both run against natsedge and against
 * nats-server 2.9.10 with the same config, so a check that is wrong about nats-server fails there.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { BUILD_TIMEOUT_MS, buildCProgram, buildGoProgram, checkFailures, RUN_TIMEOUT_MS, scratchDir } from "../_helpers/compat_programs.ts";

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

let goBin: Promise<string> | undefined;
let cBin: Promise<string> | undefined;
const buildGo = () => (goBin ??= buildGoProgram("natsgo_accounts", tempDir("natsedge-natsgo-accounts-")));
const buildC = () => (cBin ??= buildCProgram("accounts.c", tempDir("natsedge-libnats-accounts-")));
const failures = (cmd: string[]) => checkFailures(cmd, 4);

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
