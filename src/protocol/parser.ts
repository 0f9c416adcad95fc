/**
 * The client protocol parser: a byte state machine ported in spirit from nats-server's server/parser.go, with
 * the same state names so the two can be compared line by line. It is pure: it reads bytes and calls a
 * handler, never a socket or a timer.
 *
 * One parser serves one connection of one kind (nats-server's client.kind): a client may send PUB/HPUB and
 * SUB/UNSUB, a route RS+/RS- and RMSG/HMSG, a leaf node LS+/LS- and LMSG/HMSG; an op its kind may not send
 * is an unknown protocol operation, as nats-server answers it.
 *
 * A PUB/HPUB whose arguments and payload sit in one read buffer is delivered without copying: the handler
 * gets offsets into that buffer. Only a frame split across reads is copied (arguments into a scratch buffer
 * bounded by max_control_line, the payload into a buffer of exactly its declared size).
 */
import { ERR, ProtocolError } from "./errors.ts";
import { Kind, kindName } from "./kind.ts";

export const State = {
  OP_START: 0,
  OP_PLUS: 1,
  OP_PLUS_O: 2,
  OP_PLUS_OK: 3,
  OP_MINUS: 4,
  OP_MINUS_E: 5,
  OP_MINUS_ER: 6,
  OP_MINUS_ERR: 7,
  OP_MINUS_ERR_SPC: 8,
  MINUS_ERR_ARG: 9,
  OP_C: 10,
  OP_CO: 11,
  OP_CON: 12,
  OP_CONN: 13,
  OP_CONNE: 14,
  OP_CONNEC: 15,
  OP_CONNECT: 16,
  CONNECT_ARG: 17,
  OP_H: 18,
  OP_HP: 19,
  OP_HPU: 20,
  OP_HPUB: 21,
  OP_HPUB_SPC: 22,
  HPUB_ARG: 23,
  OP_P: 24,
  OP_PU: 25,
  OP_PUB: 26,
  OP_PUB_SPC: 27,
  PUB_ARG: 28,
  OP_PI: 29,
  OP_PIN: 30,
  OP_PING: 31,
  OP_PO: 32,
  OP_PON: 33,
  OP_PONG: 34,
  MSG_PAYLOAD: 35,
  MSG_END_R: 36,
  MSG_END_N: 37,
  OP_S: 38,
  OP_SU: 39,
  OP_SUB: 40,
  OP_SUB_SPC: 41,
  SUB_ARG: 42,
  OP_U: 43,
  OP_UN: 44,
  OP_UNS: 45,
  OP_UNSU: 46,
  OP_UNSUB: 47,
  OP_UNSUB_SPC: 48,
  UNSUB_ARG: 49,
  OP_I: 50,
  OP_IN: 51,
  OP_INF: 52,
  OP_INFO: 53,
  INFO_ARG: 54,
  OP_HM: 55,
  OP_HMS: 56,
  OP_HMSG: 57,
  OP_HMSG_SPC: 58,
  HMSG_ARG: 59,
  OP_L: 60,
  OP_LS: 61,
  OP_R: 62,
  OP_RS: 63,
  OP_M: 64,
  OP_MS: 65,
  OP_MSG: 66,
  OP_MSG_SPC: 67,
  MSG_ARG: 68,
} as const;
export type State = (typeof State)[keyof typeof State];

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
/** nats-server's parseSize refuses more digits than this, so sizes always fit a safe integer. */
const MAX_SIZE_DIGITS = 9;

/**
 * Arguments of the PUB/HPUB being parsed. `buf` holds the argument bytes (the read buffer, or the parser's
 * own copy when the frame was split); subject and reply are [start, end) ranges in it.
 */
export interface PubArg {
  buf: Uint8Array;
  subjStart: number;
  subjEnd: number;
  /** replyStart === replyEnd when there is no reply subject. */
  replyStart: number;
  replyEnd: number;
  /** Header block size for HPUB, -1 for PUB. */
  hdr: number;
  /** Total payload size (headers included for HPUB). */
  size: number;
  /** RMSG only: the account, a [start, end) range in buf (empty otherwise). */
  accStart: number;
  accEnd: number;
  /** RMSG/LMSG only: [start, end) pairs of the queue groups the message is for (empty otherwise). */
  queues: number[];
}

