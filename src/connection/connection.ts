/**
 * What every connection shares, whatever it speaks (nats-server's client struct without the protocol): its
 * id and kind, the socket, traffic counters, the outbound buffer and how it is flushed, the fast-producer
 * stall and slow consumer detection, the ping timer, the TLS handshake and its timeout, and closing with a
 * reason. The protocol on top (the NATS client protocol today, a leaf node or route later) is a
 * ConnProtocol: the connection hands it what it reads and tells it when it closes.
 */
import type { ServerOptions } from "../config/options.ts";
import { goCipherName, tlsVersionNumber } from "../config/tls_config.ts";
import type { Logger } from "../log/logger.ts";
import { ERR, ProtocolError } from "../protocol/errors.ts";
import { errLine, infoLine, PING } from "../protocol/encode.ts";
import { ClientType, Kind } from "../protocol/kind.ts";
import type { Conn, ConnHandler, TLSClientConfig, TLSServerConfig, TLSState } from "../runtime/types.ts";
import { CloseReason } from "./close_reason.ts";
import { Outbound } from "./outbound.ts";

/** The longest a fast producer's reads stay paused for one slow receiver (nats-server 2.9's stallClientMaxDuration). */
const STALL_MAX_MS = 1000;

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly options: Pick<ServerOptions, "ping_interval" | "ping_max" | "max_pending" | "write_deadline">;
  readonly log: Logger;
  slowConsumers: number;
  /** Outbound bytes pending on a receiver above which its producers are paused. */
  readonly stallThreshold: number;
  /** Flush `c` when the current read cycle ends (Server.flushPending). */
  queueFlush(c: Connection): void;
  connectionClosed(c: Connection): void;
}

/** The protocol a connection speaks. */
export interface ConnProtocol {
  /** Bytes read from the socket; the buffer is only valid during the call. */
  onData(data: Uint8Array): void;
  /** The connection is closing (its reason is set): let go of what the protocol holds, such as subscriptions. */
  onClose(): void;
  /** A TLS handshake this side started as a client (startClientTLS) has completed. */
  onTLSReady?(): void;
}

