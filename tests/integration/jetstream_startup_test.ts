/**
 * Startup with JetStream through the natsedge executable: the client port opens only once the streams are
 * restored, as nats-server's does. A client that got in earlier was greeted with an INFO without server_id
 * or version (nats.js stops reading on it) and its JetStream requests had no responders — after a kill -9,
 * reconnecting clients race the restore every time.
 */
import { afterEach, expect, test } from "bun:test";
import { connect as tcpConnect } from "node:net";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { CliChild } from "../_helpers/cli_child.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { freePort } from "../_helpers/leaf.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { sleep } from "../_helpers/spawn.ts";

const own = useCleanup();
let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

/** The first protocol line a connection to `port` receives; rejects when the connection is refused. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: "127.0.0.1", port });
    let buf = "";
    s.setEncoding("latin1");
    s.on("error", reject);
    s.on("close", () => reject(new Error("closed before a line")));
    s.on("data", (d: string) => {
      buf += d;
      const eol = buf.indexOf("\r\n");
      if (eol < 0) return;
      resolve(buf.slice(0, eol));
      s.destroy();
    });
  });
}

test("clients are accepted only once streams are restored: every INFO during startup is complete", async () => {
  dir = scratchDir("natsedge-jsstart-");
  const port = await freePort();
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", join(dir, "store")];
  const first = own(await CliChild.start(args));
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "BOOT", subjects: ["boot.>"] });
  await nc.close();
  await first.close();

  const infos: string[] = [];
  let starting = true;
  const probe = (async () => {
    while (starting) {
      await firstLine(port).then((l) => infos.push(l), () => {});
      await sleep(1);
    }
    infos.push(await firstLine(port));
  })();
  own(await CliChild.start(args));
  starting = false;
  await probe;

  for (const line of infos) {
    expect(line.startsWith("INFO ")).toBe(true);
    const info = JSON.parse(line.slice(5)) as Record<string, unknown>;
    expect(info).toMatchObject({ version: expect.any(String), server_id: expect.any(String), jetstream: true });
  }
  const nc2 = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  expect((await (await jetstreamManager(nc2)).streams.info("BOOT")).config.name).toBe("BOOT");
  await nc2.close();
}, 30_000);
