// The `mqtt {}` block's startup checks, in nats-server 2.9.10's words, and MQTT credentials going through the
// server's authorization (user and password, the password tried as a token). Run with
// NATSEDGE_REFERENCE_SERVER to check the same assertions against nats-server.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../../_helpers/certs.ts";
import { tryConnect } from "../../_helpers/mqtt_raw.ts";
import { startupError } from "../../_helpers/conf_server.ts";
import { startNatsServer } from "../../_helpers/nats_server.ts";
import { REFERENCE_SERVER } from "../../_helpers/reference_server.ts";
import { useCleanup } from "../../_helpers/scope.ts";
import { natsedgeOnly } from "../../_helpers/security.ts";
import { startServer } from "../../../mod.ts";

const own = useCleanup();
const dir = scratchDir("natsedge-mqtt-conf-");
const JS = `jetstream { store_dir: ${JSON.stringify(dir)} }`;

function confError(conf: string): Promise<string | null> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  return startupError(["-c", file]);
}

describe("startup checks", () => {
  test("MQTT needs a server_name and JetStream", async () => {
    expect(await confError(`${JS}\nmqtt { port: -1 }`)).toContain("mqtt requires server name to be explicitly set");
    expect(await confError(`server_name: s1\nmqtt { port: -1 }`)).toContain("mqtt requires JetStream to be enabled if running in standalone mode");
    expect(await confError(`server_name: s1\n${JS}\nmqtt { host: 127.0.0.1, port: -1, max_ack_pending: 100 }`)).toBeNull();
  });

  test("an unknown key is an error naming it", async () => {
    expect(await confError(`server_name: s1\n${JS}\nmqtt { port: -1, bogus: 1 }`)).toContain("bogus");
  });

  test("ack_wait is a positive duration", async () => {
    expect(await confError(`server_name: s1\n${JS}\nmqtt { port: -1, ack_wait: "-1s" }`)).toContain("ack wait must be a positive value");
    expect(await confError(`server_name: s1\n${JS}\nmqtt { port: -1, ack_wait: "1m", max_inflight: 10, stream_replicas: 1, consumer_memory_storage: true }`)).toBeNull();
  });

  test("the block's own credentials cannot sit beside a users list", async () => {
    const users = `authorization { users: [{ user: a, password: b }] }`;
    expect(await confError(`server_name: s1\n${JS}\n${users}\nmqtt { port: -1, authorization { username: u, password: p } }`)).toContain(
      "mqtt authentication username not compatible with presence of users/nkeys",
    );
    expect(await confError(`server_name: s1\n${JS}\n${users}\nmqtt { port: -1, authorization { token: t } }`)).toContain(
      "mqtt authentication token not compatible with presence of users/nkeys",
    );
  });

  natsedgeOnly("keys that would put MQTT state elsewhere are refused by name", async () => {
    expect(await confError(`server_name: s1\n${JS}\nmqtt { port: -1, js_domain: hub }`)).toContain("mqtt.js_domain is not supported by natsedge yet");
    expect(await confError(`server_name: s1\n${JS}\nmqtt { port: -1, stream_replicas: 3 }`)).toContain("mqtt.stream_replicas of 3 is not supported by natsedge");
  });
});

async function mqttPortOf(auth: string): Promise<number> {
  const conf = `server_name: s1\n${JS}\nauthorization { ${auth} }\nmqtt { host: 127.0.0.1, port: -1 }`;
  let logs: string[];
  if (REFERENCE_SERVER !== "") {
    process.env.NATS_SERVER = REFERENCE_SERVER;
    const ref = own(await startNatsServer(conf));
    logs = ref.logs;
  } else {
    logs = [];
    const sink = logs;
    own(await startServer({ config: `listen: "127.0.0.1:-1"\n${conf}`, logSink: (l) => sink.push(l) }));
  }
  const line = logs.find((l) => l.includes("Listening for MQTT clients"))!;
  return Number(/:(\d+)$/.exec(line)![1]);
}

function connectAs(port: number, username?: string, password?: string): Promise<string> {
  return tryConnect(`mqtt://127.0.0.1:${port}`, { username, password });
}

describe("MQTT credentials through the server's authorization", () => {
  test("user and password: right ones connect, wrong ones get CONNACK 5", async () => {
    const port = await mqttPortOf("user: dev, password: s3cret");
    expect(await connectAs(port, "dev", "s3cret")).toBe("ok");
    expect(await connectAs(port, "dev", "wrong")).toContain("Not authorized");
    expect(await connectAs(port)).toContain("Not authorized");
  });

  test("the password is also tried as a token", async () => {
    const port = await mqttPortOf("token: t0ken");
    expect(await connectAs(port, "anyone", "t0ken")).toBe("ok");
    expect(await connectAs(port, "anyone", "nope")).toContain("Not authorized");
  });
});