export interface ParserHandler {
  /**
   * A complete PUB/HPUB (or RMSG/LMSG/HMSG from a route or leaf node). The payload is buf[start, start + pa.size) and is followed by CRLF in the same
   * buffer. The handler must copy whatever it keeps: both buffers are reused after it returns.
   */
  processMsg(pa: PubArg, buf: Uint8Array, start: number): void;
  /** Called once the PUB/HPUB argument line is parsed, before the payload is read (permissions, pedantic). */
  processPubArgs(pa: PubArg): void;
  /** SUB from a client, RS+ from a route, LS+ from a leaf node: the handler knows which kind it serves. */
  processSub(arg: string): void;
  /** UNSUB, RS- or LS-. */
  processUnsub(arg: string): void;
  processConnect(arg: string): void;
  processPing(): void;
  processPong(): void;
  processErr(arg: string): void;
  /** A peer's INFO, parsed: routes and leaf nodes learn the other side from it, a client's means nothing. */
  processInfo(info: unknown): void;
}

const decoder = new TextDecoder();

export class Parser {
  state: State = State.OP_START;
  /** Until CONNECT is processed, any other op is an authorization violation (set when auth is required). */
  awaitingConnect = false;
  /**
   * Set by the handler during processConnect when the verdict on the credentials is asynchronous (bcrypt,
   * Ed25519): parse() then stops right after the CONNECT line and reports how much it consumed.
   */
  suspended = false;
  maxPayload: number;
  maxControlLine: number;

  private as = 0;
  private argBuf: Uint8Array | null = null;
  private argLen = 0;
  /** Allocated at the first frame split across reads: most connections never have one. */
  private scratchBuf: Uint8Array | null = null;
  private msgBuf: Uint8Array | null = null;
  private msgLen = 0;
  readonly pa: PubArg = {
    buf: new Uint8Array(0), subjStart: 0, subjEnd: 0, replyStart: 0, replyEnd: 0, hdr: -1, size: 0, accStart: 0, accEnd: 0, queues: [],
  };
  /** Token [start, end) offsets of a routed message's argument line, reused between messages. */
  private tok = new Int32Array(16);

  constructor(
    private readonly h: ParserHandler,
    maxPayload: number,
    maxControlLine: number,
    readonly kind: Kind = Kind.CLIENT,
  ) {
    this.maxPayload = maxPayload;
    this.maxControlLine = maxControlLine;
  }

  /** The buffer a split control line is copied into, big enough for the longest one allowed. */
  private scratch(): Uint8Array {
    const want = this.maxControlLine + 1;
    if (this.scratchBuf === null || this.scratchBuf.length < want) this.scratchBuf = new Uint8Array(want);
    return this.scratchBuf;
  }

