// WsConn's write side against a socket that takes a random part of every write: whatever the core flushes
// comes out as valid server frames whose payloads are the core's bytes in order, with pongs only between
// frames, in frames of at most 64 KiB or 4 KiB frames for a browser. The core is played by a pending buffer that
// keeps what write() did not take, as Connection's Outbound does. The same holds for a dialling leaf's masked
// frames: each carries its own key, and a frame cut short goes on with the key where it stopped.
import { describe, expect, test } from "bun:test";
import type { Conn, ConnHandler } from "../../../src/runtime/types.ts";
import { WsConn } from "../../../src/websocket/ws_conn.ts";
import { concat } from "./concat.ts";

/** A deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

class FlakySocket implements Conn {
  chunks: Uint8Array[] = [];
  length = 0;
  constructor(private readonly rand: () => number) {}
  write(data: Uint8Array): number {
    const r = this.rand();
    const n = r < 0.3 ? 0 : r < 0.6 ? Math.floor(this.rand() * data.length) : data.length;
    if (n > 0) this.chunks.push(data.slice(0, n));
    this.length += n;
    return n;
  }
  get wire(): Uint8Array {
    return concat(this.chunks);
  }
  pause(): void {}
  resume(): void {}
  startTLS(): void {}
  startClientTLS(): void {}
  end(): void {}
  destroy(): void {}
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 1;
}

interface Parsed {
  data: Uint8Array[];
  pongs: number;
  maxPayload: number;
}

/** Reads frames (never fragmented here) off the wire, unmasking those that are; `masked` says all must be. */
function parse(wire: Uint8Array, masked: boolean): Parsed {
  const out: Parsed = { data: [], pongs: 0, maxPayload: 0 };
  let i = 0;
  while (i < wire.length) {
    const b0 = wire[i]!;
    let len = wire[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = (wire[at]! << 8) | wire[at + 1]!;
      at += 2;
    } else if (len === 127) {
      len = 0;
      for (let k = 0; k < 8; k++) len = len * 256 + wire[at + k]!;
      at += 8;
    }
    const op = b0 & 0x0f;
    if ((b0 & 0x80) === 0) throw new Error(`unfinished frame at ${i}`);
    if (((wire[i + 1]! & 0x80) !== 0) !== masked) throw new Error(`mask bit ${masked ? "missing" : "set"} at ${i}`);
    if (masked) {
      const key = wire.slice(at, at + 4);
      at += 4;
      for (let k = 0; k < len; k++) wire[at + k] = wire[at + k]! ^ key[k & 3]!;
    }
    if (op === 10) {
      out.pongs++;
      if (len !== 4) throw new Error(`pong of ${len} bytes at ${i}`);
    } else if (op === 2) {
      out.maxPayload = Math.max(out.maxPayload, len);
      out.data.push(wire.subarray(at, at + len));
    } else throw new Error(`opcode ${op} at ${i}`);
    i = at + len;
  }
  return out;
}

/** A client ping with a 4-byte payload, masked. */
const ping = new Uint8Array([0x89, 0x84, 1, 2, 3, 4, 0x70 ^ 1, 0x69 ^ 2, 0x6e ^ 3, 0x67 ^ 4]);

describe("WsConn writes over a socket that takes what it likes", () => {
  const cases = [
    ["frames of at most 64 KiB", 0, false],
    ["4 KiB frames for a browser", 4096, false],
    ["masked frames of at most 64 KiB, as a dialling leaf sends", 0, true],
  ] as const;
  for (const [label, maxFrame, maskWrites] of cases) {
    test(label, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rand = rng(seed);
        const raw = new FlakySocket(rand);
        const ws = new WsConn(raw, { compression: null, compressThreshold: 64, noMasking: false, maskWrites, maxMessage: 1 << 20, tls: null, forwardedFor: null, cookieJwt: null, maxFrame, wholeCompressed: false });
        ws.handler = { onData() {}, onDrain() {}, onClose() {}, onTLS() {} } satisfies ConnHandler;
        // The core's side: bytes flushed and not yet taken, and everything flushed so far.
        let pending = new Uint8Array(0);
        const sent: Uint8Array[] = [];
        let pings = 0;
        const flush = () => {
          if (pending.length > 0) pending = pending.slice(ws.write(pending));
        };
        for (let step = 0; step < 300; step++) {
          const r = rand();
          if (r < 0.5) {
            // Mostly small batches, some large, a few of over a megabyte.
            const n = 1 + Math.floor(rand() * (rand() < 0.02 ? 1_500_000 : rand() < 0.2 ? 20_000 : 300));
            const add = new Uint8Array(n);
            for (let k = 0; k < n; k++) add[k] = (step * 31 + k) & 0xff;
            const next = new Uint8Array(pending.length + n);
            next.set(pending);
            next.set(add, pending.length);
            pending = next;
            sent.push(add);
          } else if (r < 0.6) {
            ws.onData(ping.slice());
            pings++;
          } else if (r < 0.8) {
            ws.onDrain();
          }
          flush();
        }
        // Drain to the end, as the runtime's drain events would: until the wire stops growing for a while.
        for (let idle = 0, k = 0; k < 100_000 && (pending.length > 0 || idle < 200); k++) {
          const before = raw.length;
          ws.onDrain();
          flush();
          idle = raw.length === before ? idle + 1 : 0;
        }
        const got = parse(raw.wire, maskWrites);
        const data = concat(got.data);
        const want = concat(sent);
        expect(data.length).toBe(want.length);
        expect(Buffer.compare(data, want)).toBe(0);
        expect(got.pongs).toBe(pings);
        expect(got.maxPayload).toBeLessThanOrEqual(maxFrame > 0 ? maxFrame : 64 * 1024);
      }
    });
  }
});
