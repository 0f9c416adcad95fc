// The dialling side of a WebSocket upgrade (a leaf's, nats-server's leafNodeSolicitWSConnection) against a
// scripted server: the request it writes, the 101 it accepts, and the answers it refuses in nats-server's words.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { Conn, ConnHandler } from "../../../src/runtime/types.ts";
import { ClientUpgrade, type ClientUpgradeOptions } from "../../../src/websocket/client_upgrade.ts";
import { deflate } from "../../../src/websocket/deflate.ts";
import type { WsConn } from "../../../src/websocket/ws_conn.ts";

class FakeSocket implements Conn {
  written = "";
  destroyed = false;
  write(data: Uint8Array): number {
    this.written += new TextDecoder("latin1").decode(data);
    return data.length;
  }
  pause(): void {}
  resume(): void {}
  startTLS(): void {}
  startClientTLS(): void {}
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 1;
}

interface Run {
  raw: FakeSocket;
  up: ClientUpgrade;
  /** Resolves with the WsConn, or the reason it failed. */
  outcome: Promise<WsConn | string>;
  received: string[];
}

function run(opts: Partial<ClientUpgradeOptions> = {}): Run {
  const raw = new FakeSocket();
  const received: string[] = [];
  let settle: (v: WsConn | string) => void = () => {};
  const outcome = new Promise<WsConn | string>((r) => (settle = r));
  const up = new ClientUpgrade(
    raw,
    { host: "hub:443", path: "/leafnode", compression: null, noMasking: false, maxMessage: 1 << 20, tls: false, timeoutMs: 5000, ...opts },
    {
      upgraded: (ws) => {
        settle(ws);
        return { onData: (d) => void received.push(new TextDecoder().decode(d)), onDrain() {}, onClose() {}, onTLS() {} } satisfies ConnHandler;
      },
      failed: (why) => settle(why),
    },
  );
  up.start();
  return { raw, up, outcome, received };
}

function accept(request: string): string {
  const key = /Sec-WebSocket-Key: (\S+)\r\n/.exec(request)![1]!;
  return createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
}

function respond(r: Run, extra = "", accepted = accept(r.raw.written), after: Uint8Array = new Uint8Array(0)): void {
  const head = new TextEncoder().encode(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accepted}\r\n${extra}\r\n`);
  const b = new Uint8Array(head.length + after.length);
  b.set(head);
  b.set(after, head.length);
  r.up.onData(b);
}

/** An unmasked binary frame, as a server sends. */
function serverFrame(text: string): Uint8Array {
  const p = new TextEncoder().encode(text);
  return new Uint8Array([0x82, p.length, ...p]);
}

describe("ClientUpgrade", () => {
  test("asks for /leafnode with the offers configured", () => {
    const r = run({ compression: deflate, noMasking: true });
    expect(r.raw.written).toStartWith("GET /leafnode HTTP/1.1\r\nHost: hub:443\r\n");
    expect(r.raw.written).toContain("Upgrade: websocket\r\nConnection: Upgrade\r\n");
    expect(r.raw.written).toContain("Sec-WebSocket-Version: 13\r\n");
    expect(r.raw.written).toContain("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n");
    expect(r.raw.written).toContain("Nats-No-Masking: true\r\n");
    expect(r.raw.written).toEndWith("\r\n\r\n");
  });

  test("waits for the TLS handshake before asking over wss", () => {
    const r = run({ tls: true });
    expect(r.raw.written).toBe("");
    r.up.onTLS({ version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", peer: null, verifyError: null });
    expect(r.raw.written).toStartWith("GET /leafnode HTTP/1.1\r\n");
  });

  test("a 101 with the right key is a WebSocket that masks, and frames that came with it are read", async () => {
    const r = run();
    respond(r, "", accept(r.raw.written), serverFrame("INFO {}\r\n"));
    const ws = (await r.outcome) as WsConn;
    expect(typeof ws).toBe("object");
    expect(ws.masksWrites).toBe(true);
    expect(ws.compressed).toBe(false);
    expect(r.received.join("")).toBe("INFO {}\r\n");
  });

  test("deflate and no masking only when the server answers them", async () => {
    const yes = run({ compression: deflate, noMasking: true });
    respond(yes, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\nNats-No-Masking: true\r\n");
    const a = (await yes.outcome) as WsConn;
    expect([a.compressed, a.masksWrites]).toEqual([true, false]);
    const no = run({ compression: deflate, noMasking: true });
    respond(no);
    const b = (await no.outcome) as WsConn;
    expect([b.compressed, b.masksWrites]).toEqual([false, true]);
  });

  test("deflate with context takeover is a negotiation error", async () => {
    const r = run({ compression: deflate });
    respond(r, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    expect(await r.outcome).toBe("compression negotiation error");
    expect(r.raw.destroyed).toBe(true);
  });

  test("a wrong accept key, or no 101, is an invalid websocket connection", async () => {
    const wrong = run();
    respond(wrong, "", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    expect(await wrong.outcome).toBe("invalid websocket connection");
    const notFound = run();
    notFound.up.onData(new TextEncoder().encode("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    expect(await notFound.outcome).toBe("invalid websocket connection");
    expect(notFound.raw.destroyed).toBe(true);
  });

  test("a response split at any byte is read whole", async () => {
    const r = run();
    const text = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(r.raw.written)}\r\n\r\n`;
    for (const ch of text) r.up.onData(new TextEncoder().encode(ch));
    expect(typeof (await r.outcome)).toBe("object");
  });

  test("a close, or no answer in time, fails the upgrade", async () => {
    const closed = run();
    closed.up.onClose();
    expect(await closed.outcome).toBe("connection closed during the websocket upgrade");
    const silent = run({ timeoutMs: 10 });
    expect(await silent.outcome).toBe("timed out waiting for the websocket upgrade response");
    expect(silent.raw.destroyed).toBe(true);
  });
});
