// The WebSocket listener (issue 18) with the official JS client's wsconnect and a hand-made WebSocket client
// for what a real client never sends. Behaviour as nats-server 2.9.10 has it (run with
// NATSEDGE_REFERENCE_SERVER to check the same assertions against it; natsedgeOnly marks where natsedge
// deliberately differs): the NATS protocol inside binary frames, origin checks answered with HTTP 403,
// permessage-deflate with no context takeover, the block's own authorization for WebSocket clients only, a
// bad frame closing only its own connection.
import { describe, expect, test } from "bun:test";
import { constants, inflateRawSync } from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as netConnect } from "node:net";
import { headers, wsconnect, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startWsServer, type WsServer } from "../_helpers/ws_server.ts";
import { RawWs } from "../_helpers/ws_raw.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { natsedgeOnly } from "../_helpers/security.ts";
import { EMAIL_IDENTITY, scratchDir, testCerts } from "../_helpers/certs.ts";
import { startupError } from "../_helpers/conf_server.ts";
import { startServer } from "../../mod.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";

const own = useCleanup();
/** wss needs a transport that serves TLS (Deno's does not yet). */
const servesTLS = (await detectRuntime()).serverTLS;
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PLAIN = "websocket { host: 127.0.0.1, port: -1, no_tls: true }";

async function server(conf: string): Promise<WsServer> {
  return own(await startWsServer(conf));
}

const ws = (srv: WsServer, opts: Record<string, unknown> = {}) => wsconnect({ servers: `ws://127.0.0.1:${srv.wsPort}`, ...opts }).then(own);
const tcp = (srv: WsServer, opts: Record<string, unknown> = {}) => connect({ servers: `127.0.0.1:${srv.port}`, ...opts }).then(own);

/** The INFO JSON a raw WebSocket client was sent first (uncompressed). */
async function rawInfo(c: RawWs): Promise<Record<string, unknown>> {
  await c.until(() => c.text.includes("\r\n"));
  const m = /^INFO (\{.*\}) ?\r\n/.exec(c.text);
  if (m === null) throw new Error(`no INFO: ${JSON.stringify(c.text.slice(0, 100))}`);
  return JSON.parse(m[1]!) as Record<string, unknown>;
}

/** A TCP connection to `port` that sends nothing; `closed` resolves when the server ends it. */
async function rawSocket(port: number): Promise<{ closed: Promise<void>; close(): void }> {
  const sock = netConnect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  sock.on("error", () => {});
  const closed = new Promise<void>((resolve) => sock.once("close", () => resolve()));
  return { closed, close: () => sock.destroy() };
}

/** Resolves once `nc` has been closed by the server (or rejects after `ms`). */
async function refusedConnect(p: Promise<NatsConnection>): Promise<string> {
  try {
    const nc = await p;
    await nc.close();
    return "connected";
  } catch (e) {
    return String(e);
  }
}

