/**
 * Reads client frames from the bytes after the upgrade (nats-server's wsRead): headers split at any byte,
 * payloads unmasked in place and handed on as they arrive (a frame boundary means nothing to NATS), control
 * frames answered between fragments, compressed messages gathered and inflated whole. Pure: the caller gives
 * it bytes and hears data, control frames and protocol errors, in nats-server's words.
 */

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

const FIN = 0x80;
const RSV1 = 0x40;
const RSV23 = 0x30;
const MASK = 0x80;
const MAX_CONTROL = 125;
const MAX_HEADER = 14;

export interface FrameSink {
  /** Message bytes, uncompressed; only valid during the call (they may be the caller's chunk, unmasked). */
  data(bytes: Uint8Array): void;
  /** A whole close, ping or pong frame, unmasked. */
  control(opcode: number, payload: Uint8Array): void;
  /** The peer broke the protocol: close with `status` and `reason`, and read no more. */
  error(status: number, reason: string): void;
}

export interface FrameReaderOptions {
  /** Clients must mask, unless they asked for Nats-No-Masking and were told yes. */
  requireMask: boolean;
  /** permessage-deflate was negotiated. */
  compression: boolean;
  /** Inflates a whole compressed message (its trailer already restored), or throws. */
  inflate(data: Uint8Array): Uint8Array;
  /** The largest frame or compressed message accepted, in bytes; larger is status 1009. */
  maxMessage: number;
}

export class FrameReader {
  private readonly head = new Uint8Array(MAX_HEADER);
  private headLen = 0;
  /** Payload bytes left in the current frame; -1 between frames. */
  private rem = -1;
  private opcode = 0;
  private masked = false;
  private key = 0;
  /** Position in the 4-byte mask key where the next payload byte starts. */
  private keyPos = 0;
  /** A data message is open (its last frame has not come). */
  private open = false;
  /** The open message is compressed. */
  private deflated = false;
  private gathered: Uint8Array[] = [];
  private gatheredLen = 0;
  /** The control frame being read, when its payload spans chunks. */
  private control: Uint8Array | null = null;
  private controlLen = 0;
  private failed = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FrameReaderOptions,
  ) {}

  push(chunk: Uint8Array): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end && !this.failed) {
      if (this.rem < 0) {
        pos = this.readHeader(chunk, pos);
        continue;
      }
      const n = Math.min(this.rem, end - pos);
      const part = chunk.subarray(pos, pos + n);
      pos += n;
      this.rem -= n;
      if (this.masked) this.keyPos = unmask(part, this.key, this.keyPos);
      if (this.control !== null) {
        this.control.set(part, this.controlLen);
        this.controlLen += n;
      } else if (this.deflated) {
        this.gathered.push(part.slice());
        this.gatheredLen += n;
      } else if (n > 0) {
        this.sink.data(part);
      }
      if (this.rem === 0) this.frameDone();
    }
  }

  /** Takes header bytes from `chunk` at `pos`; returns where the payload starts (or `chunk.length`). */
  private readHeader(chunk: Uint8Array, pos: number): number {
    const h = this.head;
    if (this.headLen < 2) {
      while (this.headLen < 2 && pos < chunk.length) h[this.headLen++] = chunk[pos++]!;
      if (this.headLen < 2) return pos;
      // The first two bytes say enough to refuse a bad frame before its length and key arrive.
      if (!this.checkStart()) return pos;
    }
    const b1 = h[1]!;
    const len7 = b1 & 0x7f;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & MASK ? 4 : 0);
    while (this.headLen < need && pos < chunk.length) h[this.headLen++] = chunk[pos++]!;
    if (this.headLen < need) return pos;
    this.headLen = 0;
    this.startFrame();
    return pos;
  }

  /** Checks a frame's first two bytes against the protocol and the open message (nats-server's order). */
  private checkStart(): boolean {
    const b0 = this.head[0]!;
    const b1 = this.head[1]!;
    const opcode = b0 & 0x0f;
    const fin = (b0 & FIN) !== 0;
    const rsv1 = (b0 & RSV1) !== 0;
    this.masked = (b1 & MASK) !== 0;
    if (this.opts.requireMask && !this.masked) return this.fail(1002, "mask bit missing");
    if (b0 & RSV23) return this.fail(1002, "RSV2 and RSV3 must be clear");
    if (rsv1 && !this.opts.compression) return this.fail(1002, "compressed frame received without negotiated permessage-deflate");
    switch (opcode) {
      case OP.close:
      case OP.ping:
      case OP.pong:
        if ((b1 & 0x7f) > MAX_CONTROL) return this.fail(1002, `control frame length bigger than maximum allowed of ${MAX_CONTROL} bytes`);
        if (!fin) return this.fail(1002, "control frame does not have final bit set");
        if (rsv1) return this.fail(1002, "control frames must not be compressed");
        return true;
      case OP.text:
      case OP.binary:
        if (this.open) return this.fail(1002, "new message started before final frame for previous message was received");
        return true;
      case OP.continuation:
        if (!this.open || rsv1) return this.fail(1002, "invalid continuation frame");
        return true;
      default:
        return this.fail(1002, `unknown opcode ${opcode}`);
    }
  }

  /** The whole header is in: the length, the key, and the message state the frame opens or continues. */
  private startFrame(): void {
    const h = this.head;
    const b0 = h[0]!;
    const opcode = b0 & 0x0f;
    const fin = (b0 & FIN) !== 0;
    let len = h[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      len = (h[2]! << 8) | h[3]!;
      at = 4;
    } else if (len === 127) {
      if (h[2]! & 0x80) return void this.fail(1002, "invalid 64-bit payload length");
      const hi = ((h[2]! << 24) | (h[3]! << 16) | (h[4]! << 8) | h[5]!) >>> 0;
      const lo = ((h[6]! << 24) | (h[7]! << 16) | (h[8]! << 8) | h[9]!) >>> 0;
      len = hi * 2 ** 32 + lo;
      at = 10;
    }
    if (this.masked) {
      this.key = ((h[at]! << 24) | (h[at + 1]! << 16) | (h[at + 2]! << 8) | h[at + 3]!) >>> 0;
      this.keyPos = 0;
    }
    if (opcode >= OP.close) {
      this.control = new Uint8Array(len);
      this.controlLen = 0;
    } else {
      if (opcode !== OP.continuation) this.deflated = (b0 & RSV1) !== 0;
      this.open = !fin;
      if (len > this.opts.maxMessage || (this.deflated && this.gatheredLen + len > this.opts.maxMessage)) return void this.fail(1009, "Message Too Big");
    }
    this.opcode = opcode;
    this.rem = len;
    if (len === 0) this.frameDone();
  }

  private frameDone(): void {
    this.rem = -1;
    if (this.control !== null) {
      const c = this.control;
      this.control = null;
      this.sink.control(this.opcode, c);
      return;
    }
    if (this.deflated && !this.open) this.inflateMessage();
  }

  private inflateMessage(): void {
    const parts = this.gathered;
    const total = this.gatheredLen;
    this.gathered = [];
    this.gatheredLen = 0;
    this.deflated = false;
    // RFC 7692 7.2.2: the sender removed the sync flush's 00 00 ff ff.
    const all = new Uint8Array(total + 4);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    all.set(SYNC_TAIL, total);
    let out: Uint8Array;
    try {
      out = this.opts.inflate(all);
    } catch (e) {
      const tooBig = e instanceof RangeError || (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      return void this.fail(tooBig ? 1009 : 1007, tooBig ? "Message Too Big" : `invalid compressed message: ${(e as Error).message}`);
    }
    if (out.length > 0) this.sink.data(out);
  }

  private fail(status: number, reason: string): false {
    this.failed = true;
    this.sink.error(status, reason);
    return false;
  }
}