  /**
   * Parses one read buffer and returns how many bytes it consumed: all of them, unless the handler suspended
   * parsing after a CONNECT. Throws ProtocolError; after a throw the connection must be closed.
   */
  parse(buf: Uint8Array): number {
    const h = this.h;
    const len = buf.length;
    let i = 0;
    let b = 0;
    for (; i < len; i++) {
      b = buf[i]!;
      switch (this.state) {
        case State.OP_START:
          if (this.awaitingConnect && b !== 67 && b !== 99) throw new ProtocolError(ERR.authorizationViolation, true);
          switch (b) {
            case 80: case 112: this.state = State.OP_P; break; // P
            case 72: case 104: this.state = State.OP_H; break; // H
            case 83: case 115: this.state = State.OP_S; break; // S
            case 85: case 117: this.state = State.OP_U; break; // U
            case 67: case 99: this.state = State.OP_C; break; // C
            case 73: case 105: this.state = State.OP_I; break; // I
            case 82: case 114: // R
              if (this.kind === Kind.CLIENT) this.fail(buf, i);
              this.state = State.OP_R;
              break;
            case 76: case 108: // L
              if (this.kind !== Kind.LEAF) this.fail(buf, i);
              this.state = State.OP_L;
              break;
            case 43: this.state = State.OP_PLUS; break; // +
            case 45: this.state = State.OP_MINUS; break; // -
            default: this.fail(buf, i);
          }
          break;
        case State.OP_H:
          if (b === 80 || b === 112) this.state = State.OP_HP;
          else if ((b === 77 || b === 109) && this.kind !== Kind.CLIENT) this.state = State.OP_HM;
          else this.fail(buf, i);
          break;
        case State.OP_HM:
          if (b === 83 || b === 115) this.state = State.OP_HMS;
          else this.fail(buf, i);
          break;
        case State.OP_HMS:
          if (b === 71 || b === 103) this.state = State.OP_HMSG;
          else this.fail(buf, i);
          break;
        case State.OP_HMSG:
          if (b === SPACE || b === TAB) this.state = State.OP_HMSG_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_HMSG_SPC:
          if (b !== SPACE && b !== TAB) {
            this.pa.hdr = 0;
            this.state = State.HMSG_ARG;
            this.as = i;
          }
          break;
        case State.OP_L:
        case State.OP_R:
          if (b === 83 || b === 115) this.state = this.state === State.OP_L ? State.OP_LS : State.OP_RS;
          else if (b === 77 || b === 109) this.state = State.OP_M;
          else this.fail(buf, i);
          break;
        case State.OP_LS:
        case State.OP_RS:
          if (b === 43) this.state = State.OP_SUB;
          else if (b === 45) this.state = State.OP_UNSUB;
          else this.fail(buf, i);
          break;
        case State.OP_M:
          if (b === 83 || b === 115) this.state = State.OP_MS;
          else this.fail(buf, i);
          break;
        case State.OP_MS:
          if (b === 71 || b === 103) this.state = State.OP_MSG;
          else this.fail(buf, i);
          break;
        case State.OP_MSG:
          if (b === SPACE || b === TAB) this.state = State.OP_MSG_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_MSG_SPC:
          if (b !== SPACE && b !== TAB) {
            this.pa.hdr = -1;
            this.state = State.MSG_ARG;
            this.as = i;
          }
          break;
        case State.OP_HP:
          if (b === 85 || b === 117) this.state = State.OP_HPU;
          else this.fail(buf, i);
          break;
        case State.OP_HPU:
          if (b === 66 || b === 98) this.state = State.OP_HPUB;
          else this.fail(buf, i);
          break;
        case State.OP_HPUB:
          if (b === SPACE || b === TAB) this.state = State.OP_HPUB_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_HPUB_SPC:
          if (b !== SPACE && b !== TAB) {
            this.pa.hdr = 0;
            this.state = State.HPUB_ARG;
            this.as = i;
          }
          break;
        case State.OP_P:
          switch (b) {
            case 85: case 117: this.state = State.OP_PU; break;
            case 73: case 105: this.state = State.OP_PI; break;
            case 79: case 111: this.state = State.OP_PO; break;
            default: this.fail(buf, i);
          }
          break;
        case State.OP_PU:
          if (b === 66 || b === 98) this.state = State.OP_PUB;
          else this.fail(buf, i);
          break;
        case State.OP_PUB:
          if (b === SPACE || b === TAB) this.state = State.OP_PUB_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_PUB_SPC:
          if (b !== SPACE && b !== TAB) {
            this.pa.hdr = -1;
            this.state = State.PUB_ARG;
            this.as = i;
          }
          break;
        case State.PUB_ARG:
        case State.HPUB_ARG:
        case State.MSG_ARG:
        case State.HMSG_ARG: {
          const nl = this.lineEnd(buf, i);
          if (nl < 0) {
            i = len;
            break;
          }
          const routed = this.state === State.MSG_ARG || this.state === State.HMSG_ARG;
          const ab = this.argBuf ?? buf;
          const as = this.argBuf !== null ? 0 : this.as;
          const ae = this.checkLine(ab, as, this.argBuf !== null ? this.argLen : nl);
          if (routed) this.parseRoutedArgs(ab, as, ae);
          else this.parsePubArgs(ab, as, ae);
          this.argBuf = null;
          i = nl;
          h.processPubArgs(this.pa);
          this.as = i + 1;
          this.state = State.MSG_PAYLOAD;
          // Jump so that the loop's i++ lands on the payload's last byte (as nats-server does); if that is past
          // this buffer the loop ends and the split-message code below takes over.
          i = this.as + this.pa.size - 2;
          break;
        }
        case State.MSG_PAYLOAD:
          if (this.msgBuf !== null) {
            let toCopy = this.pa.size - this.msgLen;
            const avail = len - i;
            if (avail < toCopy) toCopy = avail;
            this.msgBuf.set(buf.subarray(i, i + toCopy), this.msgLen);
            this.msgLen += toCopy;
            i += toCopy - 1;
            if (this.msgLen >= this.pa.size) this.state = State.MSG_END_R;
          } else if (i - this.as + 1 >= this.pa.size) {
            this.state = State.MSG_END_R;
          }
          break;
        case State.MSG_END_R:
          if (b !== CR) this.fail(buf, i);
          if (this.msgBuf !== null) this.msgBuf[this.msgLen++] = b;
          this.state = State.MSG_END_N;
          break;
        case State.MSG_END_N:
          if (b !== LF) this.fail(buf, i);
          if (this.msgBuf !== null) {
            this.msgBuf[this.msgLen++] = b;
            h.processMsg(this.pa, this.msgBuf, 0);
            this.msgBuf = null;
          } else {
            h.processMsg(this.pa, buf, this.as);
          }
          this.argBuf = null;
          this.as = i + 1;
          this.state = State.OP_START;
          break;
        case State.OP_S:
          if (b === 85 || b === 117) this.state = State.OP_SU;
          else this.fail(buf, i);
          break;
        case State.OP_SU:
          if (b === 66 || b === 98) this.state = State.OP_SUB;
          else this.fail(buf, i);
          break;
        case State.OP_SUB:
          if (b === SPACE || b === TAB) this.state = State.OP_SUB_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_SUB_SPC:
          if (b !== SPACE && b !== TAB) {
            this.state = State.SUB_ARG;
            this.as = i;
          }
          break;
        case State.OP_U:
          if (b === 78 || b === 110) this.state = State.OP_UN;
          else this.fail(buf, i);
          break;
        case State.OP_UN:
          if (b === 83 || b === 115) this.state = State.OP_UNS;
          else this.fail(buf, i);
          break;
        case State.OP_UNS:
          if (b === 85 || b === 117) this.state = State.OP_UNSU;
          else this.fail(buf, i);
          break;
        case State.OP_UNSU:
          if (b === 66 || b === 98) this.state = State.OP_UNSUB;
          else this.fail(buf, i);
          break;
        case State.OP_UNSUB:
          if (b === SPACE || b === TAB) this.state = State.OP_UNSUB_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_UNSUB_SPC:
          if (b !== SPACE && b !== TAB) {
            this.state = State.UNSUB_ARG;
            this.as = i;
          }
          break;
        case State.OP_PI:
          if (b === 78 || b === 110) this.state = State.OP_PIN;
          else this.fail(buf, i);
          break;
        case State.OP_PIN:
          if (b === 71 || b === 103) this.state = State.OP_PING;
          else this.fail(buf, i);
          break;
        case State.OP_PING:
          if (b === LF) {
            this.state = State.OP_START;
            h.processPing();
          }
          break;
        case State.OP_PO:
          if (b === 78 || b === 110) this.state = State.OP_PON;
          else this.fail(buf, i);
          break;
        case State.OP_PON:
          if (b === 71 || b === 103) this.state = State.OP_PONG;
          else this.fail(buf, i);
          break;
        case State.OP_PONG:
          if (b === LF) {
            this.state = State.OP_START;
            h.processPong();
          }
          break;
        case State.OP_C:
          if (b === 79 || b === 111) this.state = State.OP_CO;
          else this.fail(buf, i);
          break;
        case State.OP_CO:
          if (b === 78 || b === 110) this.state = State.OP_CON;
          else this.fail(buf, i);
          break;
        case State.OP_CON:
          if (b === 78 || b === 110) this.state = State.OP_CONN;
          else this.fail(buf, i);
          break;
        case State.OP_CONN:
          if (b === 69 || b === 101) this.state = State.OP_CONNE;
          else this.fail(buf, i);
          break;
        case State.OP_CONNE:
          if (b === 67 || b === 99) this.state = State.OP_CONNEC;
          else this.fail(buf, i);
          break;
        case State.OP_CONNEC:
          if (b === 84 || b === 116) this.state = State.OP_CONNECT;
          else this.fail(buf, i);
          break;
        case State.OP_CONNECT:
          if (b !== SPACE && b !== TAB) {
            this.state = State.CONNECT_ARG;
            this.as = i;
          }
          break;
        case State.OP_I:
          if (b === 78 || b === 110) this.state = State.OP_IN;
          else this.fail(buf, i);
          break;
        case State.OP_IN:
          if (b === 70 || b === 102) this.state = State.OP_INF;
          else this.fail(buf, i);
          break;
        case State.OP_INF:
          if (b === 79 || b === 111) this.state = State.OP_INFO;
          else this.fail(buf, i);
          break;
        case State.OP_INFO:
          if (b !== SPACE && b !== TAB) {
            this.state = State.INFO_ARG;
            this.as = i;
          }
          break;
        case State.OP_PLUS:
          if (b === 79 || b === 111) this.state = State.OP_PLUS_O;
          else this.fail(buf, i);
          break;
        case State.OP_PLUS_O:
          if (b === 75 || b === 107) this.state = State.OP_PLUS_OK;
          else this.fail(buf, i);
          break;
        case State.OP_PLUS_OK:
          if (b === LF) {
            this.state = State.OP_START;
          }
          break;
        case State.OP_MINUS:
          if (b === 69 || b === 101) this.state = State.OP_MINUS_E;
          else this.fail(buf, i);
          break;
        case State.OP_MINUS_E:
          if (b === 82 || b === 114) this.state = State.OP_MINUS_ER;
          else this.fail(buf, i);
          break;
        case State.OP_MINUS_ER:
          if (b === 82 || b === 114) this.state = State.OP_MINUS_ERR;
          else this.fail(buf, i);
          break;
        case State.OP_MINUS_ERR:
          if (b === SPACE || b === TAB) this.state = State.OP_MINUS_ERR_SPC;
          else this.fail(buf, i);
          break;
        case State.OP_MINUS_ERR_SPC:
          if (b !== SPACE && b !== TAB) {
            this.state = State.MINUS_ERR_ARG;
            this.as = i;
          }
          break;
        case State.SUB_ARG:
        case State.UNSUB_ARG:
        case State.CONNECT_ARG:
        case State.INFO_ARG:
        case State.MINUS_ERR_ARG: {
          const nl = this.lineEnd(buf, i);
          if (nl < 0) {
            i = len;
            break;
          }
          const arg = this.argBuf !== null
            ? decoder.decode(this.argBuf.subarray(0, this.checkLine(this.argBuf, 0, this.argLen)))
            : decoder.decode(buf.subarray(this.as, this.checkLine(buf, this.as, nl)));
          this.argBuf = null;
          const st = this.state;
          i = nl;
          this.as = i + 1;
          this.state = State.OP_START;
          this.dispatchArg(st, arg);
          if (this.suspended) return i + 1;
          break;
        }
        default:
          this.fail(buf, i);
      }
    }

    const st = this.state;
    if (
      st === State.PUB_ARG || st === State.HPUB_ARG || st === State.SUB_ARG || st === State.UNSUB_ARG ||
      st === State.CONNECT_ARG || st === State.INFO_ARG || st === State.MINUS_ERR_ARG ||
      st === State.MSG_ARG || st === State.HMSG_ARG
    ) {
      if (this.argBuf === null) {
        const n = len - this.as;
        // Checking before copying keeps a client from making us buffer an unbounded control line.
        this.checkPartial(n, buf[len - 1] === CR);
        this.argBuf = this.scratch();
        this.argBuf.set(buf.subarray(this.as, len), 0);
        this.argLen = n;
      }
    }

    if ((st === State.MSG_PAYLOAD || st === State.MSG_END_R || st === State.MSG_END_N) && this.msgBuf === null) {
      if (this.argBuf === null) this.clonePubArg();
      const rem = len - this.as;
      // More bytes than the declared size plus CRLF means the size lied: nats-server treats it as a parse error.
      if (rem > this.pa.size + 2) this.fail(buf, this.as);
      this.msgBuf = new Uint8Array(this.pa.size + 2);
      this.msgBuf.set(buf.subarray(this.as, len), 0);
      this.msgLen = rem;
    }
    return len;
  }

