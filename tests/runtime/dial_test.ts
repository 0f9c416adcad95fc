/**
 * Runtime.dial on the runtime running the test (bun test, and deno test through the bun:test shim): plain
 * and TLS connections out to natsedge and to a real nats-server 2.9.10, speaking a few protocol lines.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import tls from "node:tls";
import { detectRuntime } from "../../src/runtime/mod.ts";
import type { TLSClientConfig, TLSState } from "../../src/runtime/types.ts";
import { pem, testCerts } from "../_helpers/certs.ts";
import { connectAndPing, dial, readInfo } from "../_helpers/dialled.ts";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { runServer, type TestServer } from "../_helpers/server.ts";

const rt = await detectRuntime();
const certs = testCerts();
const trusted: TLSClientConfig = { ca: pem(certs.ca), servername: "localhost" };
const withClientCert: TLSClientConfig = { ...trusted, cert: pem(certs.client.cert), key: pem(certs.client.key) };

function handshakeOk(r: TLSState | Error): TLSState {
  if (r instanceof Error) throw new Error(`TLS handshake failed: ${r.message}`);
  return r;
}

/** A TCP port nothing listens on: bound by us a moment ago, then released. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("Runtime.dial to natsedge", () => {
  test("gets INFO and answers CONNECT and PING with PONG", async () => {
    const srv = await runServer();
    try {
      const d = await dial(rt, srv.port);
      expect(d.conn.remotePort).toBe(srv.port);
      expect(typeof (await readInfo(d)).server_id).toBe("string");
      await connectAndPing(d);
      d.conn.end();
      await d.rx.waitClosed();
    } finally {
      await srv.close();
    }
  });

  test("refused: rejects naming host:port and the cause", async () => {
    const port = await closedPort();
    const err = await dial(rt, port).then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toStartWith(`dial 127.0.0.1:${port}: `);
    expect(err!.message).toMatch(/refused|ECONNREFUSED/i);
    expect(err!.cause).toBeDefined();
  });

  test("a TLS server that never answers the handshake: the dial times out and the handler hears the close", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    let heardClose = () => {};
    const closed = new Promise<void>((r) => (heardClose = r));
    try {
      const err = await rt.dial("127.0.0.1", port, {
        tls: trusted,
        timeoutMs: 300,
        open: () => ({ onData() {}, onDrain() {}, onTLS() {}, onClose: heardClose }),
      }).then(() => null, (e: Error) => e);
      expect(err?.message).toBe(`dial 127.0.0.1:${port}: timed out after 300 ms`);
      await closed;
    } finally {
      silent.close();
    }
  });
});

// Runs everywhere: on Deno, where natsedge cannot serve TLS, it is the only successful TLS-first dial.
describe("Runtime.dial with TLS first to a node:tls server", () => {
  let srv: tls.Server;
  let port = 0;
  beforeAll(async () => {
    srv = tls.createServer({ cert: pem(certs.server.cert), key: pem(certs.server.key) }, (s) => s.end("INFO {}\r\n"));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    port = (srv.address() as net.AddressInfo).port;
  });
  afterAll(() => void srv.close());

  test("verifies the certificate, then reads what the server sent", async () => {
    const d = await dial(rt, port, { tls: trusted });
    handshakeOk(await d.tls);
    await readInfo(d);
    await d.rx.waitClosed();
  });

  test("without a servername the dialled host is checked: 127.0.0.1 is in the certificate's IP SANs", async () => {
    const d = await dial(rt, port, { tls: { ca: pem(certs.ca) } });
    handshakeOk(await d.tls);
    await d.rx.waitClosed();
  });

  test("rejectUnauthorized false: a certificate from an unknown CA is accepted, and why it did not verify is kept", async () => {
    const d = await dial(rt, port, { tls: { ca: pem(certs.untrustedCa), rejectUnauthorized: false } });
    expect(handshakeOk(await d.tls).verifyError).toBeTruthy();
    await d.rx.waitClosed();
  });

  test("a client key that does not parse rejects the dial without quoting it", async () => {
    const key = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
    const err = await dial(rt, port, { tls: { ...trusted, cert: pem(certs.client.cert), key } }).then(() => null, (e: Error) => e);
    expect(err!.message).toStartWith(`dial 127.0.0.1:${port}: TLS handshake: `);
    expect(err!.message).not.toContain("c2VjcmV0");
  });

  test("a server name the certificate does not carry rejects the dial", async () => {
    const err = await dial(rt, port, { tls: { ...trusted, servername: "nats.example.org" } }).then(() => null, (e: Error) => e);
    expect(err!.message).toStartWith(`dial 127.0.0.1:${port}: TLS handshake: `);
    expect(err!.message).toContain("nats.example.org");
  });
});

// natsedge serves TLS only where the runtime can continue an accepted socket as TLS (not on Deno).
describe.if(rt.serverTLS)("Runtime.dial to natsedge over TLS", () => {
  const tls = { cert_file: certs.server.cert, key_file: certs.server.key, ca_file: certs.ca };
  let first: TestServer;
  let upgrade: TestServer;
  beforeAll(async () => {
    first = await runServer({ tls: { ...tls, handshake_first: true } });
    upgrade = await runServer({ tls });
  });
  afterAll(async () => {
    await first.close();
    await upgrade.close();
  });

  test("TLS first (handshake_first): resolves after a verified handshake, then INFO, PING, PONG", async () => {
    const d = await dial(rt, first.port, { tls: trusted });
    expect(handshakeOk(await d.tls).version).toMatch(/^TLSv1\.[23]$/);
    expect((await readInfo(d)).tls_required).toBe(true);
    await connectAndPing(d);
    d.conn.destroy();
  });

  test("TLS first with a CA that did not sign the server: rejects with host:port and the reason, no key material", async () => {
    const err = await dial(rt, first.port, { tls: { ...withClientCert, ca: pem(certs.untrustedCa) } }).then(() => null, (e: Error) => e);
    expect(err!.message).toStartWith(`dial 127.0.0.1:${first.port}: TLS handshake: `);
    expect(err!.message).not.toContain("PRIVATE KEY");
  });

  test("plain INFO first, then startClientTLS upgrades the same connection", async () => {
    const d = await dial(rt, upgrade.port);
    expect((await readInfo(d)).tls_required).toBe(true);
    d.conn.startClientTLS(trusted);
    handshakeOk(await d.tls);
    await connectAndPing(d);
    d.conn.destroy();
  });
});

describe("Runtime.dial to nats-server 2.9.10", () => {
  let plain: NatsServerProcess;
  let verifying: NatsServerProcess;
  beforeAll(async () => {
    plain = await startNatsServer("");
    const q = JSON.stringify;
    verifying = await startNatsServer(
      `tls { cert_file: ${q(certs.server.cert)}, key_file: ${q(certs.server.key)}, ca_file: ${q(certs.ca)}, verify: true }`,
    );
  });
  afterAll(async () => {
    await plain.close();
    await verifying.close();
  });

  test("plain: INFO from 2.9.10, CONNECT, PING, PONG", async () => {
    const d = await dial(rt, plain.port);
    expect((await readInfo(d)).version).toBe("2.9.10");
    await connectAndPing(d);
    d.conn.destroy();
  });

  /** Dials, reads the plain INFO that asks for TLS, and upgrades with `cfg`. */
  async function upgraded(cfg: TLSClientConfig) {
    const d = await dial(rt, verifying.port);
    expect((await readInfo(d)).tls_required).toBe(true);
    d.conn.startClientTLS(cfg);
    return { d, result: await d.tls };
  }

  test("TLS, client certificate required and given: verified both ways, then PONG", async () => {
    const { d, result } = await upgraded(withClientCert);
    expect(handshakeOk(result).verifyError).toBeNull();
    await connectAndPing(d);
    d.conn.destroy();
  });

  test("TLS with the wrong CA: the handshake fails and the connection closes", async () => {
    const { d, result } = await upgraded({ ...withClientCert, ca: pem(certs.untrustedCa) });
    expect(result).toBeInstanceOf(Error);
    await d.rx.waitClosed();
  });

  test("TLS with a server name the certificate does not carry: the handshake fails and the connection closes", async () => {
    const { d, result } = await upgraded({ ...withClientCert, servername: "nats.example.org" });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain("nats.example.org");
    await d.rx.waitClosed();
  });

  test("TLS without the client certificate the server requires: closed before any PONG", async () => {
    // Under TLS 1.3 the client's handshake ends before the server checks the certificate; the refusal
    // arrives as an alert and a close.
    const { d } = await upgraded(trusted);
    try {
      d.send(`CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n`);
    } catch {
      // Already closed: the refusal came first.
    }
    await d.rx.waitClosed();
    expect(d.rx.text).not.toContain("PONG");
  });
});