export class Connection implements ConnHandler {
  /** Set by the protocol object that takes this connection over, before any byte is read. */
  proto!: ConnProtocol;
  readonly out = new Outbound();
  readonly start = Date.now();
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  lastIn = 0;
  pingsOut = 0;
  closed = false;
  closeReason: CloseReason | null = null;
  /** Queued in the host's list of connections to flush at the end of the current read cycle. */
  flushQueued = false;
  /** Waiting for the runtime's drain after a short write; the time it started, for write_deadline. */
  stalledSince = 0;
  tls: TLSState | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private tlsTimer: ReturnType<typeof setTimeout> | null = null;
  private tlsVerify = false;
  /** The INFO to send once the TLS handshake is done (handshake_first). */
  private pendingInfo: object | null = null;
  /** Producers whose reads are paused until this connection's outbound drains (fast-producer stall). */
  private stalledProducers: Connection[] | null = null;
  /** Set while this connection's own reads are paused because a receiver fell behind. */
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Closed gracefully while the runtime still held back part of the output (a short write): the rest is
   * written as the socket drains, then the socket ends, so an -ERR queued behind a large reply still arrives.
   */
  private endWhenDrained = false;
  private drainDeadline: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly cid: number,
    readonly conn: Conn,
    readonly host: ConnectionHost,
    readonly kind: Kind = Kind.CLIENT,
    readonly clientType: ClientType = ClientType.NATS,
  ) {}

  get pendingBytes(): number {
    return this.out.pending;
  }

  get traceId(): string {
    // nats-server numbers every connection from one counter but names leaf connections lid, WebSocket
    // clients wid and MQTT clients mid in its logs.
    const tag = this.kind === Kind.LEAF ? "lid" : this.clientType === ClientType.WS ? "wid" : this.clientType === ClientType.MQTT ? "mid" : "cid";
    const fwd = this.conn.forwardedFor;
    // nats-server's "<X-Forwarded-For>/<peer>" for a WebSocket client behind a proxy.
    const via = fwd ? `${fwd.includes(":") ? `[${fwd}]` : fwd}/` : "";
    return `${via}${this.conn.remoteAddress}:${this.conn.remotePort} - ${tag}:${this.cid}`;
  }

  /** Sends INFO and arms the ping timer; called once the connection is accepted. */
  begin(info: object): void {
    this.enqueue(infoLine(info));
    this.startPings();
  }

  /** Arms the ping timer; a dialled connection, which sends no INFO, starts here. */
  startPings(): void {
    this.lastIn = Date.now();
    const interval = this.host.options.ping_interval;
    if (interval > 0 && this.pingTimer === null) this.pingTimer = setInterval(() => this.onPingTimer(), interval);
  }

  // ---- ConnHandler ----------------------------------------------------------------------------------------

  onData(data: Uint8Array): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    this.proto.onData(data);
  }

  onDrain(): void {
    this.stalledSince = 0;
    if (this.endWhenDrained) this.writeRestThenEnd();
    else this.flush();
  }

  private writeRestThenEnd(): void {
    this.out.consume(this.conn.write(this.out.view()));
    if (this.out.pending > 0) return;
    this.endWhenDrained = false;
    if (this.drainDeadline !== null) clearTimeout(this.drainDeadline);
    this.conn.end();
  }

  onClose(): void {
    this.close(CloseReason.clientClosed);
  }

  /**
   * Continues the connection as TLS. `infoAfter` is the INFO to send once the handshake is done
   * (handshake_first); otherwise INFO was already sent in the clear, as nats-server does by default.
   */
  upgradeTLS(cfg: TLSServerConfig, timeoutMs: number, infoAfter: object | null): void {
    this.pendingInfo = infoAfter;
    this.tlsVerify = cfg.requestCert;
    this.host.log.debugf(`${this.traceId} - Starting TLS client connection handshake`);
    this.tlsTimer = setTimeout(() => {
      if (this.closed || this.tls !== null) return;
      this.host.log.error(`${this.traceId} - TLS handshake timeout`);
      this.close(CloseReason.tlsHandshakeError);
    }, timeoutMs);
    this.conn.startTLS(cfg);
  }

  onTLS(result: TLSState | Error): void {
    if (this.closed) return;
    if (this.tlsTimer !== null) clearTimeout(this.tlsTimer);
    if (result instanceof Error) {
      this.host.log.error(`${this.traceId} - TLS handshake error: ${result.message}`);
      this.close(CloseReason.tlsHandshakeError);
      return;
    }
    if (this.tlsVerify && (result.peer === null || result.verifyError !== null)) {
      this.host.log.error(`${this.traceId} - TLS handshake error: client certificate: ${result.verifyError ?? "none presented"}`);
      this.close(CloseReason.tlsHandshakeError);
      return;
    }
    this.tls = result;
    this.host.log.debugf(`${this.traceId} - TLS handshake complete`);
    this.host.log.debugf(`${this.traceId} - TLS version ${tlsVersionNumber(result.version)}, cipher suite ${goCipherName(result.cipher)}`);
    if (this.pendingInfo !== null) {
      this.begin(this.pendingInfo);
      this.pendingInfo = null;
      this.flush();
    }
    this.proto.onTLSReady?.();
  }

  /** Continues a dialled connection as a TLS client, with the same handshake timeout as upgradeTLS. */
  upgradeClientTLS(cfg: TLSClientConfig, timeoutMs: number, what = "leafnode"): void {
    this.host.log.debugf(`${this.traceId} - Starting TLS ${what} client handshake`);
    this.tlsTimer = setTimeout(() => {
      if (this.closed || this.tls !== null) return;
      this.host.log.error(`${this.traceId} - TLS handshake timeout`);
      this.close(CloseReason.tlsHandshakeError);
    }, timeoutMs);
    this.conn.startClientTLS(cfg);
  }

  // ---- output ---------------------------------------------------------------------------------------------

  enqueue(data: Uint8Array): void {
    if (this.closed) return;
    this.out.append(data);
    if (!this.flushQueued) this.host.queueFlush(this);
  }

  sendErr(text: string): void {
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [-ERR '${text}']`);
    this.enqueue(errLine(text));
  }

  /** Hands pending bytes to the socket. */
  flush(): void {
    if (this.closed || this.stalledSince !== 0 || this.out.pending === 0) return;
    const n = this.conn.write(this.out.view());
    this.out.consume(n);
    if (this.out.pending > 0) this.stalledSince = Date.now();
    if (this.stalledProducers !== null && this.out.pending <= this.host.stallThreshold / 2) this.releaseStalledProducers();
  }

  /**
   * Pauses this producer's reads until `receiver` drains or STALL_MAX_MS passes, like nats-server's fast
   * producer stall: backpressure instead of letting the receiver's buffer grow to max_pending.
   */
  stallOn(receiver: Connection): void {
    if (this.stallTimer !== null || this.closed) return;
    this.conn.pause();
    (receiver.stalledProducers ??= []).push(this);
    this.stallTimer = setTimeout(() => this.unstall(), STALL_MAX_MS);
  }

  private unstall(): void {
    if (this.stallTimer === null) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (!this.closed) this.conn.resume();
  }

  private releaseStalledProducers(): void {
    const list = this.stalledProducers;
    this.stalledProducers = null;
    if (list !== null) for (const c of list) c.unstall();
  }

  private onPingTimer(): void {
    if (this.closed) return;
    // Once per ping interval a connection with nothing pending gives its outbound buffer back: an idle
    // client then holds none, and a busy one allocates it again at its next write.
    this.out.release();
    const o = this.host.options;
    if (Date.now() - this.lastIn < o.ping_interval && this.pingsOut === 0) return;
    if (this.pingsOut + 1 > o.ping_max) {
      this.host.log.debugf(`${this.traceId} - Stale Client Connection - Closing`);
      this.sendErr(ERR.staleConnection);
      this.closeAfterFlush(CloseReason.staleConnection);
      return;
    }
    this.pingsOut++;
    if (this.host.log.trace) this.host.log.tracef(`${this.traceId} - ->> [PING]`);
    this.enqueue(PING);
    this.flush();
  }

  /**
   * A failure while parsing `input` (the protocol's name, for the log): nats-server's -ERR when it has one,
   * the detail logged, and when it is fatal the connection closed after the -ERR with `reasonOf`'s reason.
   * Anything but a ProtocolError is a bug in the protocol code: logged as one, and the connection dropped.
   */
  protocolError(err: unknown, input: string, reasonOf: (e: ProtocolError) => CloseReason = () => CloseReason.protocolViolation): void {
    if (!(err instanceof ProtocolError)) {
      this.host.log.error(`${this.traceId} - internal error processing ${input} input: ${String(err)}`);
      this.close(CloseReason.protocolViolation);
      return;
    }
    if (err.wire !== null) this.sendErr(err.wire);
    if (err.detail) this.host.log.error(`${this.traceId} - ${err.detail}`);
    if (err.fatal) this.closeAfterFlush(reasonOf(err));
  }

  slowConsumer(reason: CloseReason): void {
    if (this.closed) return;
    const o = this.host.options;
    if (reason === CloseReason.slowConsumerPending) {
      this.host.log.notice(`${this.traceId} - Slow Consumer Detected: MaxPending of ${o.max_pending} Exceeded`);
    } else {
      this.host.log.notice(`${this.traceId} - Slow Consumer Detected: WriteDeadline of ${o.write_deadline / 1000}s Exceeded`);
    }
    this.host.slowConsumers++;
    this.close(reason);
  }

  /** Flushes what is queued (an -ERR, typically) and then closes. */
  closeAfterFlush(reason: CloseReason): void {
    if (this.closed) return;
    this.flush();
    this.close(reason, true);
  }

  close(reason: CloseReason, graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.tlsTimer !== null) clearTimeout(this.tlsTimer);
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.releaseStalledProducers();
    this.proto.onClose();
    this.conn.closing?.(reason);
    if (!graceful) this.conn.destroy();
    else if (this.out.pending === 0) this.conn.end();
    else this.endAfterDrain();
    this.host.connectionClosed(this);
  }

  /** Waits for the socket to take the rest, but no longer than write_deadline, as any other write. */
  private endAfterDrain(): void {
    this.endWhenDrained = true;
    if (this.stalledSince === 0) this.writeRestThenEnd();
    if (!this.endWhenDrained) return;
    this.drainDeadline = setTimeout(() => this.conn.destroy(), Math.max(this.host.options.write_deadline, 1));
  }
}