  /**
   * Finds the LF that ends the control line starting at i (native search, not a byte loop). When the line
   * continues a split argument, the bytes before the LF (or the whole buffer) are added to the argument copy.
   * Returns -1 when this buffer ends before the line does.
   */
  private lineEnd(buf: Uint8Array, i: number): number {
    const nl = buf.indexOf(LF, i);
    if (this.argBuf !== null) {
      const end = nl < 0 ? buf.length : nl;
      const n = end - i;
      this.checkPartial(this.argLen + n, n > 0 ? buf[end - 1] === CR : this.argBuf[this.argLen - 1] === CR);
      this.argBuf.set(buf.subarray(i, end), this.argLen);
      this.argLen += n;
    }
    return nl;
  }

  /**
   * An unfinished control line of n bytes: over max_control_line (a trailing CR, which may be half of the
   * CRLF, does not count) is an error now, before more of it is buffered.
   */
  private checkPartial(n: number, endsWithCR: boolean): void {
    if (n - (endsWithCR ? 1 : 0) > this.maxControlLine) throw new ProtocolError(ERR.maxControlLine, true);
  }

  /** The end of a complete control line without its CR, enforcing max_control_line (nats-server's overMaxControlLineLimit). */
  private checkLine(buf: Uint8Array, start: number, end: number): number {
    const e = trimCR(buf, start, end);
    if (e - start > this.maxControlLine) throw new ProtocolError(ERR.maxControlLine, true);
    return e;
  }

