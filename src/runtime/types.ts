/**
 * The seam between the runtime-agnostic core and a runtime's sockets. Only src/runtime/ implements it;
 * everything else sees these interfaces.
 */

/** One accepted connection, as the core sees it. */
export interface Conn {
  /**
   * Writes as much of `data` as the runtime takes right now and returns how many bytes it took (0 when it
   * is busy). The caller keeps the rest and retries after ConnHandler.onDrain. `data` may be reused by the
   * caller as soon as write returns.
   */
  write(data: Uint8Array): number;
  /** Stops reading from the socket (backpressure on a fast producer); resume() starts again. */
  pause(): void;
  resume(): void;
  /** Closes after what was already accepted by write() is sent. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What the core gives the runtime for each accepted connection. */
export interface ConnHandler {
  /** Bytes read. The buffer is only valid during the call. */
  onData(data: Uint8Array): void;
  /** The runtime can take more bytes after a short write(). */
  onDrain(): void;
  onClose(): void;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  accept(conn: Conn): ConnHandler;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  readonly version: string;
  listen(opts: ListenOptions): Promise<Listener>;
}