describe("the NATS protocol over WebSocket", () => {
  test("pub/sub both ways between a WebSocket client and a TCP client", async () => {
    const srv = await server(PLAIN);
    const w = await ws(srv);
    const t = await tcp(srv);
    const fromWs = t.subscribe("to.tcp", { max: 1 });
    const fromTcp = w.subscribe("to.ws", { max: 1 });
    await w.flush();
    await t.flush();
    w.publish("to.tcp", "hello tcp");
    t.publish("to.ws", "x".repeat(100_000));
    for await (const m of fromWs) expect(m.string()).toBe("hello tcp");
    for await (const m of fromTcp) expect(m.data.length).toBe(100_000);
  });

  test("headers cross from WebSocket to TCP and back", async () => {
    const srv = await server(PLAIN);
    const w = await ws(srv);
    const t = await tcp(srv);
    const atTcp = t.subscribe("h.tcp", { max: 1 });
    const atWs = w.subscribe("h.ws", { max: 1 });
    await w.flush();
    await t.flush();
    const h = headers();
    h.set("X-From", "ws");
    w.publish("h.tcp", "a", { headers: h });
    for await (const m of atTcp) {
      expect(m.headers?.get("X-From")).toBe("ws");
      const back = headers();
      back.set("X-From", "tcp");
      t.publish("h.ws", "b", { headers: back });
    }
    for await (const m of atWs) expect(m.headers?.get("X-From")).toBe("tcp");
  });

  test("request/reply: a WebSocket requester and a TCP responder, then the reverse", async () => {
    const srv = await server(PLAIN);
    const w = await ws(srv);
    const t = await tcp(srv);
    t.subscribe("svc.tcp", { callback: (_e, m) => void m.respond(`tcp:${m.string()}`) });
    w.subscribe("svc.ws", { callback: (_e, m) => void m.respond(`ws:${m.string()}`) });
    await t.flush();
    await w.flush();
    expect((await w.request("svc.tcp", "ping", { timeout: 2000 })).string()).toBe("tcp:ping");
    expect((await t.request("svc.ws", "pong", { timeout: 2000 })).string()).toBe("ws:pong");
  });

  test("INFO comes first in a binary frame; ops split across frames at any byte are one stream", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort));
    expect(c.status).toBe(101);
    await rawInfo(c);
    expect(c.frames[0]!.opcode).toBe(2);
    const script = 'CONNECT {"verbose":false,"protocol":1}\r\nSUB a 1\r\nPUB a 5\r\nhello\r\nPING\r\n';
    for (let i = 0; i < script.length; i += 7) c.send(2, script.slice(i, i + 7), { fin: true });
    await c.until(() => c.text.includes("PONG\r\n"));
    expect(c.text).toContain("MSG a 1 5\r\nhello\r\n");
  });

  test("a WebSocket client shows in /connz with type websocket, and /varz has the websocket block", async () => {
    const srv = await server(`http: "127.0.0.1:-1"\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true, handshake_timeout: "3s" }`);
    const w = await ws(srv, { name: "ws-probe" });
    await tcp(srv, { name: "tcp-probe" });
    await w.flush();
    const connz = (await (await fetch(`http://127.0.0.1:${srv.httpPort}/connz`)).json()) as { connections: { type: string; kind: string; name: string; lang: string }[] };
    const byName = new Map(connz.connections.map((c) => [c.name, c]));
    expect(byName.get("ws-probe")).toMatchObject({ kind: "Client", type: "websocket", lang: "nats.ws" });
    expect(byName.get("tcp-probe")).toMatchObject({ kind: "Client", type: "nats" });
    const varz = (await (await fetch(`http://127.0.0.1:${srv.httpPort}/varz`)).json()) as { websocket: Record<string, unknown> };
    expect(varz.websocket).toEqual({ host: "127.0.0.1", port: srv.wsPort, handshake_timeout: 3_000_000_000, no_tls: true, compression: true });
  });

  test("handshake_timeout closes a socket that sends no upgrade request in time; an upgraded one stays", async () => {
    const srv = await server('websocket { host: 127.0.0.1, port: -1, no_tls: true, handshake_timeout: "300ms" }');
    const started = Date.now();
    const idle = own(await rawSocket(srv.wsPort));
    const upgraded = own(await RawWs.open(srv.wsPort));
    await rawInfo(upgraded);
    await idle.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    upgraded.send(2, 'CONNECT {"verbose":false}\r\nPING\r\n');
    await upgraded.until(() => upgraded.text.includes("PONG\r\n"));
    expect(upgraded.closed).toBe(false);
  });

  test("Nats-No-Masking: asked for, it is echoed and the client may send unmasked frames", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort, { "Nats-No-Masking": "true" }));
    expect(c.headers.get("nats-no-masking")).toBe("true");
    await rawInfo(c);
    c.send(2, 'CONNECT {"verbose":false}\r\nSUB nm 1\r\nPUB nm 2\r\nok\r\nPING\r\n', { mask: false });
    await c.until(() => c.text.includes("PONG\r\n"));
    expect(c.text).toContain("MSG nm 1 2\r\nok\r\n");
    expect(c.frames.every((f) => f.opcode !== 8)).toBe(true);
  });

  natsedgeOnly("X-Forwarded-For names the client in the log as nats-server does (<ip>/<peer>); /connz keeps the peer", async () => {
    const srv = await server(`debug: true\nhttp: "127.0.0.1:-1"\n${PLAIN}`);
    const c = own(await RawWs.open(srv.wsPort, { "X-Forwarded-For": "203.0.113.7" }));
    await rawInfo(c);
    c.send(2, 'CONNECT {"verbose":false,"name":"behind-proxy"}\r\nPING\r\n');
    await c.until(() => c.text.includes("PONG\r\n"));
    expect(srv.logs.some((l) => /203\.0\.113\.7\/127\.0\.0\.1:\d+ - wid:\d+ - Client connection created/.test(l))).toBe(true);
    const connz = (await (await fetch(`http://127.0.0.1:${srv.httpPort}/connz`)).json()) as { connections: { name: string; ip: string }[] };
    expect(connz.connections.find((x) => x.name === "behind-proxy")?.ip).toBe("127.0.0.1");
  });

  natsedgeOnly("INFO to a WebSocket client names the WebSocket listener (2.9.10 still sent the client port)", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort));
    const info = await rawInfo(c);
    expect(info.port).toBe(srv.wsPort);
    expect(info.tls_required).toBeUndefined();
  });
});

