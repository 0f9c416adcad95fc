/**
 * MQTT at the byte level for tests: a raw TCP client that writes packets and reads the server's back one by
 * one, and the encoders for what real clients never send (or send too politely to test exactly-once).
 */
import { spawn } from "node:child_process";
import { connect as tcpConnect, type Socket } from "node:net";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface Got {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** The next `n` messages `c` receives. */
export function nextMessages(c: MqttClient, n: number): Promise<Got[]> {
  const got: Got[] = [];
  return new Promise((resolve) => {
    const on = (topic: string, payload: Uint8Array, packet: { qos: number; retain: boolean }) => {
      got.push({ topic, payload: dec.decode(payload), qos: packet.qos, retain: packet.retain });
      if (got.length === n) {
        c.off("message", on);
        resolve(got);
      }
    };
    c.on("message", on);
  });
}

export interface RawPacket {
  type: number;
  flags: number;
  body: number[];
}

/** A PUBLISH as the raw client reads it. */
export interface RawPublish {
  topic: string;
  payload: string;
  qos: number;
  dup: boolean;
  retain: boolean;
  pid: number;
}

/** A raw TCP connection to the MQTT port: what it reads, and when it closes. */
export class Raw {
  readonly sock: Socket;
  data = new Uint8Array(0);
  readonly closed: Promise<void>;
  /** How far next() has read into `data`. */
  private at = 0;
  private waiters: (() => void)[] = [];

  constructor(port: number, own: (x: { close(): unknown }) => unknown) {
    this.sock = tcpConnect(port, "127.0.0.1");
    this.sock.on("data", (d: Buffer) => {
      const n = new Uint8Array(this.data.length + d.length);
      n.set(this.data);
      n.set(d, this.data.length);
      this.data = n;
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.sock.on("close", () => resolve()));
    this.sock.on("error", () => {});
    own({ close: () => this.sock.destroy() });
  }

  write(bytes: number[]): void {
    this.sock.write(Uint8Array.from(bytes));
  }

  /** The first `n` bytes the server sent. */
  async bytes(n: number): Promise<number[]> {
    await this.fill(n);
    return [...this.data.subarray(0, n)];
  }

  /** The next whole packet after those next() returned before. */
  async next(): Promise<RawPacket> {
    await this.fill(this.at + 2);
    let len = 0;
    let mult = 1;
    let i = this.at + 1;
    for (;;) {
      await this.fill(i + 1);
      const b = this.data[i++]!;
      len += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) break;
    }
    await this.fill(i + len);
    const b0 = this.data[this.at]!;
    const p = { type: b0 >> 4, flags: b0 & 0x0f, body: [...this.data.subarray(i, i + len)] };
    this.at = i + len;
    return p;
  }

  /** The next packet, which must be a PUBLISH. */
  async nextPublish(): Promise<RawPublish> {
    const p = await this.next();
    if (p.type !== 3) throw new Error(`expected PUBLISH, got packet type ${p.type}`);
    return decodePublish(p);
  }

  /** Resolves once nothing more arrives for `ms` (only to show that a packet was not sent). */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.data.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.data.length === before;
  }

  private async fill(n: number): Promise<void> {
    while (this.data.length < n) {
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), this.closed]);
      if (this.sock.destroyed && this.data.length < n) throw new Error(`closed after ${this.data.length} bytes`);
    }
  }
}

export function decodePublish(p: RawPacket): RawPublish {
  const qos = (p.flags >> 1) & 3;
  const tlen = (p.body[0]! << 8) | p.body[1]!;
  const topic = dec.decode(Uint8Array.from(p.body.slice(2, 2 + tlen)));
  let at = 2 + tlen;
  let pid = 0;
  if (qos > 0) {
    pid = (p.body[at]! << 8) | p.body[at + 1]!;
    at += 2;
  }
  return { topic, payload: dec.decode(Uint8Array.from(p.body.slice(at))), qos, dup: (p.flags & 8) !== 0, retain: (p.flags & 1) !== 0, pid };
}

export function str(s: string): number[] {
  const b = enc.encode(s);
  return [b.length >> 8, b.length & 0xff, ...b];
}

function withLength(first: number, body: number[]): number[] {
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return [first, ...len, ...body];
}

/** A CONNECT with protocol `level`, `clean` session, `keepAlive` seconds and client ID `id`. */
export function connectPacket(id: string, keepAlive: number, level = 4, clean = true): number[] {
  return withLength(0x10, [...str("MQTT"), level, clean ? 0x02 : 0, keepAlive >> 8, keepAlive & 0xff, ...str(id)]);
}

export function publishPacket(topic: string, payload: string, qos: number, pid = 0, dup = false): number[] {
  const first = 0x30 | (dup ? 8 : 0) | (qos << 1);
  return withLength(first, [...str(topic), ...(qos > 0 ? [pid >> 8, pid & 0xff] : []), ...enc.encode(payload)]);
}

export function subscribePacket(pid: number, filter: string, qos: number): number[] {
  return withLength(0x82, [pid >> 8, pid & 0xff, ...str(filter), qos]);
}

/** PUBACK (4), PUBREC (5), PUBREL (6, flags 2) or PUBCOMP (7) of `pid`. */
export function ackPacket(type: 4 | 5 | 6 | 7, pid: number): number[] {
  return [(type << 4) | (type === 6 ? 2 : 0), 2, pid >> 8, pid & 0xff];
}

export const CONNACK_OK = [0x20, 2, 0, 0];

/** Runs a client program without blocking the event loop the server runs on; its exit code. */
export function run(cmd: string, args: string[]): Promise<number | null> {
  const p = spawn(cmd, args, { stdio: "ignore" });
  return new Promise((r) => p.on("exit", r));
}

/**
 * mosquitto_sub on `filter` at `qos` for one message, fed by mosquitto_pub on `topic`: what mosquitto_sub
 * printed (`topic payload`). mosquitto_sub says nothing once subscribed, so it publishes until something
 * arrives; the subscriber is killed after the test.
 */
export async function mosquittoRoundTrip(port: number, qos: number, filter: string, topic: string, message: string, own: (x: { close(): unknown }) => unknown): Promise<string> {
  const args = ["-V", "mqttv311", "-h", "127.0.0.1", "-p", String(port), "-q", String(qos)];
  const sub = spawn("mosquitto_sub", [...args, "-t", filter, "-C", "1", "-v"]);
  let out = "";
  sub.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => sub.on("exit", r));
  own({ close: () => sub.kill() });
  for (let i = 0; i < 50 && out === ""; i++) {
    const rc = await run("mosquitto_pub", [...args, "-t", topic, "-m", message]);
    if (rc !== 0) throw new Error(`mosquitto_pub exited with ${rc}`);
  }
  const rc = await exited;
  if (rc !== 0) throw new Error(`mosquitto_sub exited with ${rc}`);
  return out.trim();
}

/** An MQTT.js CONNECT: "ok", or why it failed (the CONNACK refusal's text). */
export async function tryConnect(url: string, opts: IClientOptions = {}): Promise<string> {
  try {
    const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...opts });
    await c.endAsync();
    return "ok";
  } catch (e) {
    return (e as Error).message;
  }
}