  private dispatchArg(st: State, arg: string): void {
    const h = this.h;
    switch (st) {
      case State.SUB_ARG: h.processSub(arg); break;
      case State.UNSUB_ARG: h.processUnsub(arg); break;
      case State.CONNECT_ARG:
        h.processConnect(arg);
        break;
      case State.INFO_ARG: {
        // Whoever sends it, like nats-server it must at least be JSON.
        let info: unknown;
        try {
          info = JSON.parse(arg);
        } catch {
          throw new ProtocolError(null, true, `processInfo: INFO argument is not JSON: ${JSON.stringify(arg.slice(0, 64))}`);
        }
        h.processInfo(info);
        break;
      }
      case State.MINUS_ERR_ARG: h.processErr(arg); break;
    }
  }

  /** Keeps the PUB arguments across reads: the read buffer they point into is about to be released. */
  private clonePubArg(): void {
    const pa = this.pa;
    const q = pa.queues;
    const routed = pa.accEnd > pa.accStart || q.length > 0;
    // The account comes first on an RMSG line, queue names last; a client's PUB has neither.
    const start = pa.accEnd > pa.accStart ? pa.accStart : pa.subjStart;
    let end = pa.replyEnd > pa.subjEnd ? pa.replyEnd : pa.subjEnd;
    if (q.length > 0 && q[q.length - 1]! > end) end = q[q.length - 1]!;
    const scratch = this.scratch();
    scratch.set(pa.buf.subarray(start, end), 0);
    pa.buf = scratch;
    pa.subjStart -= start;
    pa.subjEnd -= start;
    if (pa.replyStart !== pa.replyEnd) {
      pa.replyStart -= start;
      pa.replyEnd -= start;
    } else {
      pa.replyStart = pa.replyEnd = 0;
    }
    if (routed) {
      if (pa.accEnd > pa.accStart) {
        pa.accStart -= start;
        pa.accEnd -= start;
      }
      for (let k = 0; k < q.length; k++) q[k]! -= start;
    }
    this.argBuf = scratch;
    this.argLen = end - start;
  }

