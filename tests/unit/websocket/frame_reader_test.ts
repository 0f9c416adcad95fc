// The frame reader alone: a client's frames split at every byte come out as the same byte stream; control
// frames between fragments are answered in place; compressed messages (fragmented too) inflate whole; the
// protocol errors carry nats-server's words and statuses.
import { describe, expect, test } from "bun:test";
import { constants, deflateRawSync } from "node:zlib";
import { FrameReader, OP, unmask } from "../../../src/websocket/frame_reader.ts";
import { inflateMessage } from "../../../src/websocket/deflate.ts";
import { concat } from "./concat.ts";

interface Heard {
  data: string;
  control: [number, string][];
  errors: [number, string][];
}

function reader(opts: { requireMask?: boolean; compression?: boolean; maxMessage?: number } = {}): { r: FrameReader; heard: Heard } {
  const heard: Heard = { data: "", control: [], errors: [] };
  const dec = new TextDecoder();
  const r = new FrameReader(
    {
      data: (b) => void (heard.data += dec.decode(b)),
      control: (op, p) => void heard.control.push([op, dec.decode(p)]),
      error: (s, why) => void heard.errors.push([s, why]),
    },
    { requireMask: opts.requireMask ?? true, compression: opts.compression ?? false, maxMessage: opts.maxMessage ?? 1 << 20, inflate: (d) => inflateMessage(d, 1 << 20) },
  );
  return { r, heard };
}

/** A client frame: masked with a fixed key unless `mask` is false. */
function frame(opcode: number, payload: Uint8Array | string, o: { fin?: boolean; rsv1?: boolean; mask?: boolean; rsv2?: boolean } = {}): Uint8Array {
  const p = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const mask = o.mask ?? true;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | (o.rsv2 ? 0x20 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (p.length < 126) head.push(m | p.length);
  else if (p.length < 65536) head.push(m | 126, p.length >> 8, p.length & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (p.length >>> 24) & 0xff, (p.length >>> 16) & 0xff, (p.length >>> 8) & 0xff, p.length & 0xff);
  const key = [0x37, 0xfa, 0x21, 0x3d];
  const body = mask ? p.map((v, i) => v ^ key[i % 4]!) : p.slice();
  return new Uint8Array([...head, ...(mask ? key : []), ...body]);
}

const join = (...parts: Uint8Array[]) => concat(parts);

const deflated = (s: string) => {
  const d = deflateRawSync(Buffer.from(s), { finishFlush: constants.Z_SYNC_FLUSH });
  return new Uint8Array(d.subarray(0, d.length - 4));
};

describe("the frame reader", () => {
  const big = "PUB big 70000\r\n" + "x".repeat(70_000) + "\r\n";
  const stream = join(
    frame(OP.binary, "CONNECT {}\r\nPI", { fin: false }),
    frame(OP.ping, "are you there"),
    frame(OP.continuation, "NG\r\n"),
    frame(OP.text, "SUB a 1\r\n"),
    frame(OP.binary, big),
    frame(OP.binary, ""),
  );

  test("a stream split at every byte gives the same bytes, the ping in its place", () => {
    const want = "CONNECT {}\r\nPING\r\nSUB a 1\r\n" + big;
    for (const step of [1, 2, 3, 7, 13, 125, 4096]) {
      const { r, heard } = reader();
      // Copies: the reader unmasks in place.
      for (let i = 0; i < stream.length; i += step) r.push(stream.slice(i, i + step));
      expect(heard.data).toBe(want);
      expect(heard.control).toEqual([[OP.ping, "are you there"]]);
      expect(heard.errors).toEqual([]);
    }
  });

  test("a compressed message in two fragments inflates once it is whole; an uncompressed one beside it passes as is", () => {
    const z = deflated("MSG hello 1 5\r\nworld\r\n".repeat(20));
    const { r, heard } = reader({ compression: true });
    r.push(join(frame(OP.binary, z.subarray(0, 5), { fin: false, rsv1: true }), frame(OP.continuation, z.subarray(5)), frame(OP.binary, "PING\r\n")));
    expect(heard.data).toBe("MSG hello 1 5\r\nworld\r\n".repeat(20) + "PING\r\n");
  });

  test("Nats-No-Masking: unmasked frames are read when masking is not required", () => {
    const { r, heard } = reader({ requireMask: false });
    r.push(frame(OP.binary, "PING\r\n", { mask: false }));
    expect(heard.data).toBe("PING\r\n");
  });

  const errors: [string, Uint8Array, { compression?: boolean; maxMessage?: number }, [number, string]][] = [
    ["an unmasked frame", frame(OP.binary, "x", { mask: false }), {}, [1002, "mask bit missing"]],
    ["RSV2 set", frame(OP.binary, "x", { rsv2: true }), {}, [1002, "RSV2 and RSV3 must be clear"]],
    ["a compressed frame without deflate", frame(OP.binary, "x", { rsv1: true }), {}, [1002, "compressed frame received without negotiated permessage-deflate"]],
    ["a fragmented ping", frame(OP.ping, "x", { fin: false }), {}, [1002, "control frame does not have final bit set"]],
    ["a long ping", frame(OP.ping, "x".repeat(126)), {}, [1002, "control frame length bigger than maximum allowed of 125 bytes"]],
    ["a continuation with nothing open", frame(OP.continuation, "x"), {}, [1002, "invalid continuation frame"]],
    ["a new message before the last one ended", join(frame(OP.binary, "a", { fin: false }), frame(OP.binary, "b")), {}, [1002, "new message started before final frame for previous message was received"]],
    ["a reserved opcode", frame(3, "x"), {}, [1002, "unknown opcode 3"]],
    ["a frame over the limit", frame(OP.binary, "x".repeat(200)), { maxMessage: 100 }, [1009, "Message Too Big"]],
    ["bytes that do not inflate", frame(OP.binary, new Uint8Array([0xff, 0xff, 0xff]), { rsv1: true }), { compression: true }, [1007, ""]],
  ];
  for (const [what, bytes, opts, [status, why]] of errors) {
    test(`${what} is status ${status}${why ? ` "${why}"` : ""}, and nothing after it is read`, () => {
      const { r, heard } = reader(opts);
      r.push(join(bytes, frame(OP.binary, "after")));
      expect(heard.errors.length).toBe(1);
      expect(heard.errors[0]![0]).toBe(status);
      if (why) expect(heard.errors[0]![1]).toBe(why);
      expect(heard.data.includes("after")).toBe(false);
    });
  }

  test("the first two bytes are enough to refuse a bad frame", () => {
    const { r, heard } = reader();
    r.push(new Uint8Array([0xff, 0xff]));
    expect(heard.errors.length).toBe(1);
  });

  test("unmask keeps the key position across calls, at any alignment", () => {
    const key = 0x01020304;
    const plain = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const masked = plain.map((v, i) => v ^ [1, 2, 3, 4][i % 4]!);
    for (const cut of [0, 1, 3, 5, 17, 999]) {
      const buf = new Uint8Array(masked.length + 3);
      buf.set(masked, 3);
      const view = buf.subarray(3);
      const pos = unmask(view.subarray(0, cut), key, 0);
      unmask(view.subarray(cut), key, pos);
      expect(view).toEqual(plain);
    }
  });
});
