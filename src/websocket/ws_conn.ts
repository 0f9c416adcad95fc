/**
 * A WebSocket connection as the core sees it: a Conn carrying the NATS byte stream, framed over the raw
 * (TCP or TLS) Conn it was upgraded from. Whatever the core flushes goes out in binary frames of at most
 * 64 KiB (4 KiB for a browser), or deflated as one message when compression was negotiated and the batch is
 * over the threshold (nats-server's wsCollapsePtoNB); reads go through the FrameReader; pings are answered, a
 * close frame is echoed, and the core's close reason becomes the status of the close frame sent last.
 */
import type { Conn, ConnHandler, TLSClientConfig, TLSServerConfig, TLSState } from "../runtime/types.ts";
import { closeStatus } from "./close_status.ts";
import type { Deflate } from "./deflate.ts";
import { FrameReader, OP } from "./frame_reader.ts";
import { closePayload, controlFrame, headerSize, keyOf, mask, writeHeader } from "./frame_writer.ts";

export interface WsConnOptions {
  /** permessage-deflate, when it was negotiated. */
  compression: Deflate | null;
  /** Batches of at most this many bytes go uncompressed. */
  compressThreshold: number;
  /** The peer may send unmasked frames: a client told yes to Nats-No-Masking, or the server a leaf dialled. */
  noMasking: boolean;
  /** Frames sent are masked: this side dialled (a leaf) and the server did not agree to Nats-No-Masking. */
  maskWrites: boolean;
  maxMessage: number;
  /** The listener's TLS, already negotiated, when it has one. */
  tls: TLSState | null;
  /** The first X-Forwarded-For address, when it is an IP. */
  forwardedFor: string | null;
  /** The value of the upgrade request's `jwt_cookie` cookie, when the block names one and it was sent. */
  cookieJwt: string | null;
  /**
   * The largest frame payload sent, 0 for none: nats-server cuts what it sends browsers into 4 KiB frames
   * (whole messages when uncompressed, fragments of one message when compressed).
   */
  maxFrame: number;
  /** Compressed messages go in one frame whatever maxFrame says (Safari, which mishandles fragments). */
  wholeCompressed: boolean;
}

const EMPTY = new Uint8Array(0);
/** A scratch buffer up to this size is kept between batches; a larger one only while batches need it. */
const SCRATCH_KEEP = 64 * 1024;
/** The most of one batch framed (copied) per socket write: one frame, or 4 KiB ones for a browser. */
const WRITE_SLICE = 64 * 1024;

export class WsConn implements Conn, ConnHandler {
  handler: ConnHandler | null = null;
  private readonly reader: FrameReader;
  /**
   * Bytes of the last uncompressed frame's payload the raw connection has not taken: the core still holds
   * them (write() reported them untaken) and hands them back first on its next write, unframed.
   */
  private owed = 0;
  /** When writes are masked: the key of the frame the owed bytes belong to, and where in it they start. */
  private owedKey: Uint8Array | null = null;
  private owedKeyPos = 0;
  /** Framed bytes of our own (control frames, the 101, a compressed frame's rest) to go out once owed is 0. */
  private queue: Uint8Array[] = [];
  /**
   * Where a batch is framed, reused while the raw connection takes batches whole (the usual case). Grown on
   * demand and given back after a burst, so that an idle connection holds none of it.
   */
  private scratch = EMPTY;
  private status = 1000;
  private reason = "";
  /** A close frame was queued: nothing more is written, the raw connection ends once the queue drains. */
  private closeSent = false;
  private rawClosed = false;

  constructor(
    private readonly raw: Conn,
    private readonly opts: WsConnOptions,
  ) {
    this.reader = new FrameReader(
      {
        data: (b) => this.handler?.onData(b),
        control: (op, p) => this.onControl(op, p),
        error: (status, reason) => this.protocolError(status, reason),
      },
      {
        requireMask: !opts.noMasking,
        compression: opts.compression !== null,
        maxMessage: opts.maxMessage,
        inflate: (d) => opts.compression!.inflate(d, opts.maxMessage),
      },
    );
  }

  get remoteAddress(): string {
    return this.raw.remoteAddress;
  }

  get remotePort(): number {
    return this.raw.remotePort;
  }

  get forwardedFor(): string | null {
    return this.opts.forwardedFor;
  }

  /** permessage-deflate was negotiated. */
  get compressed(): boolean {
    return this.opts.compression !== null;
  }

  get masksWrites(): boolean {
    return this.opts.maskWrites;
  }

  get cookieJwt(): string | null {
    return this.opts.cookieJwt;
  }

  get tls(): TLSState | null {
    return this.opts.tls;
  }