  /**
   * Splits a routed message's arguments into this.pa, as nats-server's processRoutedMsgArgs and
   * processLeafMsgArgs (and their header variants) do:
   * `[account] <subject> [reply | + <reply> <queue>... | \| <queue>...] [hdr] <size>`,
   * the account on RMSG from a route only.
   */
  private parseRoutedArgs(buf: Uint8Array, start: number, end: number): void {
    // Token offsets go into a typed array: resetting and pushing onto a JS array cost more than the rest of
    // this function on every routed message.
    let t: Int32Array = this.tok;
    let nt = 0;
    for (let i = start; i < end;) {
      let b = buf[i]!;
      if (b === SPACE || b === TAB) { i++; continue; }
      const ts = i;
      while (i < end) {
        b = buf[i]!;
        if (b === SPACE || b === TAB) break;
        i++;
      }
      if (nt + 2 > t.length) t = this.growTokens();
      t[nt++] = ts;
      t[nt++] = i;
    }
    const pa = this.pa;
    const isH = pa.hdr >= 0;
    const leaf = this.kind === Kind.LEAF;
    const n = nt / 2;
    // Account (routes), subject, then sizes: at least this many tokens.
    const fixed = (leaf ? 1 : 2) + (isH ? 2 : 1);
    if (n < fixed) throw new ProtocolError(null, true, `${routedArgsOp(leaf, isH)} Parse Error: ${quote(buf, start, end)}`);
    pa.buf = buf;
    let k = 0;
    if (leaf) {
      pa.accStart = pa.accEnd = 0;
    } else {
      pa.accStart = t[0]!;
      pa.accEnd = t[1]!;
      k = 1;
    }
    pa.subjStart = t[2 * k]!;
    pa.subjEnd = t[2 * k + 1]!;
    k++;
    pa.replyStart = pa.replyEnd = 0;
    const q = pa.queues;
    if (q.length !== 0) q.length = 0;
    const sizes = n - (isH ? 2 : 1);
    if (n === fixed + 1) {
      pa.replyStart = t[2 * k]!;
      pa.replyEnd = t[2 * k + 1]!;
    } else if (n > fixed + 1) {
      const ind = t[2 * k]!;
      const indicator = t[2 * k + 1]! - ind === 1 ? buf[ind] : -1;
      if (indicator === 43) { // '+': a reply, then queues
        k++;
        pa.replyStart = t[2 * k]!;
        pa.replyEnd = t[2 * k + 1]!;
      } else if (indicator !== 124) { // '|': queues, no reply
        throw new ProtocolError(null, true, `${routedArgsOp(leaf, isH)} Bad or Missing Reply Indicator`);
      }
      for (k++; k < sizes; k++) q.push(t[2 * k]!, t[2 * k + 1]!);
    }
    if (isH) {
      pa.hdr = parseSize(buf, t[2 * sizes]!, t[2 * sizes + 1]!);
      if (pa.hdr < 0) throw new ProtocolError(null, true, `${routedArgsOp(leaf, isH)} Bad or Missing Header Size: ${quote(buf, start, end)}`);
    }
    pa.size = parseSize(buf, t[2 * n - 2]!, t[2 * n - 1]!);
    if (pa.size < 0) throw new ProtocolError(null, true, `${routedArgsOp(leaf, isH)} Bad or Missing Size: ${quote(buf, start, end)}`);
    if (isH && pa.hdr > pa.size) throw new ProtocolError(null, true, `${routedArgsOp(leaf, isH)} Header Size larger then TotalSize: ${quote(buf, start, end)}`);
    // nats-server trusts its peers' sizes; an edge box bounds what one declared size can make it allocate.
    if (pa.size > this.maxPayload) throw new ProtocolError(ERR.maxPayloadViolation, true, `maximum payload exceeded: ${pa.size} vs ${this.maxPayload}`);
  }

