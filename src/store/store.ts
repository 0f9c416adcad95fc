/**
 * The stream store contract the JetStream layer calls (nats-server's StreamStore in server/store.go, cut down
 * to what natsedge needs). Two implementations: `MemStore` (memstore.ts) and `FileStore` (file/filestore.ts);
 * tests/store/conformance runs one suite against both, and against the file store with every cipher.
 *
 * Conventions shared by every implementation:
 * - Sequences start at 1 and are never reused; `last_seq` does not go backwards on deletes or purges.
 * - Timestamps are milliseconds since the Unix epoch as a float64 (sub-millisecond precision allowed): a
 *   number of nanoseconds would not fit a double exactly, and the file store writes the float64 as is, so a
 *   timestamp always reads back bit-for-bit.
 * - Reads are synchronous (a file store reads one small block from the page cache); anything that changes
 *   the stream returns a promise that resolves once the change is in the file (see FileStoreOptions.sync).
 */

/** A message as stored. `hdr` is the raw `NATS/1.0\r\n…` header block, empty when there is none. */
export interface StoredMsg {
  readonly subject: string;
  readonly seq: number;
  readonly ts: number;
  readonly hdr: Uint8Array;
  readonly payload: Uint8Array;
}

export interface StoreAck {
  readonly seq: number;
  readonly ts: number;
}

export const Discard = { Old: "old", New: "new" } as const;
export type Discard = typeof Discard[keyof typeof Discard];

/**
 * Retention limits, named after the StreamConfig JSON fields. A value ≤ 0 (or absent) means unlimited, as in
 * nats-server. `max_age_ms` is in milliseconds (the JSON field `max_age` is nanoseconds; the caller converts).
 */
export interface StreamLimits {
  readonly max_msgs?: number;
  readonly max_bytes?: number;
  readonly max_age_ms?: number;
  readonly max_msgs_per_subject?: number;
  readonly discard?: Discard;
  /** With discard new: reject a message whose subject is at max_msgs_per_subject instead of replacing. */
  readonly discard_new_per_subject?: boolean;
  /** Messages with a `Nats-TTL` header expire at it; `never` ones are exempt from max_age (see ttl.ts). */
  readonly allow_msg_ttl?: boolean;
  /**
   * With allow_msg_ttl: when max_age or a TTL removes the last message of a subject, the store calls the
   * callback given to onSubjectExpired so the stream can store a delete marker (subject_delete_marker_ttl).
   */
  readonly subject_delete_markers?: boolean;
}

/** A run of sequences whose stored block failed its checksum or authentication: reported, never served. */
export interface LostRange {
  readonly first: number;
  readonly last: number;
  /** Where and why: segment, file offset, the check that failed. */
  readonly reason: string;
  /** The sequences in the range that held messages (STREAM.INFO's `lost.msgs`). */
  readonly msgs: readonly number[];
  /** Their stored size where it is known, else the size of the unreadable part of the file. */
  readonly bytes: number;
}

/** A block found damaged when a stream was opened: where it is, the sequences it held (0 when unknown), why. */
export interface DamagedBlock {
  readonly segment: number;
  readonly offset: number;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
  readonly reason: string;
}

/** A torn tail cut off a segment at open, with the sequences of the frame cut off (0 when its header was lost too). */
export interface TruncatedTail {
  readonly segment: number;
  readonly offset: number;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
}

/** What opening a store found and did; a memory store has nothing to recover. */
export interface RecoveryReport {
  readonly truncated: readonly TruncatedTail[];
  readonly damaged: readonly DamagedBlock[];
  /** Segments and metadata files re-sealed under the current key (plaintext ones are read as they are). */
  readonly converted: readonly string[];
  /** Segments rewritten without their damaged blocks (opened to repair). */
  readonly rewritten: readonly string[];
}

export interface StreamState {
  readonly msgs: number;
  readonly bytes: number;
  readonly first_seq: number;
  readonly first_ts: number;
  readonly last_seq: number;
  readonly last_ts: number;
  readonly num_deleted: number;
  readonly num_subjects: number;
  readonly lost: readonly LostRange[];
}