describe("frames for browsers", () => {
  const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
  const SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
  const offer = { "Sec-WebSocket-Extensions": "permessage-deflate" };

  /** A subscriber on `c` that gets one 50 000-byte message of random letters (deflate cannot shrink it below 4 KiB). */
  async function bigMessage(srv: WsServer, c: RawWs): Promise<void> {
    await c.until(() => c.frames.length > 0);
    c.send(2, 'CONNECT {"verbose":false}\r\nSUB b 1\r\nPING\r\n');
    const n = c.frames.length;
    await c.until(() => c.frames.length > n);
    const t = await tcp(srv);
    const letters = Array.from({ length: 50_000 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("");
    t.publish("b", letters);
    await t.flush();
  }

  test("a browser gets what the server sends in frames of at most 4 KiB, each a whole binary message", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort, { "User-Agent": CHROME }));
    await bigMessage(srv, c);
    await c.until(() => c.text.includes("MSG b 1 50000\r\n") && c.dataBytes >= 50_000);
    expect(c.frames.every((f) => f.payload.length <= 4096 && f.fin && f.opcode === 2)).toBe(true);
    expect(c.frames.length).toBeGreaterThan(12);
  });

  test("compressed, a browser gets one message cut into 4 KiB fragments (RSV1 on the first); Safari gets it whole", async () => {
    const srv = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true }");
    for (const [ua, fragmented] of [[CHROME, true], [SAFARI, false]] as const) {
      const c = own(await RawWs.open(srv.wsPort, { "User-Agent": ua, ...offer }));
      await bigMessage(srv, c);
      await c.until(() => c.frames.some((f) => f.payload.length > 4096 || (f.opcode === 0 && f.fin)));
      const big = c.frames.findIndex((f) => f.rsv1 && !f.fin);
      if (fragmented) {
        expect(big).toBeGreaterThanOrEqual(0);
        const rest = c.frames.slice(big + 1);
        expect(rest.every((f) => f.opcode === 0 && !f.rsv1 && f.payload.length <= 4096)).toBe(true);
        expect(rest.at(-1)!.fin).toBe(true);
      } else {
        expect(big).toBe(-1);
        expect(c.frames.some((f) => f.rsv1 && f.fin && f.payload.length > 4096)).toBe(true);
      }
    }
  });

  test("a client that is not a browser gets the whole batch in one frame", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort));
    await bigMessage(srv, c);
    await c.until(() => c.frames.some((f) => f.payload.length > 4096));
  });
});