  // ---- Conn (the core's side) -----------------------------------------------------------------------------

  write(data: Uint8Array): number {
    if (this.closeSent || this.rawClosed) return 0;
    let done = 0;
    if (this.owed > 0) {
      done = this.writeOwed(data.subarray(0, Math.min(this.owed, data.length)));
      this.owed -= done;
      if (this.owed > 0) return done;
    }
    if (!this.drainQueue() || done === data.length) return done;
    const rest = done === 0 ? data : data.subarray(done);
    const z = this.opts.compression;
    if (z !== null && rest.length > this.opts.compressThreshold) return done + this.writeCompressed(z.deflate(rest), rest.length);
    // What the socket does not take stays the core's to hand back (owed): slow-consumer accounting sees it.
    // Framing copies, so a batch goes out in slices of at most WRITE_SLICE: behind a slow reader the core may
    // hold megabytes, of which the socket takes a few KiB per drain, and each drain must not copy them all.
    const cap = this.opts.maxFrame > 0 ? this.opts.maxFrame : WRITE_SLICE;
    let off = 0;
    while (off < rest.length) {
      const slice = rest.subarray(off, Math.min(rest.length, off + WRITE_SLICE));
      const frames = this.framed(slice, cap, false);
      const n = this.raw.write(frames);
      const t = this.taken(frames, n, slice.length, cap);
      off += t;
      if (t < slice.length || this.queue.length > 0) break;
    }
    return done + off;
  }

  /** The core's rest of a frame cut short; masked on a copy when writes are, the core's bytes left as they are. */
  private writeOwed(b: Uint8Array): number {
    if (this.owedKey === null) return this.raw.write(b);
    const c = b.slice();
    mask(c, this.owedKey, this.owedKeyPos);
    const n = this.raw.write(c);
    this.owedKeyPos = (this.owedKeyPos + n) & 3;
    return n;
  }

  /**
   * How many payload bytes of `frames` (payload cut at `cap`) the `n` bytes written hold, setting owed to the
   * rest of a frame cut short. A frame cut inside its header is queued whole and counts as taken.
   */
  private taken(frames: Uint8Array, n: number, len: number, cap: number): number {
    const masked = this.opts.maskWrites;
    let off = 0;
    let payload = 0;
    while (payload < len) {
      const p = Math.min(cap, len - payload);
      const hs = headerSize(p, masked);
      if (n >= off + hs + p) {
        off += hs + p;
        payload += p;
        continue;
      }
      if (n >= off + hs) {
        const sent = n - off - hs;
        this.owed = p - sent;
        if (masked) {
          this.owedKey = keyOf(frames.subarray(off), hs).slice();
          this.owedKeyPos = sent & 3;
        }
        return payload + sent;
      }
      this.queue.push(frames.slice(n, off + hs + p));
      return payload + p;
    }
    return payload;
  }

  /** A deflated message is ours alone: what the socket does not take is queued. Returns `taken`. */
  private writeCompressed(z: Uint8Array, taken: number): number {
    const cap = this.opts.maxFrame > 0 && !this.opts.wholeCompressed ? this.opts.maxFrame : z.length;
    const frames = this.framed(z, cap, true);
    const n = this.raw.write(frames);
    if (n < frames.length) this.queue.push(frames.slice(n));
    return taken;
  }

  /**
   * `payload` in frames of at most `cap` bytes, in the scratch buffer (valid until the next call): whole
   * binary messages, or with `compressed` one message in fragments (RSV1 on the first only, RFC 7692).
   */
  private framed(payload: Uint8Array, cap: number, compressed: boolean): Uint8Array {
    const masked = this.opts.maskWrites;
    const count = Math.max(1, Math.ceil(payload.length / cap));
    const size = payload.length + count * headerSize(Math.min(cap, payload.length), masked);
    if (this.scratch.length < size || this.scratch.length > Math.max(SCRATCH_KEEP, 8 * size)) {
      this.scratch = new Uint8Array(Math.max(size, Math.min(2 * this.scratch.length, SCRATCH_KEEP)));
    }
    const out = this.scratch;
    let at = 0;
    let from = 0;
    do {
      const p = Math.min(cap, payload.length - from);
      const first = from === 0;
      const last = from + p === payload.length;
      const opcode = compressed && !first ? OP.continuation : OP.binary;
      const hs = writeHeader(out.subarray(at), opcode, p, compressed && first, !compressed || last, masked);
      out.set(payload.subarray(from, from + p), at + hs);
      if (masked) mask(out.subarray(at + hs, at + hs + p), keyOf(out.subarray(at), hs), 0);
      at += hs + p;
      from += p;
    } while (from < payload.length);
    return out.subarray(0, at);
  }

