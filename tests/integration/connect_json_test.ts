/**
 * A CONNECT whose argument is not a JSON object, on the client, route and leafnode ports of natsedge and of
 * nats-server 2.9.10 with the same config. `null` is taken as `{}` (Go's json.Unmarshal leaves the struct as
 * it was): a client gets its +OK and PONG, a route is refused for its empty cluster name, a leaf gets its
 * second INFO. A number, an array or broken JSON closes that connection with nothing said, and the server
 * goes on serving.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { scratchDir } from "../_helpers/certs.ts";
import { TARGETS, withConfServer } from "../_helpers/compat_targets.ts";
import { freePort } from "../_helpers/leaf.ts";
import { expectRoundTrip } from "../_helpers/security.ts";
import { RawConn } from "../_helpers/server.ts";

const dir = scratchDir("natsedge-connect-json-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the connection received after its INFO, and whether it was closed, for `CONNECT arg` then PING. */
async function answer(port: number, arg: string): Promise<string> {
  const c = await RawConn.open(port);
  try {
    await c.waitFor("INFO ");
    c.clear();
    c.send(`CONNECT ${arg}\r\nPING\r\n`);
    const closed = await c.waitClosed(2000).then(
      () => true,
      () => false,
    );
    const said = c.received.replace(/^INFO \{.*\}\s*\r\n/, "INFO\r\n");
    return `${said}${closed ? "<closed>" : "<open>"}`;
  } finally {
    c.close();
  }
}

describe("CONNECT that is not a JSON object", () => {
  for (const target of TARGETS) {
    test(`client, route and leafnode ports of ${target}`, async () => {
      const [routePort, leafPort] = [await freePort(), await freePort()];
      const conf = `cluster { name: wire, listen: "127.0.0.1:${routePort}" }\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`;
      await withConfServer(target, conf, dir, async (url) => {
        const clientPort = Number(new URL(url).port);
        expect(await answer(clientPort, "null")).toBe("+OK\r\nPONG\r\n<open>");
        expect(await answer(routePort, "null")).toBe(`-ERR 'Rejecting connection, cluster name "" does not match "wire"'\r\n<closed>`);
        expect(await answer(leafPort, "null")).toMatch(/^INFO\r\n/);
        for (const port of [clientPort, routePort, leafPort]) {
          for (const arg of ["5", "[1]", '"text"', "{bad"]) expect(`${port} ${arg}: ${await answer(port, arg)}`).toBe(`${port} ${arg}: <closed>`);
        }
        const nc = await connect({ servers: url, reconnect: false });
        await expectRoundTrip(nc);
        await nc.close();
      });
    }, 30_000);
  }
});