describe("a slow reader", () => {
  for (const [who, headers] of [["a WebSocket client", {}], ["a browser (4 KiB frames)", { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)" }]] as const) {
    test(`${who} that stops reading gets every message, in valid frames, once it reads again`, async () => {
      const srv = await server(PLAIN);
      const c = own(await RawWs.open(srv.wsPort, headers));
      await rawInfo(c);
      c.send(2, 'CONNECT {"verbose":false}\r\nSUB slow 1\r\nPING\r\n');
      await c.until(() => c.text.includes("PONG\r\n"));
      c.pause();
      const before = c.dataBytes;
      const t = await tcp(srv);
      const body = "y".repeat(10_000);
      const count = 600;
      for (let i = 0; i < count; i++) t.publish("slow", `${i}:${body}`);
      await t.flush();
      c.resume();
      let want = 0;
      for (let i = 0; i < count; i++) {
        const len = `${i}:${body}`.length;
        want += `MSG slow 1 ${len}\r\n`.length + len + 2;
      }
      await c.until(() => c.dataBytes - before >= want, 20_000);
      const got = [...c.text.matchAll(/MSG slow 1 \d+\r\n(\d+):/g)].map((m) => Number(m[1]));
      expect(got).toEqual([...Array(count).keys()]);
      expect(c.closed).toBe(false);
    });
  }
});

describe.skipIf(!servesTLS)("wss", () => {
  // Bun's WebSocket takes a CA per connection; Deno's only through a custom HTTP client.
  test.skipIf(!onBun)("with a tls block the listener is wss, and a client trusting the test CA works", async () => {
    const certs = testCerts();
    const srv = await server(`websocket { host: 127.0.0.1, port: -1, tls { cert_file: ${JSON.stringify(certs.server.cert)}, key_file: ${JSON.stringify(certs.server.key)} } }`);
    expect(srv.logs.some((l) => l.includes("Listening for websocket clients on wss://"))).toBe(true);
    const ca = readFileSync(certs.ca, "utf8");
    const w = await wsconnect({
      servers: `wss://localhost:${srv.wsPort}`,
      wsFactory: (u: string) => Promise.resolve({ socket: new WebSocket(u, { tls: { ca } } as unknown as string[]), encrypted: true }),
    }).then(own);
    const t = await tcp(srv);
    const sub = t.subscribe("secure", { max: 1 });
    await t.flush();
    w.publish("secure", "over tls");
    for await (const m of sub) expect(m.string()).toBe("over tls");
  });

  test("handshake_timeout covers the TLS handshake: a socket that never starts it is closed", async () => {
    const certs = testCerts();
    const srv = await server(
      `websocket { host: 127.0.0.1, port: -1, handshake_timeout: "300ms", tls { cert_file: ${JSON.stringify(certs.server.cert)}, key_file: ${JSON.stringify(certs.server.key)} } }`,
    );
    const started = Date.now();
    const idle = own(await rawSocket(srv.wsPort));
    await idle.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  test("a client that does not trust the CA is refused at the TLS handshake", async () => {
    const certs = testCerts();
    const srv = await server(`websocket { host: 127.0.0.1, port: -1, tls { cert_file: ${JSON.stringify(certs.server.cert)}, key_file: ${JSON.stringify(certs.server.key)} } }`);
    const r = await refusedConnect(wsconnect({ servers: `wss://localhost:${srv.wsPort}`, timeout: 2000, reconnect: false }));
    expect(r).not.toBe("connected");
  });
});

describe.skipIf(!servesTLS)("wss client certificates", () => {
  const certs = testCerts();
  const tlsBlock = (extra: string) =>
    `tls { cert_file: ${JSON.stringify(certs.server.cert)}, key_file: ${JSON.stringify(certs.server.key)}, ca_file: ${JSON.stringify(certs.ca)}, ${extra} }`;
  const ca = () => readFileSync(certs.ca, "utf8");
  const withCert = (p: { cert: string; key: string }) => ({ ca: ca(), cert: readFileSync(p.cert, "utf8"), key: readFileSync(p.key, "utf8") });

  /** CONNECTs over `c` and resolves to what came back first: "PONG" or the -ERR line. */
  async function connectOver(c: RawWs): Promise<string> {
    await rawInfo(c);
    c.send(2, 'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
    await c.until(() => c.text.includes("PONG\r\n") || c.text.includes("-ERR") || c.closed);
    const m = /-ERR '([^']*)'/.exec(c.text);
    return m !== null ? m[1]! : c.text.includes("PONG") ? "PONG" : "closed";
  }

  test("verify: a client without a certificate fails the TLS handshake; one with a trusted certificate upgrades", async () => {
    const srv = await server(`websocket { host: 127.0.0.1, port: -1, ${tlsBlock("verify: true")} }`);
    const refused = await RawWs.open(srv.wsPort, {}, "/", { ca: ca() }).then(
      (c) => (own(c), c.until(() => c.closed).then(() => c.status)),
      () => "refused",
    );
    expect(refused === "refused" || refused === 0).toBe(true);
    const ok = own(await RawWs.open(srv.wsPort, {}, "/", withCert(certs.client)));
    expect(ok.status).toBe(101);
    expect(await connectOver(ok)).toBe("PONG");
  });

  test("verify_and_map in the block maps a WebSocket client's certificate to a user; one that maps to none is refused", async () => {
    const srv = await server(
      `authorization { users: [ { user: ${JSON.stringify(EMAIL_IDENTITY)} } ] }\nwebsocket { host: 127.0.0.1, port: -1, ${tlsBlock("verify_and_map: true")} }`,
    );
    const mapped = own(await RawWs.open(srv.wsPort, {}, "/", withCert(certs.email)));
    expect(await connectOver(mapped)).toBe("PONG");
    const unmapped = own(await RawWs.open(srv.wsPort, {}, "/", withCert(certs.client)));
    expect(await connectOver(unmapped)).toMatch(/Authorization Violation/i);
  });
});

describe("compression", () => {
  const offer = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
  const params = (v: string | undefined) => new Set((v ?? "").split(";").map((s) => s.trim()).filter((s) => s !== ""));

  test("negotiated with no context takeover both ways when enabled and offered; INFO is deflated", async () => {
    const srv = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true }");
    const c = own(await RawWs.open(srv.wsPort, offer));
    expect(c.status).toBe(101);
    expect(params(c.headers.get("sec-websocket-extensions"))).toEqual(new Set(["permessage-deflate", "server_no_context_takeover", "client_no_context_takeover"]));
    await c.until(() => c.frames.length > 0);
    const first = c.frames[0]!;
    expect(first.rsv1).toBe(true);
    const text = inflateRawSync(Buffer.concat([first.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    expect(text.startsWith("INFO {")).toBe(true);
  });

  test("not negotiated when the block leaves it off, or the client does not offer it", async () => {
    const off = await server(PLAIN);
    const a = own(await RawWs.open(off.wsPort, offer));
    expect(a.headers.get("sec-websocket-extensions")).toBeUndefined();
    await rawInfo(a);
    expect(a.frames[0]!.rsv1).toBe(false);
    const on = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true }");
    const b = own(await RawWs.open(on.wsPort));
    expect(b.headers.get("sec-websocket-extensions")).toBeUndefined();
    await rawInfo(b);
  });

  test("the JS client exchanges large messages over a compressed connection", async () => {
    const srv = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true }");
    const w = await ws(srv);
    const t = await tcp(srv);
    const sub = w.subscribe("big", { max: 1 });
    await w.flush();
    t.publish("big", "z".repeat(200_000));
    for await (const m of sub) expect(m.string()).toBe("z".repeat(200_000));
  });
});

describe("origin checks", () => {
  test("same_origin: the Host's origin upgrades, a foreign one gets 403, none at all upgrades", async () => {
    const srv = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, same_origin: true }");
    const same = own(await RawWs.open(srv.wsPort, { Origin: `http://127.0.0.1:${srv.wsPort}` }));
    expect(same.status).toBe(101);
    const foreign = own(await RawWs.open(srv.wsPort, { Origin: "http://evil.example" }));
    expect(foreign.status).toBe(403);
    const otherPort = own(await RawWs.open(srv.wsPort, { Origin: "http://127.0.0.1:1" }));
    expect(otherPort.status).toBe(403);
    const none = own(await RawWs.open(srv.wsPort));
    expect(none.status).toBe(101);
  });

  test("allowed_origins matches scheme, host and port, with the scheme's default port", async () => {
    const srv = await server('websocket { host: 127.0.0.1, port: -1, no_tls: true, allowed_origins: ["http://app.example:8080", "https://secure.example"] }');
    const status = async (origin: string) => (own(await RawWs.open(srv.wsPort, { Origin: origin }))).status;
    expect(await status("http://app.example:8080")).toBe(101);
    expect(await status("http://APP.example:8080")).toBe(101);
    expect(await status("https://app.example:8080")).toBe(403);
    expect(await status("http://app.example")).toBe(403);
    expect(await status("https://secure.example:443")).toBe(101);
    expect(await status("https://secure.example")).toBe(101);
    expect(await status("http://secure.example")).toBe(403);
    expect(await status("http://other.example:8080")).toBe(403);
  });

  test("a refused upgrade is logged with the reason", async () => {
    const srv = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, same_origin: true }");
    own(await RawWs.open(srv.wsPort, { Origin: "http://evil.example" }));
    const deadline = Date.now() + 3000;
    while (!srv.logs.some((l) => l.includes("websocket handshake error: origin not allowed: not same origin")) && Date.now() < deadline) await sleep(20);
    expect(srv.logs.some((l) => l.includes("websocket handshake error: origin not allowed: not same origin"))).toBe(true);
  });

  test("a request that is not an upgrade is refused with 400, a POST with 405", async () => {
    const srv = await server(PLAIN);
    const plain = await fetch(`http://127.0.0.1:${srv.wsPort}/`);
    expect(plain.status).toBe(400);
    const post = await fetch(`http://127.0.0.1:${srv.wsPort}/`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
  });
});

describe("the block's own authorization", () => {
  test("user/password inside the block binds WebSocket clients only, and sets auth_required in their INFO", async () => {
    const srv = await server('websocket { host: 127.0.0.1, port: -1, no_tls: true, authorization { user: wsu, password: wsp } }');
    await tcp(srv);
    const raw = own(await RawWs.open(srv.wsPort));
    expect((await rawInfo(raw)).auth_required).toBe(true);
    expect(await refusedConnect(wsconnect({ servers: `ws://127.0.0.1:${srv.wsPort}`, reconnect: false }))).toMatch(/Authorization Violation/i);
    expect(await refusedConnect(wsconnect({ servers: `ws://127.0.0.1:${srv.wsPort}`, user: "wsu", pass: "bad", reconnect: false }))).toMatch(/Authorization Violation/i);
    const w = await ws(srv, { user: "wsu", pass: "wsp" });
    await w.flush();
    expect(await refusedConnect(connect({ servers: `127.0.0.1:${srv.port}`, user: "wsu", pass: "wsp" }))).toBe("connected");
  });

  test("a token inside the block overrides the server's users for WebSocket clients", async () => {
    const srv = await server('authorization { user: tcpu, password: tcpp }\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true, authorization { token: "s3cret" } }');
    expect(await refusedConnect(wsconnect({ servers: `ws://127.0.0.1:${srv.wsPort}`, user: "tcpu", pass: "tcpp", reconnect: false }))).toMatch(/Authorization Violation/i);
    await ws(srv, { token: "s3cret" });
    await tcp(srv, { user: "tcpu", pass: "tcpp" });
    expect(await refusedConnect(connect({ servers: `127.0.0.1:${srv.port}`, token: "s3cret", reconnect: false }))).toMatch(/Authorization Violation/i);
  });

  test("no_auth_user inside the block applies to WebSocket clients, not TCP ones", async () => {
    const srv = await server(
      'authorization { users: [ { user: a, password: pa, permissions: { publish: "a.>" } }, { user: b, password: pb } ] }\n' +
        "websocket { host: 127.0.0.1, port: -1, no_tls: true, no_auth_user: a }",
    );
    const w = await ws(srv);
    await w.flush();
    expect(await refusedConnect(connect({ servers: `127.0.0.1:${srv.port}`, reconnect: false }))).toMatch(/Authorization Violation/i);
    const t = await tcp(srv, { user: "b", pass: "pb" });
    const sub = t.subscribe(">");
    await t.flush();
    w.publish("b.x", "denied");
    w.publish("a.x", "allowed");
    for await (const m of sub) {
      expect(m.subject).toBe("a.x");
      break;
    }
  });

  test("without an override WebSocket clients authenticate like TCP clients", async () => {
    const srv = await server(`authorization { token: "t0k" }\n${PLAIN}`);
    expect(await refusedConnect(wsconnect({ servers: `ws://127.0.0.1:${srv.wsPort}`, reconnect: false }))).toMatch(/Authorization Violation/i);
    await ws(srv, { token: "t0k" });
  });
});

describe("bad frames close only their own connection", () => {
  const cases: [string, (c: RawWs) => void][] = [
    ["an unmasked client frame", (c) => c.send(2, "PING\r\n", { mask: false })],
    ["an oversized frame", (c) => c.send(2, `PUB x 70000\r\n${"y".repeat(70_000)}\r\n`)],
    ["garbage after the upgrade", (c) => c.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37, 0xff]))],
    ["a reserved opcode", (c) => c.send(3, "x")],
  ];
  for (const [what, act] of cases) {
    test(what, async () => {
      const srv = await server("max_payload: 4096\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true }");
      const bystander = await ws(srv);
      const t = await tcp(srv);
      const c = own(await RawWs.open(srv.wsPort));
      await rawInfo(c);
      c.send(2, 'CONNECT {"verbose":false}\r\n');
      act(c);
      await c.until(() => c.closed, 5000);
      t.subscribe("still", { callback: (_e, m) => void m.respond("here") });
      await t.flush();
      expect((await bystander.request("still", "", { timeout: 2000 })).string()).toBe("here");
    });
  }
});

