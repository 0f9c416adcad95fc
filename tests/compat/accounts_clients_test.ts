/**
 * Accounts with the Go and C clients: natsgo_accounts/main.go (nats.go from Debian, built offline) and
 * libnats/accounts.c (libnats-dev) run isolation, a stream import with a prefix, requests through a service
 * import and a subject mapping, each printing one JSON line per check. Both run against natsedge and against
 * nats-server 2.9.10 with the same config, so a check that is wrong about nats-server fails there.
 */
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BUILD_TIMEOUT_MS, buildCProgram, buildGoProgram, checkFailures, RUN_TIMEOUT_MS, scratchDir } from "../_helpers/compat_programs.ts";
import { type Target, TARGETS, withConfServer } from "../_helpers/compat_targets.ts";

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

const withServer = (target: Target, fn: (url: string) => Promise<void>) => withConfServer(target, CONF, tempDir("natsedge-accounts-conf-"), fn);
/** The URL with a user's credentials in it, as libnats takes them. */
const as = (user: string, url: string) => url.replace("nats://", `nats://${user}:${user}@`);

for (const target of TARGETS) {
  test(`nats.go's account checks pass against ${target}`, async () => {
    const bin = await buildGo();
    await withServer(target, async (url) => {
      expect(await failures([bin, url])).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);

  test(`libnats's account checks pass against ${target}`, async () => {
    const bin = await buildC();
    await withServer(target, async (url) => {
      expect(await failures([bin, as("a", url), as("b", url)])).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);
}