const SYNC_TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const WORDS_MIN = 16;

/**
 * XORs `b` in place with the 4-byte `key` (big-endian, as on the wire) starting at key byte `pos`; returns the
 * key position after it. Whole 32-bit words where the buffer is aligned, bytes at the edges.
 */
export function unmask(b: Uint8Array, key: number, pos: number): number {
  const n = b.length;
  let i = 0;
  const kb = [(key >>> 24) & 0xff, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff];
  // Bytes until the buffer offset is 4-aligned.
  const lead = Math.min(n, (4 - (b.byteOffset & 3)) & 3);
  for (; i < lead; i++) b[i] = b[i]! ^ kb[(pos + i) & 3]!;
  const words = (n - i) >>> 2;
  // A typed-array view costs more than it saves on a short payload.
  if (words >= WORDS_MIN) {
    const p = (pos + i) & 3;
    // The key rotated to this position, as a little-endian word (every target natsedge runs on is).
    const w = (kb[p]! | (kb[(p + 1) & 3]! << 8) | (kb[(p + 2) & 3]! << 16) | (kb[(p + 3) & 3]! << 24)) | 0;
    const u32 = new Int32Array(b.buffer, b.byteOffset + i, words);
    for (let j = 0; j < words; j++) u32[j] = u32[j]! ^ w;
    i += words * 4;
  }
  for (; i < n; i++) b[i] = b[i]! ^ kb[(pos + i) & 3]!;
  return (pos + n) & 3;
}
