/**
 * natsedge as a leaf of a nats-server 2.9.10 hub that requires TLS with client certificates: the hub's plain
 * INFO asks for TLS, natsedge upgrades (Runtime's startClientTLS) and presents its certificate.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { testCerts } from "../_helpers/certs.ts";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeLeafz, freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();
const certs = testCerts();

async function tlsHub(): Promise<{ leafPort: number; httpPort: number; clientPort: number }> {
  const leafPort = await freePort();
  const httpPort = await freePort();
  const hub = own(
    await startNatsServer(`server_name: hub
http: "127.0.0.1:${httpPort}"
leafnodes {
  listen: "127.0.0.1:${leafPort}"
  tls { cert_file: "${certs.server.cert}", key_file: "${certs.server.key}", ca_file: "${certs.ca}", verify: true, timeout: 2 }
}`),
  );
  return { leafPort, httpPort, clientPort: hub.port };
}

describe("natsedge leaf -> nats-server hub over mutual TLS", () => {
  test("links with a client certificate and carries messages", async () => {
    const hub = await tlsHub();
    const edge = own(
      await runServer({
        config: `server_name: edge1
leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", tls { cert_file: "${certs.client.cert}", key_file: "${certs.client.key}", ca_file: "${certs.ca}" } } ] }`,
      }),
    );
    await until(async () => (await httpLeafz(hub.httpPort)).length === 1 && edgeLeafz(edge).length === 1, "the TLS link");
    const hnc = own(await connect({ servers: `127.0.0.1:${hub.clientPort}`, reconnect: false }));
    const enc = own(await client(edge));
    const got: string[] = [];
    enc.subscribe("secure.x", { callback: (_e, m) => void got.push(m.string()) });
    await enc.flush();
    await until(async () => hasInterest(await httpLeafz(hub.httpPort), "secure.x"), "interest over TLS");
    hnc.publish("secure.x", "sealed");
    await until(() => got.length === 1, "the message over TLS");
    expect(got).toEqual(["sealed"]);
  });

  test("without a client certificate the hub refuses; natsedge logs it and stays up", async () => {
    const hub = await tlsHub();
    const edge = own(
      await runServer({
        config: `server_name: edge1
leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", tls { ca_file: "${certs.ca}" } } ] }`,
      }),
    );
    await until(() => edge.logs.filter((l) => /Leafnode connection closed: /.test(l)).length >= 2, "two refused attempts");
    expect(edgeLeafz(edge)).toEqual([]);
    expect((await httpLeafz(hub.httpPort)).length).toBe(0);
  });
});

describe("nats-server leaf -> natsedge hub over mutual TLS", () => {
  /** A natsedge hub whose leaf listener has `tls { <server cert and key> <extra> }`. */
  async function tlsEdgeHub(extra = `ca_file: "${certs.ca}", verify: true`): Promise<{ leafPort: number; srv: Awaited<ReturnType<typeof runServer>> }> {
    const leafPort = await freePort();
    const srv = own(
      await runServer({
        config: `server_name: ehub
leafnodes {
  listen: "127.0.0.1:${leafPort}"
  tls { cert_file: "${certs.server.cert}", key_file: "${certs.server.key}", ${extra} }
}`,
      }),
    );
    return { leafPort, srv };
  }

  test("the leaf upgrades after natsedge's INFO, presents its certificate and links", async () => {
    const hub = await tlsEdgeHub();
    const leafHttp = await freePort();
    const leaf = own(
      await startNatsServer(`server_name: leaf1
http: "127.0.0.1:${leafHttp}"
leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", tls { cert_file: "${certs.client.cert}", key_file: "${certs.client.key}", ca_file: "${certs.ca}" } } ] }`),
    );
    await until(async () => edgeLeafz(hub.srv).length === 1 && (await httpLeafz(leafHttp)).length === 1, "the TLS link");
    const lnc = own(await connect({ servers: `127.0.0.1:${leaf.port}`, reconnect: false }));
    const got: string[] = [];
    lnc.subscribe("to.leaf", { callback: (_e, m) => void got.push(m.string()) });
    await lnc.flush();
    await until(() => hasInterest(edgeLeafz(hub.srv), "to.leaf"), "interest over TLS");
    const hnc = own(await client(hub.srv));
    hnc.publish("to.leaf", "sealed");
    await until(() => got.length === 1, "the message over TLS");
  });

  // Deno's TLS stack (rustls) keeps its own suites: the hub says so rather than pretend to apply them.
  test.if("Deno" in globalThis)("on Deno, leafnodes cipher_suites is accepted with a warning that it is not applied", async () => {
    const { srv } = await tlsEdgeHub(`cipher_suites: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]`);
    expect(srv.logs.some((l) => /\[WRN\] leafnodes cipher_suites \["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"\] accepted but not applied/.test(l))).toBe(true);
  });

  test("a leaf without a client certificate is refused at the handshake; natsedge stays up", async () => {
    const hub = await tlsEdgeHub();
    const leaf = own(
      await startNatsServer(`server_name: leaf1
leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", tls { ca_file: "${certs.ca}" } } ] }`),
    );
    await until(() => hub.srv.logs.filter((l) => l.includes("TLS handshake error")).length >= 2, "two refused handshakes");
    expect(edgeLeafz(hub.srv)).toEqual([]);
    // The leaf sees its link close each time rather than come up.
    expect(leaf.logs.some((l) => l.includes("Leafnode connection closed"))).toBe(true);
  });
});
