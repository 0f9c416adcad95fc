/**
 * The bodies of the packets a client sends, checked as nats-server 2.9.10 checks them. A PacketError closes
 * the connection; a ConnectRefusal is answered with a CONNACK carrying its return code first.
 */
import { FieldReader, PacketError } from "./packet.ts";

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
export const ConnackCode = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** A CONNECT the server answers with a CONNACK refusing it. */
export class ConnectRefusal extends Error {
  constructor(
    readonly rc: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Will {
  topic: string;
  message: Uint8Array;
  qos: number;
  retain: boolean;
}

export interface ConnectPacket {
  clientId: string;
  clean: boolean;
  /** Seconds; 0 means none. */
  keepAlive: number;
  will: Will | null;
  username?: string;
  password?: Uint8Array;
}

const FLAG_RESERVED = 0x01;
const FLAG_CLEAN = 0x02;
const FLAG_WILL = 0x04;
const FLAG_WILL_RETAIN = 0x20;
const FLAG_PASSWORD = 0x40;
const FLAG_USERNAME = 0x80;

export function decodeConnect(body: Uint8Array): ConnectPacket {
  const r = new FieldReader(body);
  const proto = r.string("protocol name");
  if (proto === "MQIsdp") throw new PacketError(`older protocol "MQIsdp" not supported`);
  if (proto !== "MQTT") throw new PacketError(`expected connect packet with protocol name "MQTT", got ${JSON.stringify(proto)}`);
  const level = r.byte("protocol level");
  if (level !== 4) throw new ConnectRefusal(ConnackCode.UNACCEPTABLE_PROTOCOL, `unacceptable protocol version of ${level}`);
  const flags = r.byte("flags");
  if (flags & FLAG_RESERVED) throw new PacketError("connect flags reserved bit not set to 0");
  const willQos = (flags >> 3) & 0x03;
  const hasWill = (flags & FLAG_WILL) !== 0;
  if (!hasWill && (willQos !== 0 || (flags & FLAG_WILL_RETAIN) !== 0)) {
    throw new PacketError("if Will flag is set to 0, Will QoS and Will Retain must be 0 too");
  }
  if (willQos === 3) throw new PacketError("if Will flag is set to 1, Will QoS can be 0, 1 or 2, not 3");
  if ((flags & FLAG_PASSWORD) !== 0 && (flags & FLAG_USERNAME) === 0) {
    throw new PacketError("password flag set but username flag is not");
  }
  const clean = (flags & FLAG_CLEAN) !== 0;
  const keepAlive = r.u16("keep alive");
  let clientId: string;
  try {
    clientId = r.string("client ID");
  } catch (e) {
    if (e instanceof PacketError && !e.message.includes("too short")) throw new ConnectRefusal(ConnackCode.IDENTIFIER_REJECTED, e.message);
    throw e;
  }
  if (clientId === "" && !clean) throw new ConnectRefusal(ConnackCode.IDENTIFIER_REJECTED, "when client ID is empty, clean session flag must be set to 1");
  let will: Will | null = null;
  if (hasWill) {
    const topic = r.string("Will topic");
    if (topic === "") throw new PacketError("empty Will topic not allowed");
    will = { topic, message: r.bytes("Will message").slice(), qos: willQos, retain: (flags & FLAG_WILL_RETAIN) !== 0 };
  }
  const c: ConnectPacket = { clientId, clean, keepAlive, will };
  if (flags & FLAG_USERNAME) {
    let username: string;
    try {
      username = r.string("user name");
    } catch (e) {
      if (e instanceof PacketError && !e.message.includes("too short")) throw new ConnectRefusal(ConnackCode.BAD_USERNAME_OR_PASSWORD, e.message);
      throw e;
    }
    if (username === "") throw new ConnectRefusal(ConnackCode.BAD_USERNAME_OR_PASSWORD, "empty user name not allowed");
    c.username = username;
  }
  if (flags & FLAG_PASSWORD) c.password = r.bytes("password").slice();
  return c;
}

export interface PublishPacket {
  topic: string;
  qos: number;
  retain: boolean;
  /** 0 at QoS 0. */
  pid: number;
  payload: Uint8Array;
}

export function decodePublish(flags: number, body: Uint8Array): PublishPacket {
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw new PacketError("QoS=3 is invalid in MQTT");
  const r = new FieldReader(body);
  const topic = r.string("topic");
  if (topic === "") throw new PacketError("topic cannot be empty");
  let pid = 0;
  if (qos > 0) {
    pid = r.u16("packet identifier");
    if (pid === 0) throw new PacketError("with QoS=1, packet identifier cannot be 0");
  }
  return { topic, qos, retain: (flags & 0x01) !== 0, pid, payload: r.rest() };
}

export interface Filter {
  filter: string;
  qos: number;
}

export interface SubscribePacket {
  pid: number;
  filters: Filter[];
}

/** SUBSCRIBE (with QoS per filter) or UNSUBSCRIBE (without). */
export function decodeSubscribe(flags: number, body: Uint8Array, withQos: boolean): SubscribePacket {
  const what = withQos ? "subscribe" : "unsubscribe";
  // [MQTT-3.8.1-1], [MQTT-3.10.1-1]
  if (flags !== 0x02) throw new PacketError(`${what} flags must be 0x2`);
  const r = new FieldReader(body);
  const pid = r.u16("packet identifier");
  if (pid === 0) throw new PacketError(`${what} packet identifier cannot be 0`);
  const filters: Filter[] = [];
  while (r.left > 0) {
    const filter = r.string("topic filter");
    if (filter === "") throw new PacketError("topic filter cannot be empty");
    let qos = 0;
    if (withQos) {
      qos = r.byte("QoS");
      if (qos > 2) throw new PacketError(`subscribe QoS value must be 0, 1 or 2, got ${qos}`);
    }
    filters.push({ filter, qos });
  }
  // [MQTT-3.8.3-3], [MQTT-3.10.3-2]
  if (filters.length === 0) throw new PacketError(`${what} protocol must contain at least 1 topic filter`);
  return { pid, filters };
}

export function decodePacketId(body: Uint8Array, what: string): number {
  const pid = new FieldReader(body).u16(`${what} packet identifier`);
  if (pid === 0) throw new PacketError(`${what} packet identifier cannot be 0`);
  return pid;
}
