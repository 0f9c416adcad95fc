/**
 * The embedding API (mod.ts): a server from options or a config string, stats, and in-process connections
 * (raw, and the official nats.js client through its transport factory) that share subjects with TCP clients.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { ConfigError, ReloadError, startServer, type ServerHandle, type StartOptions } from "../../mod.ts";
import { connect } from "@nats-io/transport-node";
import { testCerts } from "../_helpers/certs.ts";

const tcpClient = (srv: ServerHandle) => connect({ servers: `127.0.0.1:${srv.port}`, reconnect: false });

const handles: ServerHandle[] = [];
async function start(opts: StartOptions = {}): Promise<ServerHandle & { logs: string[] }> {
  const logs: string[] = [];
  const h = await startServer({ host: "127.0.0.1", port: -1, logSink: (l) => logs.push(l), ...opts });
  handles.push(h);
  return Object.assign(h, { logs });
}
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
});

/** Reads an in-process socket until `pred` holds for everything received. */
async function readUntil(sock: AsyncIterable<Uint8Array>, pred: (s: string) => boolean): Promise<string> {
  let got = "";
  for await (const chunk of sock) {
    got += new TextDecoder().decode(chunk);
    if (pred(got)) return got;
  }
  return got;
}

describe("startServer", () => {
  test("starts from a config string, resolving $variables from env, with direct options winning", async () => {
    const srv = await start({
      config: "server_name: $NAME\nmax_payload: 2048\nmax_connections: 5\n",
      env: { NAME: "edge-7" },
      max_connections: 9,
    });
    expect(srv.server.name).toBe("edge-7");
    expect(srv.server.options.max_payload).toBe(2048);
    expect(srv.server.options.max_connections).toBe(9);
    const nc = await tcpClient(srv);
    expect(nc.info?.server_name).toBe("edge-7");
    expect(nc.info?.max_payload).toBe(2048);
    await nc.close();
  });

  test("rejects a config string that does not parse with a ConfigError naming the line", async () => {
    const err = await startServer({ config: "port: 4222\nmax_payload: [\n", logSink: () => {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err.message)).toMatch(/^<config>:\d+:\d+: /);
  });

  test("rejects a config whose $variable is not in env", async () => {
    const err = await startServer({ config: "server_name: $MISSING\n", env: {}, logSink: () => {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("variable reference for 'MISSING' on line 1 can not be found");
  });

  test("stats() counts connections, subscriptions and messages", async () => {
    const srv = await start();
    expect(srv.stats()).toMatchObject({ connections: 0, totalConnections: 0, inMsgs: 0 });
    const nc = await srv.connectInProcess();
    const sub = nc.subscribe("stats.>");
    nc.publish("stats.a", "12345");
    await nc.flush();
    const s = srv.stats();
    expect(s.connections).toBe(1);
    expect(s.totalConnections).toBe(1);
    expect(s.subscriptions).toBeGreaterThanOrEqual(1);
    expect(s.inMsgs).toBe(1);
    expect(s.inBytes).toBe(5);
    sub.unsubscribe();
    await nc.close();
  });
});

describe("reload and lame duck", () => {
  test("reload() lays new options over the started ones: new connections see them, the bound port stays", async () => {
    const srv = await start({ config: "max_payload: 4096\n" });
    await srv.reload({ max_payload: 8192 });
    expect(srv.server.options.max_payload).toBe(8192);
    const nc = await srv.connectInProcess();
    expect(nc.info?.max_payload).toBe(8192);
    expect(nc.info?.port).toBe(srv.port);
    await nc.close();
  });

  test("reload() of an option that cannot change at run time rejects with ReloadError and applies nothing", async () => {
    const srv = await start();
    const err = await srv.reload({ host: "0.0.0.0", max_payload: 1234 }).catch((e) => e);
    expect(err).toBeInstanceOf(ReloadError);
    expect(srv.server.options.max_payload).not.toBe(1234);
  });

  test("lameDuck() stops accepting, closes in-process clients, and resolves once the server has shut down", async () => {
    const srv = await start({ lame_duck_duration: 1500, lame_duck_grace_period: 500 });
    const nc = await srv.connectInProcess();
    const closed = nc.closed();
    await srv.lameDuck();
    handles.splice(handles.indexOf(srv), 1);
    await closed;
    expect(() => srv.connect()).toThrow("natsedge is not accepting connections");
    expect(srv.stats().connections).toBe(0);
  });
});

describe("in-process connections", () => {
  test("a raw in-process socket gets INFO and answers PING with PONG", async () => {
    const srv = await start();
    const sock = srv.connect();
    const info = await readUntil(sock, (s) => s.includes("\r\n"));
    expect(info).toMatch(/^INFO \{.*"client_ip":"inprocess".*\} ?\r\n$/);
    sock.write('CONNECT {"verbose":false}\r\nPING\r\n');
    expect(await readUntil(sock, (s) => s.includes("PONG"))).toBe("PONG\r\n");
    sock.close();
    await sock.closed;
  });

  test("the nats.js client over the in-process transport exchanges messages with a TCP client", async () => {
    const srv = await start();
    const inproc = await srv.connectInProcess({ name: "edge-fn" });
    const tcp = await tcpClient(srv);
    // TCP -> in-process, request/reply in-process -> TCP, and in-process -> in-process
    const echo = tcp.subscribe("svc.upper");
    void (async () => {
      for await (const m of echo) m.respond(m.string().toUpperCase());
    })();
    const got = inproc.subscribe("feed.>", { max: 100 });
    await inproc.flush();
    for (let i = 0; i < 100; i++) tcp.publish(`feed.${i}`, `v${i}`);
    const seen: string[] = [];
    for await (const m of got) seen.push(m.string());
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
    expect((await inproc.request("svc.upper", "quiet", { timeout: 5000 })).string()).toBe("QUIET");
    const self = inproc.subscribe("loop", { max: 1 });
    inproc.publish("loop", new Uint8Array(200_000).fill(7));
    for await (const m of self) expect(m.data.length).toBe(200_000);
    await inproc.close();
    await tcp.close();
  });

  test("an in-process client is closed when the server closes", async () => {
    const srv = await start();
    const nc = await srv.connectInProcess();
    const closed = nc.closed();
    await srv.close();
    handles.splice(handles.indexOf(srv), 1);
    await closed;
    expect(nc.isClosed()).toBe(true);
  });

  test("connecting in process after close fails, and TLS over an in-process connection is refused", async () => {
    const srv = await start();
    await expect(srv.connectInProcess({ tls: {} })).rejects.toThrow(/TLS is not available on an in-process connection/);
    await srv.close();
    handles.splice(handles.indexOf(srv), 1);
    expect(() => srv.connect()).toThrow("natsedge is not accepting connections");
    await expect(srv.connectInProcess()).rejects.toThrow("natsedge is not accepting connections");
  });

  test("a server that requires TLS closes an in-process connection at once rather than serve it in plaintext", async () => {
    const certs = testCerts();
    const srv = await start({ tls: { cert_file: certs.server.cert, key_file: certs.server.key, timeout: 10_000 } });
    const sock = srv.connect();
    const t0 = Date.now();
    const got = await readUntil(sock, () => false);
    await sock.closed;
    expect(got).toMatch(/^INFO \{.*"tls_required":true.*\} ?\r\n$/);
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(srv.connectInProcess()).rejects.toThrow();
  });

  test("an in-process reader that stops reading becomes a slow consumer instead of growing memory", async () => {
    const srv = await start({ max_pending: 256 * 1024, max_payload: 64 * 1024, write_deadline: 500 });
    const sock = srv.connect();
    sock.write('CONNECT {"verbose":false}\r\nSUB big 1\r\nPING\r\n');
    await readUntil(sock, (s) => s.includes("PONG"));
    // From here nothing reads `sock`: the pipe fills (1 MiB), then the server's pending buffer.
    const pub = await tcpClient(srv);
    const payload = new Uint8Array(32 * 1024);
    for (let i = 0; i < 200 && srv.stats().slowConsumers === 0; i++) {
      pub.publish("big", payload);
      await pub.flush();
    }
    expect(srv.stats().slowConsumers).toBe(1);
    await sock.closed;
    await pub.close();
  });

  test("a hono handler publishes to and requests from the embedded broker, with no socket listening", async () => {
    const srv = await start({ port: -1 });
    const nc = await srv.connectInProcess();
    const inventory = nc.subscribe("inventory.get");
    void (async () => {
      for await (const m of inventory) m.respond(JSON.stringify({ sku: m.string(), count: 3 }));
    })();
    const events = nc.subscribe("orders.created", { max: 1 });

    const app = new Hono();
    app.post("/orders", async (c) => {
      nc.publish("orders.created", await c.req.text());
      return c.json({ queued: true }, 202);
    });
    app.get("/stock/:sku", async (c) => {
      const r = await nc.request("inventory.get", c.req.param("sku"), { timeout: 2000 });
      return c.json(r.json());
    });

    const posted = await app.request("/orders", { method: "POST", body: '{"sku":"A1"}' });
    expect(posted.status).toBe(202);
    for await (const m of events) expect(m.json()).toEqual({ sku: "A1" });
    const stock = await app.request("/stock/A1");
    expect(await stock.json()).toEqual({ sku: "A1", count: 3 });
    await nc.close();
  });
});