  /** Twice the room for token offsets (a routed message naming many queue groups). */
  private growTokens(): Int32Array {
    const next = new Int32Array(this.tok.length * 2);
    next.set(this.tok, 0);
    this.tok = next;
    return next;
  }

  /**
   * Splits `PUB <subject> [reply] <size>` or `HPUB <subject> [reply] <hdr> <total>` in place, without
   * allocating, into this.pa.
   */
  private parsePubArgs(buf: Uint8Array, start: number, end: number): void {
    const isH = this.pa.hdr >= 0;
    // At most 4 tokens: remember starts and ends of up to 5 so that a 5th token can be detected.
    let n = 0;
    let s0 = 0, e0 = 0, s1 = 0, e1 = 0, s2 = 0, e2 = 0, s3 = 0, e3 = 0;
    let i = start;
    while (i < end) {
      let b = buf[i]!;
      if (b === SPACE || b === TAB) { i++; continue; }
      const ts = i;
      while (i < end) {
        b = buf[i]!;
        if (b === SPACE || b === TAB) break;
        i++;
      }
      switch (n) {
        case 0: s0 = ts; e0 = i; break;
        case 1: s1 = ts; e1 = i; break;
        case 2: s2 = ts; e2 = i; break;
        case 3: s3 = ts; e3 = i; break;
      }
      n++;
    }
    const pa = this.pa;
    pa.buf = buf;
    pa.subjStart = s0;
    pa.subjEnd = e0;
    if (!isH) {
      if (n === 2) {
        pa.replyStart = pa.replyEnd = 0;
        pa.size = parseSize(buf, s1, e1);
      } else if (n === 3) {
        pa.replyStart = s1;
        pa.replyEnd = e1;
        pa.size = parseSize(buf, s2, e2);
      } else {
        throw new ProtocolError(null, true, `processPub Parse Error: ${quote(buf, start, end)}`);
      }
      if (pa.size < 0) throw new ProtocolError(null, true, `processPub Bad or Missing Size: ${quote(buf, start, end)}`);
    } else {
      if (n === 3) {
        pa.replyStart = pa.replyEnd = 0;
        pa.hdr = parseSize(buf, s1, e1);
        pa.size = parseSize(buf, s2, e2);
      } else if (n === 4) {
        pa.replyStart = s1;
        pa.replyEnd = e1;
        pa.hdr = parseSize(buf, s2, e2);
        pa.size = parseSize(buf, s3, e3);
      } else {
        throw new ProtocolError(null, true, `processHeaderPub Parse Error: ${quote(buf, start, end)}`);
      }
      if (pa.hdr < 0) throw new ProtocolError(null, true, `processHeaderPub Bad or Missing Header Size: ${quote(buf, start, end)}`);
      if (pa.size < 0) throw new ProtocolError(null, true, `processHeaderPub Bad or Missing Total Size: ${quote(buf, start, end)}`);
      if (pa.hdr > pa.size) throw new ProtocolError(null, true, `processHeaderPub Header Size larger then TotalSize: ${quote(buf, start, end)}`);
    }
    if (pa.size > this.maxPayload) throw new ProtocolError(ERR.maxPayloadViolation, true, `maximum payload exceeded: ${pa.size} vs ${this.maxPayload}`);
  }

  private fail(buf: Uint8Array, i: number): never {
    throw new ProtocolError(ERR.unknownProtocolOperation, true, `${kindName(this.kind).toLowerCase()} parser ERROR, state=${this.state}, i=${i}: proto=${quote(buf, i, Math.min(buf.length, i + 32))}...`);
  }
}

/** The end of a control line without its optional trailing CR. */
function trimCR(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

/** Decimal digits to a number, or -1 (nats-server's parseSize) for empty, too long or non-digit input. */
export function parseSize(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 0 || n > MAX_SIZE_DIGITS) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** nats-server's name for the function that parses a routed message's arguments, for its error texts. */
function routedArgsOp(leaf: boolean, headers: boolean): string {
  return `process${leaf ? "Leaf" : "Routed"}${headers ? "HeaderMsgArgs" : "MsgArgs"}`;
}

/** A Go %q-like rendering of raw protocol bytes for log lines. */
function quote(buf: Uint8Array, start: number, end: number): string {
  return JSON.stringify(decoder.decode(buf.subarray(start, end)));
}