  /** Writes queued frames; false when the socket is full before the queue is empty. */
  private drainQueue(): boolean {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.raw.write(head);
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return false;
      }
      this.queue.shift();
    }
    return true;
  }

  pause(): void {
    this.raw.pause();
  }

  resume(): void {
    this.raw.resume();
  }

  startTLS(_cfg: TLSServerConfig): void {
    this.handler?.onTLS(new Error("TLS on a WebSocket is the listener's, not the connection's"));
  }

  startClientTLS(_cfg: TLSClientConfig): void {
    this.handler?.onTLS(new Error("client TLS on an accepted WebSocket"));
  }

  closing(reason: string): void {
    this.status = closeStatus(reason);
    this.reason = reason;
  }

  end(): void {
    this.handler = null;
    this.sendClose(this.control(OP.close, closePayload(this.status, this.reason)));
  }

  destroy(): void {
    this.handler = null;
    // A close frame still goes out when nothing is stuck before it: a client should learn why.
    if (this.owed > 0 || this.queue.length > 0) return this.destroyRaw();
    this.end();
  }

  // ---- ConnHandler (the raw connection's side) ------------------------------------------------------------

  onData(data: Uint8Array): void {
    if (!this.closeSent) this.reader.push(data);
  }

  onDrain(): void {
    // The core holds the rest of the current frame: it writes that first.
    if (this.owed > 0) return this.handler?.onDrain();
    if (!this.drainQueue()) return;
    if (this.closeSent) this.endRaw();
    else this.handler?.onDrain();
  }

  onClose(): void {
    this.rawClosed = true;
    this.tellClosed();
  }

  onTLS(_result: TLSState | Error): void {}

  // ---- frames ---------------------------------------------------------------------------------------------

  private onControl(op: number, payload: Uint8Array): void {
    if (op === OP.ping) this.send(this.control(OP.pong, payload));
    else if (op === OP.close) this.peerClosed(payload);
  }

  /** Echoes a close (nats-server's wsHandleControlFrame), answering one without a status with an empty close. */
  private peerClosed(payload: Uint8Array): void {
    let reply: Uint8Array = EMPTY;
    if (payload.length === 1) reply = closePayload(1002, "invalid close frame");
    else if (payload.length >= 2) {
      const status = (payload[0]! << 8) | payload[1]!;
      const body = payload.subarray(2);
      if (!validCloseStatus(status)) reply = closePayload(1002, `invalid close status ${status}`);
      else if (!validUtf8(body)) reply = closePayload(1007, "invalid utf8 body in close frame");
      else reply = payload;
    }
    this.sendClose(this.control(OP.close, reply));
    this.tellClosed();
  }

  private protocolError(status: number, reason: string): void {
    this.sendClose(this.control(OP.close, closePayload(status, reason)));
    this.tellClosed();
  }

  /** The core learns the connection is over; the raw one ends once the close frame is out. */
  private tellClosed(): void {
    const h = this.handler;
    this.handler = null;
    h?.onClose();
  }

  private control(op: number, payload: Uint8Array): Uint8Array {
    return controlFrame(op, payload, this.opts.maskWrites);
  }

  /** Sends bytes already framed (or the 101 response, before any frame), after what is queued. */
  send(frame: Uint8Array): void {
    if (this.closeSent || this.rawClosed) return;
    if (this.owed > 0 || this.queue.length > 0) {
      this.queue.push(frame);
      return;
    }
    const n = this.raw.write(frame);
    if (n < frame.length) this.queue.push(frame.subarray(n));
  }

  private sendClose(frame: Uint8Array): void {
    if (this.closeSent || this.rawClosed) return;
    // A frame cut short cannot be finished once the core has let go of its bytes: no close frame then.
    if (this.owed > 0) return this.destroyRaw();
    this.send(frame);
    this.closeSent = true;
    if (this.queue.length === 0) this.endRaw();
  }

  private destroyRaw(): void {
    if (this.rawClosed) return;
    this.rawClosed = true;
    this.raw.destroy();
  }

  private endRaw(): void {
    if (this.rawClosed) return;
    this.rawClosed = true;
    this.raw.end();
  }
}

/** RFC 6455 7.4: the statuses a peer may send. */
function validCloseStatus(s: number): boolean {
  if (s < 1000 || s >= 5000) return false;
  if (s >= 3000) return true;
  return s <= 1014 && s !== 1004 && s !== 1005 && s !== 1006;
}

const strict = new TextDecoder("utf-8", { fatal: true });

function validUtf8(b: Uint8Array): boolean {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
}
