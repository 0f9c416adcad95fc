/**
 * The system account's answers and events as Go tools read them: natsgo_sys/main.go (nats.go from Debian,
 * built offline) decodes STATSZ (asked and pushed), JSZ, ACCOUNTZ, SUBSZ, LEAFZ, GATEWAYZ, an account's JSZ,
 * INFO (exports and imports) and CONNS, and a service latency measure into copies of nats-server 2.9.10's structs with unknown fields
 * refused. It runs against natsedge and against nats-server 2.9.10 with the same config, so a struct that is
 * wrong about nats-server fails there.
 */
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { BUILD_TIMEOUT_MS, buildGoProgram, checkFailures, RUN_TIMEOUT_MS, scratchDir } from "../_helpers/compat_programs.ts";
import { type Target, TARGETS, withConfServer } from "../_helpers/compat_targets.ts";

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = scratchDir(prefix);
  scratch.push(d);
  return d;
}

const conf = (storeDir: string) => `
jetstream { store_dir: ${JSON.stringify(storeDir)} }
accounts {
  A: {
    users: [ {user: a, password: a} ]
    jetstream: enabled
    exports: [ {service: "svc.>", latency: { sampling: 100, subject: "lat.svc" }} ]
  }
  B: { users: [ {user: b, password: b} ], imports: [ {service: {account: A, subject: "svc.>"}, share: true} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS
`;

let goBin: Promise<string> | undefined;
const buildGo = () => (goBin ??= buildGoProgram("natsgo_sys", tempDir("natsedge-natsgo-sys-")));

function withServer(target: Target, fn: (url: string) => Promise<void>): Promise<void> {
  const dir = tempDir("natsedge-sys-conf-");
  return withConfServer(target, conf(join(dir, "js")), dir, fn);
}

for (const target of TARGETS) {
  test(`nats.go decodes the system account's answers and events into nats-server's structs against ${target}`, async () => {
    const bin = await buildGo();
    await withServer(target, async (url) => {
      expect(await checkFailures([bin, url], 11)).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);
}