describe("close frames", () => {
  test("a close with a status is answered with a close frame carrying that status", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort));
    await rawInfo(c);
    c.send(8, new Uint8Array([0x03, 0xe8]));
    await c.until(() => c.closeFrame() !== undefined);
    const p = c.closeFrame()!.payload;
    expect((p[0]! << 8) | p[1]!).toBe(1000);
  });

  natsedgeOnly("a close without a status is answered with an empty close (2.9.10 sends the forbidden 1005)", async () => {
    const srv = await server(PLAIN);
    const c = own(await RawWs.open(srv.wsPort));
    await rawInfo(c);
    c.send(8, new Uint8Array());
    await c.until(() => c.closeFrame() !== undefined);
    expect(c.closeFrame()!.payload.length).toBe(0);
  });

  test("a server-side close (authentication failure) sends a close frame with a valid status", async () => {
    const srv = await server("websocket { host: 127.0.0.1, port: -1, no_tls: true, authorization { token: t } }");
    const c = own(await RawWs.open(srv.wsPort));
    await rawInfo(c);
    c.send(2, 'CONNECT {"verbose":false,"auth_token":"wrong"}\r\n');
    await c.until(() => c.closeFrame() !== undefined || c.closed);
    const f = c.closeFrame();
    expect(f).toBeDefined();
    const status = (f!.payload[0]! << 8) | f!.payload[1]!;
    expect(status).toBe(1008);
  });
});