/** nats-server PurgeEx arguments: all optional; `seq` purges below it, `keep` keeps the newest n. */
export interface PurgeOptions {
  readonly filter?: string;
  readonly seq?: number;
  readonly keep?: number;
}

export interface StreamStore {
  readonly kind: "memory" | "file";
  /** What opening the store found and repaired, for the owner to report before serving the stream. */
  readonly recovery: RecoveryReport;
  /**
   * Stores a message; rejects with a `StoreLimitError` under discard new, `StoreClosedError` after close.
   * With allow_msg_ttl the store reads the TTL from the Nats-TTL header; `ttl` (seconds) overrides it for as
   * long as the store stays open (a restart reads the header again, as nats-server's rebuilt TTL state does).
   */
  append(subject: string, hdr: Uint8Array | null, payload: Uint8Array, ts?: number, ttl?: number): Promise<StoreAck>;
  /**
   * The message with this sequence, or null if it was never stored, has been removed, or is in a block that
   * failed its checksum or authentication (then listed in state().lost, and the rest of the stream is still
   * served). The returned bytes may be shared with the store's cache: do not modify them.
   */
  load(seq: number): StoredMsg | null;
  /** The newest message whose subject matches `subject` (which may contain wildcards; "" or ">" = any). */
  loadLast(subject: string): StoredMsg | null;
  /** The first message with seq ≥ `start` whose subject matches `filter` ("" or ">" = any). */
  loadNext(filter: string, start: number): StoredMsg | null;
  /** Removes one message; `erase` also overwrites its bytes on disk. Resolves false if it was not there. */
  remove(seq: number, opts?: { readonly erase?: boolean }): Promise<boolean>;
  /** nats-server PurgeEx; resolves to the number of messages purged. */
  purge(opts?: PurgeOptions): Promise<number>;
  /** Removes every message below `seq`; resolves to the number removed. */
  compact(seq: number): Promise<number>;
  state(): StreamState;
  /** state().first_seq, last_seq and msgs without building the whole state (publish and delivery paths). */
  firstSeq(): number;
  lastSeq(): number;
  msgCount(): number;
  /** The sequences between first_seq and last_seq that hold no message, ascending (STREAM.INFO deleted_details). */
  deleted(): number[];
  /** Message count per subject matching `filter` ("" or ">" = all). */
  subjectCounts(filter?: string): Map<string, number>;
  updateLimits(limits: StreamLimits): Promise<void>;
  /** `cb` is told each subject whose last message max_age or a TTL removed (with subject_delete_markers). */
  onSubjectExpired(cb: (subject: string) => void): void;
  /** The opaque stream metadata blob (stream config), or null if none was written. */
  readMeta(): Uint8Array | null;
  /** Replaces the stream metadata blob atomically (and encrypted when the store has a key). */
  writeMeta(blob: Uint8Array): Promise<void>;
  readConsumerMeta(name: string): Uint8Array | null;
  writeConsumerMeta(name: string, blob: Uint8Array): Promise<void>;
  deleteConsumerMeta(name: string): Promise<void>;
  consumerNames(): string[];
  /** Resolves when everything appended so far has reached the file and, with sync "always", the disk. */
  flush(): Promise<void>;
  /** Flushes, syncs and releases the store; later calls reject with `StoreClosedError`. */
  close(): Promise<void>;
}

export const NOTHING_RECOVERED: RecoveryReport = { truncated: [], damaged: [], converted: [], rewritten: [] };

/**
 * The size a message counts for in `bytes` and max_bytes: nats-server's file store record size (22-byte
 * header, subject, 4-byte header length when there are headers, headers, payload, 8-byte checksum), used by
 * both stores so limits behave the same whatever the storage.
 */
export function storedMsgSize(subject: string, hdrLen: number, payloadLen: number): number {
  return 22 + subject.length + (hdrLen > 0 ? 4 + hdrLen : 0) + payloadLen + 8;
}
