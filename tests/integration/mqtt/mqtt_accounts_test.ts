// MQTT with accounts configured: MQTT sessions route on the global account only for now, so a user of another
// account is refused (CONNACK "not authorized") rather than given the global account's subjects; a global
// user connects as before. natsedge only: nats-server binds MQTT users to their accounts.
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { startWithOptions, type ServerHandle } from "../../../mod.ts";
import { loadOptions } from "../../../src/config/load.ts";
import { scratchDir } from "../../_helpers/certs.ts";
import { natsedgeOnly } from "../../_helpers/security.ts";

describe("MQTT beside accounts", () => {
  const dir = scratchDir("natsedge-mqtt-accounts-");
  let srv: ServerHandle;
  let mqttPort = 0;
  const logs: string[] = [];
  beforeAll(async () => {
    const file = join(dir, "server.conf");
    writeFileSync(file, `
server_name: mqtt_accounts
jetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }
mqtt { host: 127.0.0.1, port: -1 }
accounts { A: { users: [ {user: a, password: a} ] } }
authorization { users: [ {user: g, password: g} ] }`);
    const loaded = loadOptions(["-c", file, "-a", "127.0.0.1", "-p", "-1"], process.env, (p) => readFileSync(p, "utf8"));
    if (loaded.action !== "run") throw new Error("config does not run");
    srv = await startWithOptions(loaded.options, (l) => logs.push(l), loaded.warnings);
    const m = logs.map((l) => /Listening for MQTT clients on mqtt:\/\/.*:(\d+)$/.exec(l)).find((x) => x !== null);
    mqttPort = Number(m![1]);
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  natsedgeOnly("a user of the global account connects; a user of account A is refused", async () => {
    const g = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0, username: "g", password: "g" });
    await g.endAsync();
    const refused = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0, username: "a", password: "a" }).then(
      async (c) => {
        await c.endAsync();
        return null;
      },
      (e: Error) => e,
    );
    expect(refused?.message).toMatch(/Not authorized/i);
    expect(logs.some((l) => l.includes('MQTT for account "A" is not supported by natsedge yet'))).toBe(true);
  });
});
