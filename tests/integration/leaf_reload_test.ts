/**
 * Reloading the leafnodes block as nats-server 2.9.10 allows it: TLS certificate material (the listener's and
 * the remotes') changes at run time and the next link uses it; any other change, such as a new remote, fails
 * the whole reload with nats-server's "config reload not supported for LeafNode" and nothing changes.
 */
import { describe, expect, test } from "bun:test";
import { testCerts } from "../_helpers/certs.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();
const certs = testCerts();

function hubConf(leafPort: number, pair: { cert: string; key: string }): string {
  return `server_name: edgehub\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n tls { cert_file: "${pair.cert}", key_file: "${pair.key}", timeout: 2 }\n}`;
}

describe("leafnodes reload", () => {
  test("a new listener certificate is used by the next leaf: a refused leaf links after the reload", async () => {
    const leafPort = await freePort();
    // The email certificate is for clients only (clientAuth): a leaf that verifies the hub refuses it.
    const hub = own(await runServer({ config: hubConf(leafPort, certs.email) }));
    const http = await freePort();
    own(
      await startNatsServer(
        `server_name: leaf1\nhttp: "127.0.0.1:${http}"\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://localhost:${leafPort}", tls { ca_file: "${certs.ca}" } } ] }`,
      ),
    );
    await until(() => hub.logs.some((l) => /TLS handshake error/.test(l)), "the refused handshake");
    expect(edgeLeafz(hub)).toEqual([]);
    await hub.reload({ config: hubConf(leafPort, certs.server) });
    expect(hub.logs.some((l) => l.includes("Reloaded: leafnode TLS"))).toBe(true);
    await until(async () => edgeLeafz(hub).length === 1 && (await httpLeafz(http)).length === 1, "the link with the new certificate");
  });

  test("adding a remote is refused with nats-server's message and the running block stays", async () => {
    const leafPort = await freePort();
    const hub = own(await runServer({ config: hubConf(leafPort, certs.server) }));
    const withRemote = hubConf(leafPort, certs.server).replace("\n}", `\n remotes = [ { url: "nats-leaf://127.0.0.1:1" } ]\n}`);
    await expect(hub.reload({ config: withRemote })).rejects.toThrow("config reload not supported for LeafNode");
    expect(hub.server.options.leafnodes?.remotes).toBeUndefined();
  });

  test("a reload of other options leaves the leaf links alone", async () => {
    const leafPort = await freePort();
    const hub = own(await runServer({ config: hubConf(leafPort, certs.server) }));
    await hub.reload({ config: `${hubConf(leafPort, certs.server)}\nmax_payload: 65536` });
    expect(hub.logs.some((l) => l.includes("Reloaded: leafnode TLS"))).toBe(false);
  });
});
