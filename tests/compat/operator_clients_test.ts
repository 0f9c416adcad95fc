/**
 * Operator mode with the Go and C clients: natsgo_operator/main.go (nats.UserCredentials) and
 * libnats/operator.c (natsOptions_SetUserCredentialsFromFiles) connect users of two JWT accounts from .creds
 * files made by @nats-io/jwt, check isolation, a stream import with a prefix and a service import, and that a
 * user of an account the resolver does not have is refused. Both run against natsedge and nats-server 2.9.10
 * with the same config.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { BUILD_TIMEOUT_MS, buildCProgram, buildGoProgram, checkFailures, RUN_TIMEOUT_MS, scratchDir } from "../_helpers/compat_programs.ts";
import { OperatorSetup } from "../_helpers/operator.ts";

const dir = scratchDir("natsedge-operator-clients-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let conf = "";
const creds: string[] = [];

beforeAll(async () => {
  const setup = await OperatorSetup.create();
  const a = await setup.account("A", {
    exports: [{ name: "events", subject: "a.events.>", type: "stream" }, { name: "svc", subject: "a.svc", type: "service" }],
  });
  const b = await setup.account("B", {
    imports: [
      { name: "events", subject: "a.events.>", account: a.pub, type: "stream", to: "fromA" },
      { name: "svc", subject: "a.svc", account: a.pub, type: "service", local_subject: "svc" },
    ],
  });
  const stranger = await setup.account("X", {}, false);
  for (const [name, acc] of [["a", a], ["b", b], ["stranger", stranger]] as const) {
    const path = join(dir, `${name}.creds`);
    writeFileSync(path, (await setup.user(acc)).creds, { mode: 0o600 });
    creds.push(path);
  }
  conf = setup.conf("memory");
});

type Target = "natsedge" | "nats-server";

async function withServer(target: Target, fn: (url: string) => Promise<void>): Promise<void> {
  const srv = target === "natsedge"
    ? await (async () => {
      const file = join(dir, "server.conf");
      writeFileSync(file, conf);
      return runServerFromArgs(["-c", file, "-a", "127.0.0.1"]);
    })()
    : await startNatsServer(conf);
  try {
    await fn(`nats://127.0.0.1:${srv.port}`);
  } finally {
    await srv.close();
  }
}

const targets: Target[] = existsSync("/usr/sbin/nats-server") || process.env.NATS_SERVER ? ["natsedge", "nats-server"] : ["natsedge"];
let goBin: Promise<string> | undefined;
let cBin: Promise<string> | undefined;

for (const target of targets) {
  test(`nats.go with user credentials passes the operator checks against ${target}`, async () => {
    const bin = await (goBin ??= buildGoProgram("natsgo_operator", dir));
    await withServer(target, async (url) => {
      expect(await checkFailures([bin, url, ...creds], 5)).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);

  test(`libnats with user credentials passes the operator checks against ${target}`, async () => {
    const bin = await (cBin ??= buildCProgram("operator.c", dir));
    await withServer(target, async (url) => {
      expect(await checkFailures([bin, url, ...creds], 5)).toEqual([]);
    });
  }, BUILD_TIMEOUT_MS + RUN_TIMEOUT_MS);
}
