/**
 * The STAN protobuf messages (stan.go's pb/protocol.proto, proto3), as field tables over
 * @bufbuild/protobuf's wire primitives: no codegen, and 64-bit fields as BigInt because a nanosecond
 * timestamp does not fit a double. proto3 leaves out defaults, so encode skips them and decode fills them.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

type FieldType = "string" | "bytes" | "int32" | "uint32" | "int64" | "uint64" | "bool";
type Schema = Readonly<Record<string, readonly [number, FieldType]>>;

interface TypeOf {
  string: string;
  bytes: Uint8Array;
  int32: number;
  uint32: number;
  int64: bigint;
  uint64: bigint;
  bool: boolean;
}

export type Message<S extends Schema> = { [K in keyof S]: TypeOf[S[K][1]] };

const EMPTY = new Uint8Array(0);

function defaultOf(t: FieldType): TypeOf[FieldType] {
  switch (t) {
    case "string":
      return "";
    case "bytes":
      return EMPTY;
    case "int64":
    case "uint64":
      return 0n;
    case "bool":
      return false;
    default:
      return 0;
  }
}

const wireOf = (t: FieldType): WireType => (t === "string" || t === "bytes" ? WireType.LengthDelimited : WireType.Varint);

export interface Codec<S extends Schema> {
  encode(m: Partial<Message<S>>): Uint8Array;
  /** Throws on bytes that are not this message (a wrong wire type for a known field, truncation, bad UTF-8). */
  decode(b: Uint8Array): Message<S>;
}

function codec<S extends Schema>(schema: S): Codec<S> {
  const byNumber = new Map<number, [string, FieldType]>();
  for (const [name, [no, t]] of Object.entries(schema)) byNumber.set(no, [name, t]);
  const ordered = [...Object.entries(schema)].sort((a, b) => a[1][0] - b[1][0]);
  return {
    encode(m) {
      const w = new BinaryWriter();
      for (const [name, [no, t]] of ordered) {
        const v = (m as Record<string, unknown>)[name];
        if (v === undefined || v === "" || v === 0 || v === 0n || v === false) continue;
        if (v instanceof Uint8Array && v.length === 0) continue;
        w.tag(no, wireOf(t));
        switch (t) {
          case "string":
            w.string(v as string);
            break;
          case "bytes":
            w.bytes(v as Uint8Array);
            break;
          case "int32":
            w.int32(v as number);
            break;
          case "uint32":
            w.uint32(v as number);
            break;
          case "int64":
            w.int64(v as bigint);
            break;
          case "uint64":
            w.uint64(v as bigint);
            break;
          case "bool":
            w.bool(v as boolean);
            break;
        }
      }
      return w.finish();
    },
    decode(b) {
      const out: Record<string, unknown> = {};
      for (const [name, [, t]] of Object.entries(schema)) out[name] = defaultOf(t);
      const r = new BinaryReader(b);
      while (r.pos < r.len) {
        const [no, wt] = r.tag();
        const field = byNumber.get(no);
        if (field === undefined || wt !== wireOf(field[1])) {
          if (field !== undefined) throw new Error(`field ${no}: wire type ${wt}`);
          r.skip(wt, no);
          continue;
        }
        const [name, t] = field;
        switch (t) {
          case "string":
            out[name] = r.string(true);
            break;
          case "bytes":
            out[name] = r.bytes().slice();
            break;
          case "int32":
            out[name] = r.int32();
            break;
          case "uint32":
            out[name] = r.uint32();
            break;
          case "int64":
            out[name] = BigInt(r.int64());
            break;
          case "uint64":
            out[name] = BigInt(r.uint64());
            break;
          case "bool":
            out[name] = r.bool();
            break;
        }
      }
      if (r.pos !== r.len) throw new Error("truncated message");
      return out as Message<S>;
    },
  };
}

export const PubMsg = codec({
  clientID: [1, "string"],
  guid: [2, "string"],
  subject: [3, "string"],
  reply: [4, "string"],
  data: [5, "bytes"],
  connID: [6, "bytes"],
  sha256: [10, "bytes"],
});

export const PubAck = codec({ guid: [1, "string"], error: [2, "string"] });

export const MsgProto = codec({
  sequence: [1, "uint64"],
  subject: [2, "string"],
  reply: [3, "string"],
  data: [4, "bytes"],
  timestamp: [5, "int64"],
  redelivered: [6, "bool"],
  redeliveryCount: [7, "uint32"],
  CRC32: [10, "uint32"],
});

export const Ack = codec({ subject: [1, "string"], sequence: [2, "uint64"] });

export const ConnectRequest = codec({
  clientID: [1, "string"],
  heartbeatInbox: [2, "string"],
  protocol: [3, "int32"],
  connID: [4, "bytes"],
  pingInterval: [5, "int32"],
  pingMaxOut: [6, "int32"],
});

export const ConnectResponse = codec({
  pubPrefix: [1, "string"],
  subRequests: [2, "string"],
  unsubRequests: [3, "string"],
  closeRequests: [4, "string"],
  error: [5, "string"],
  subCloseRequests: [6, "string"],
  pingRequests: [7, "string"],
  pingInterval: [8, "int32"],
  pingMaxOut: [9, "int32"],
  protocol: [10, "int32"],
  publicKey: [100, "string"],
});

export const Ping = codec({ connID: [1, "bytes"] });
export const PingResponse = codec({ error: [1, "string"] });

export const StartPosition = { NewOnly: 0, LastReceived: 1, TimeDeltaStart: 2, SequenceStart: 3, First: 4 } as const;

export const SubscriptionRequest = codec({
  clientID: [1, "string"],
  subject: [2, "string"],
  qGroup: [3, "string"],
  inbox: [4, "string"],
  maxInFlight: [5, "int32"],
  ackWaitInSecs: [6, "int32"],
  durableName: [7, "string"],
  startPosition: [10, "int32"],
  startSequence: [11, "uint64"],
  startTimeDelta: [12, "int64"],
});

export const SubscriptionResponse = codec({ ackInbox: [2, "string"], error: [3, "string"] });

export const UnsubscribeRequest = codec({
  clientID: [1, "string"],
  subject: [2, "string"],
  inbox: [3, "string"],
  durableName: [4, "string"],
});

export const CloseRequest = codec({ clientID: [1, "string"] });
export const CloseResponse = codec({ error: [1, "string"] });
