/**
 * Raw-protocol probes for recovery time: when a restarted server first answers PING, and when its JetStream
 * API first answers STREAM.INFO with the stream itself (not no-responders, not an error). Raw sockets, so the
 * client library's reconnect policy does not blur the figures.
 */
import { connect, type Socket } from "node:net";

const RETRY_MS = 5;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One probe connection: the protocol lines and message bodies it receives, in order. */
class ProbeConn {
  #buf = "";
  #bodies: string[] = [];
  #pong = false;
  #wake: (() => void) | null = null;
  #closed: Error | null = null;

  constructor(readonly sock: Socket) {
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.#buf += d;
      this.#parse();
      this.#wake?.();
    });
    sock.on("error", (err) => (this.#closed = err));
    sock.on("close", () => {
      this.#closed ??= new Error("probe connection closed");
      this.#wake?.();
    });
  }

  #parse(): void {
    for (;;) {
      const eol = this.#buf.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.#buf.slice(0, eol);
      if (line.startsWith("MSG ") || line.startsWith("HMSG ")) {
        const total = Number(line.slice(line.lastIndexOf(" ") + 1));
        if (this.#buf.length < eol + 2 + total + 2) return;
        this.#bodies.push(this.#buf.slice(eol + 2, eol + 2 + total));
        this.#buf = this.#buf.slice(eol + 2 + total + 2);
        continue;
      }
      this.#buf = this.#buf.slice(eol + 2);
      if (line.startsWith("INFO ")) this.sock.write('CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nPING\r\n');
      else if (line === "PONG") this.#pong = true;
      else if (line === "PING") this.sock.write("PONG\r\n");
    }
  }

  async #until<T>(get: () => T | undefined): Promise<T> {
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      if (this.#closed !== null) throw this.#closed;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  pong(): Promise<true> {
    return this.#until(() => (this.#pong ? true : undefined));
  }

  nextBody(): Promise<string> {
    return this.#until(() => this.#bodies.shift());
  }
}

export type Probe = ProbeConn;

/** Waits until the port answers PING, retrying refused connections; returns the open probe connection. */
export async function untilPong(port: number, deadline: number): Promise<Probe> {
  for (;;) {
    const c = new ProbeConn(connect({ host: "127.0.0.1", port }));
    try {
      await c.pong();
      return c;
    } catch {
      c.sock.destroy();
      if (performance.now() > deadline) throw new Error(`port ${port} did not answer PING`);
      await pause(RETRY_MS);
    }
  }
}

/** Asks STREAM.INFO until the answer carries the stream's config, then closes the probe. */
export async function untilStreamInfo(c: Probe, stream: string, deadline: number): Promise<void> {
  c.sock.write("SUB _INBOX.crashprobe 1\r\n");
  try {
    for (;;) {
      c.sock.write(`PUB $JS.API.STREAM.INFO.${stream} _INBOX.crashprobe 0\r\n\r\n`);
      const body = await c.nextBody();
      if (body.includes('"config"')) return;
      if (performance.now() > deadline) throw new Error(`stream ${stream} not available: ${body.slice(0, 200)}`);
      await pause(RETRY_MS);
    }
  } finally {
    c.sock.destroy();
  }
}