describe("lame duck mode", () => {
  natsedgeOnly("the WebSocket listener stops accepting; connected WebSocket clients stay until their turn", async () => {
    const h = await startServer({ host: "127.0.0.1", port: -1, lame_duck_duration: 600, lame_duck_grace_period: 300, config: PLAIN, logSink: () => {} });
    const wsPort = h.server.websocketPort;
    const early = own(await RawWs.open(wsPort));
    await rawInfo(early);
    early.send(2, 'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
    await early.until(() => early.text.includes("PONG"));
    const done = h.lameDuck();
    await early.until(() => early.text.includes('"ldm":true'));
    await expect(RawWs.open(wsPort)).rejects.toThrow();
    expect(early.closed).toBe(false);
    await done;
    await early.until(() => early.closed);
  });
});

describe("config reload", () => {
  const certs = testCerts();
  const tlsBlock = (extra = "") => `tls { cert_file: ${JSON.stringify(certs.server.cert)}, key_file: ${JSON.stringify(certs.server.key)}, ca_file: ${JSON.stringify(certs.ca)} ${extra} }`;
  const start = (config: string) => startServer({ host: "127.0.0.1", port: -1, config, logSink: () => {} }).then(own);

  natsedgeOnly("a change to the block other than its TLS is refused with nats-server's message, and the listener goes on", async () => {
    const h = await start(PLAIN);
    await expect(h.reload({ config: "websocket { host: 127.0.0.1, port: -1, no_tls: true, compression: true }" })).rejects.toThrow(
      "config reload not supported for Websocket",
    );
    const c = own(await RawWs.open(h.server.websocketPort));
    await rawInfo(c);
  });

  (servesTLS ? natsedgeOnly : test.skip)("a TLS change applies to the next handshake: adding verify refuses a client without a certificate", async () => {
    const h = await start(`websocket { host: 127.0.0.1, port: -1, ${tlsBlock()} }`);
    const ca = readFileSync(certs.ca, "utf8");
    const before = own(await RawWs.open(h.server.websocketPort, {}, "/", { ca }));
    expect(before.status).toBe(101);
    await h.reload({ config: `websocket { host: 127.0.0.1, port: -1, ${tlsBlock(", verify: true")} }` });
    const after = await RawWs.open(h.server.websocketPort, {}, "/", { ca }).then(
      (c) => (own(c), c.until(() => c.closed).then(() => c.status)),
      () => "refused",
    );
    expect(after === "refused" || after === 0).toBe(true);
    expect(before.closed).toBe(false);
  });

  natsedgeOnly("an authorization reload re-checks a WebSocket client against the block's authorization, not the server's", async () => {
    const conf = (pass: string) => `authorization { user: tcpu, password: ${pass} }\nwebsocket { host: 127.0.0.1, port: -1, no_tls: true, authorization { token: wst } }`;
    const h = await start(conf("one"));
    const w = await wsconnect({ servers: `ws://127.0.0.1:${h.server.websocketPort}`, token: "wst", reconnect: false }).then(own);
    await w.flush();
    await h.reload({ config: conf("two") });
    await Promise.race([w.flush(), w.closed()]);
    expect(w.isClosed()).toBe(false);
  });
});

describe("startup errors", () => {
  const dir = scratchDir("natsedge-ws-conf-");
  const confError = (conf: string) => {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(file, conf);
    return startupError(["-c", file]);
  };

  test("TLS is required unless no_tls is set", async () => {
    expect(await confError("websocket { port: -1 }")).toContain("websocket requires TLS configuration");
    expect(await confError("websocket { port: -1, no_tls: true }")).toBeNull();
  });

  test("a block without a port opens nothing and is not checked", async () => {
    expect(await confError("websocket { compression: true }")).toBeNull();
  });

  test("no_auth_user must name a server user", async () => {
    expect(await confError('authorization { users: [ { user: a, password: p } ] }\nwebsocket { port: -1, no_tls: true, no_auth_user: zed }')).toContain(
      'no_auth_user: "zed" not present as user in authorization block or account configuration',
    );
  });

  test("a username or token in the block cannot stand beside server users", async () => {
    const users = "authorization { users: [ { user: a, password: p } ] }\n";
    expect(await confError(`${users}websocket { port: -1, no_tls: true, authorization { user: x, password: y } }`)).toContain(
      "websocket authentication username not compatible with presence of users/nkeys",
    );
    expect(await confError(`${users}websocket { port: -1, no_tls: true, authorization { token: x } }`)).toContain(
      "websocket authentication token not compatible with presence of users/nkeys",
    );
  });

  test("an unknown key in the block is an error", async () => {
    expect(await confError("websocket { port: -1, no_tls: true, bogus: 1 }")).toMatch(/unknown field "bogus"/);
  });

  test("jwt_cookie needs trusted operators", async () => {
    expect(await confError('websocket { port: -1, no_tls: true, jwt_cookie: "jwt" }')).toContain("trusted operators or trusted keys configuration is required");
  });
});
