/**
 * Closing after a flush while the socket still holds back output (a short write): what was queued, an -ERR
 * behind a large reply typically, is written as the socket drains and only then is the socket ended.
 */
import { expect, test } from "bun:test";
import { CloseReason } from "../../../src/connection/close_reason.ts";
import { Connection, type ConnectionHost } from "../../../src/connection/connection.ts";
import { Logger } from "../../../src/log/logger.ts";
import type { Conn } from "../../../src/runtime/types.ts";

/** A socket that takes at most `room` bytes until the test drains it. */
class ShortConn implements Conn {
  readonly written: number[] = [];
  ended = false;
  destroyed = false;
  constructor(public room: number) {}
  write(data: Uint8Array): number {
    if (this.ended || this.destroyed) throw new Error("write after close");
    const n = Math.min(this.room, data.length);
    this.room -= n;
    for (const b of data.subarray(0, n)) this.written.push(b);
    return n;
  }
  pause(): void {}
  resume(): void {}
  startTLS(): void {}
  startClientTLS(): void {}
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 1;
}

function connection(conn: Conn, writeDeadlineMs = 10_000): Connection {
  const host: ConnectionHost = {
    options: { ping_interval: 0, ping_max: 2, max_pending: 64 * 1024 * 1024, write_deadline: writeDeadlineMs },
    log: new Logger({ pid: 1, debug: false, trace: false, logtime: false, logtimeUTC: false, sink: () => {} }),
    slowConsumers: 0,
    stallThreshold: 8 * 1024 * 1024,
    queueFlush: () => {},
    connectionClosed: () => {},
  };
  const c = new Connection(1, conn, host);
  c.proto = { onData: () => {}, onClose: () => {} };
  return c;
}

const text = (bytes: number[]) => new TextDecoder().decode(Uint8Array.from(bytes));

test("an -ERR queued behind a short write reaches the socket before it ends", () => {
  const sock = new ShortConn(10);
  const c = connection(sock);
  c.enqueue(new TextEncoder().encode("MSG a 1 20\r\n01234567890123456789\r\n"));
  c.flush();
  expect(sock.written.length).toBe(10);
  c.sendErr("Maximum Subscriptions Exceeded");
  c.closeAfterFlush(CloseReason.maxSubscriptions);
  expect(sock.ended).toBe(false);

  sock.room = 16;
  c.onDrain();
  expect(sock.ended).toBe(false);
  sock.room = 1 << 20;
  c.onDrain();
  expect(sock.ended).toBe(true);
  expect(sock.destroyed).toBe(false);
  expect(text(sock.written)).toBe("MSG a 1 20\r\n01234567890123456789\r\n-ERR 'Maximum Subscriptions Exceeded'\r\n");
});

test("a socket that never drains is destroyed after write_deadline", async () => {
  const sock = new ShortConn(0);
  const c = connection(sock, 20);
  c.sendErr("Authorization Violation");
  c.closeAfterFlush(CloseReason.authViolation);
  expect(sock.ended).toBe(false);
  const until = Date.now() + 10_000;
  while (!sock.destroyed && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  expect(sock.destroyed).toBe(true);
  expect(sock.ended).toBe(false);
});

test("with nothing held back, closing after a flush ends the socket at once", () => {
  const sock = new ShortConn(1 << 20);
  const c = connection(sock);
  c.sendErr("Authorization Violation");
  c.closeAfterFlush(CloseReason.authViolation);
  expect(sock.ended).toBe(true);
  expect(text(sock.written)).toBe("-ERR 'Authorization Violation'\r\n");
});
