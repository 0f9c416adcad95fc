/**
 * A WebSocket client by hand over node:net, for what a real client never sends: unmasked frames, oversized
 * frames, garbage after the upgrade, close frames of any shape. It also exposes the 101 response's headers.
 */
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { randomBytes } from "node:crypto";

export interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Uint8Array;
}

export class RawWs {
  status = 0;
  headers = new Map<string, string>();
  frames: Frame[] = [];
  /** Payload bytes of all data frames so far. */
  dataBytes = 0;
  closed = false;
  private buf = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Bytes the next frame needs in buf before it can be parsed. */
  private need = 0;
  private headDone = false;
  private waiters: (() => void)[] = [];

  private constructor(private readonly sock: Socket) {
    sock.on("data", (d: Buffer) => {
      this.pending.push(d);
      this.pendingLen += d.length;
      // Gathered until the frame in progress can be whole: a multi-megabyte frame is not re-copied per read.
      if (this.buf.length + this.pendingLen < this.need) return;
      this.buf = Buffer.concat([this.buf, ...this.pending]);
      this.pending = [];
      this.pendingLen = 0;
      this.parse();
      this.wake();
    });
    sock.on("close", () => {
      this.closed = true;
      this.wake();
    });
    sock.on("error", () => {});
  }

  /**
   * Connects and sends an upgrade request with `headers` added (or overriding the defaults); over TLS with
   * `tls` (PEM texts; servername localhost), rejecting when the handshake fails.
   */
  static async open(port: number, headers: Record<string, string> = {}, path = "/", tls?: { ca: string; cert?: string; key?: string }): Promise<RawWs> {
    const sock = tls !== undefined ? tlsConnect({ port, host: "127.0.0.1", servername: "localhost", ...tls }) : connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      sock.once(tls !== undefined ? "secureConnect" : "connect", resolve);
      sock.once("error", reject);
      sock.once("close", () => reject(new Error("closed before the upgrade")));
    });
    const ws = new RawWs(sock);
    const h: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      "Sec-WebSocket-Version": "13",
      ...headers,
    };
    sock.write(`GET ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
    await ws.until(() => ws.headDone || ws.closed);
    return ws;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `cond` holds, rejecting after `ms`. */
  until(cond: () => boolean, ms = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("timed out waiting on the raw websocket")), ms);
      const check = () => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private parse(): void {
    if (!this.headDone) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = this.buf.subarray(0, end).toString("latin1").split("\r\n");
      this.status = Number(lines[0]!.split(" ")[1]);
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        this.headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      this.buf = this.buf.subarray(end + 4);
      this.headDone = true;
    }
    if (this.status !== 101) return;
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) {
        this.need = off + len;
        return;
      }
      this.need = 0;
      this.frames.push({ fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload: new Uint8Array(this.buf.subarray(off, off + len)) });
      if ((b0 & 0x0f) <= 2) this.dataBytes += len;
      this.buf = this.buf.subarray(off + len);
    }
  }

  /** The text of every data frame so far (uncompressed frames only). */
  get text(): string {
    return this.frames.filter((f) => f.opcode <= 2).map((f) => Buffer.from(f.payload).toString("latin1")).join("");
  }

  closeFrame(): Frame | undefined {
    return this.frames.find((f) => f.opcode === 8);
  }

  /** Sends one frame; masked with a random key unless `mask` is false. */
  send(opcode: number, payload: Uint8Array | string, opts: { mask?: boolean; fin?: boolean; declaredLength?: number } = {}): void {
    const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
    const mask = opts.mask ?? true;
    const len = opts.declaredLength ?? data.length;
    const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | opcode];
    const m = mask ? 0x80 : 0;
    if (len < 126) head.push(m | len);
    else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
    else {
      head.push(m | 127);
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(len));
      head.push(...b);
    }
    let body = data;
    if (mask) {
      const key = randomBytes(4);
      head.push(...key);
      body = Buffer.from(data.map((v, i) => v ^ key[i % 4]!));
    }
    this.sock.write(Buffer.concat([Buffer.from(head), body]));
  }

  /** Raw bytes, not framed. */
  write(bytes: Uint8Array | string): void {
    this.sock.write(bytes);
  }

  /** Stops reading from the socket (the server's writes back up), and starts again. */
  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  close(): void {
    this.sock.destroy();
  }
}
