/**
 * The file store: a directory per stream, an append-only log of segment files holding sealed blocks.
 *
 *   <dir>/key.chk           key check (encrypted stores only)
 *   <dir>/meta.inf          stream metadata blob;  <dir>/obs/<consumer>.inf  consumer metadata blobs
 *   <dir>/msgs/<id>.seg     segments: header + frames (see frame.ts), records inside (see records.ts)
 *   <dir>/msgs/<id>.sum     segment summaries, so recovery need not read finished segments (summary.ts), and
 *                           a finished segment's index can leave memory and be read back (index_cache.ts)
 *
 * Writing: append() encodes the record into the open block in memory and returns a promise; every append of
 * the same tick is sealed and written with one write() in a microtask (group commit), and the promises
 * resolve after that write — or, with sync "always", after the fsync that covers it (one fsync per window).
 * Each batch becomes one or more sealed frames appended to the segment; sealed bytes are never rewritten
 * in place, so plaintext never reaches the disk and no keystream is reused. A writer always starts a new
 * segment (new salt, new key), so nonces — the frame counter — restart only with a new key.
 *
 * Removing: interior deletes append TOMB records, front removals (purge, compact, discard old, max_age)
 * move the FLOOR. Segments whose messages are all gone are unlinked (carrying forward tombstones that still
 * matter); sparse segments and erased messages are compacted by rewriting the segment into a new file
 * (new salt and key) that replaces the old one by rename.
 */
import { fsyncSync, ftruncateSync, mkdirSync, openSync, closeSync, fstatSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type Cipher, cipherId, CipherId, defaultCipher, prepareCiphers, type SealObserver } from "./aead.ts";
import { BlockCache } from "./block_cache.ts";
import { IndexCache } from "./index_cache.ts";
import { encodeSegmentHeader, sealFrames } from "./frame.ts";
import { GroupCommit } from "./group_commit.ts";
import { holdsCipher } from "./held_ciphers.ts";
import { KeyFileAction, type Keyring, openKeyring, writeKeyFile } from "./keyring.ts";
import { Purpose, randomSalt } from "./keys.ts";
import { consumerMetaPath, loadMeta, removeMetaFile, streamMetaPath, writeMetaFile } from "./meta_files.ts";
import { type Block, indexBlock, msgAt, type PendingBlock, RecordWriter, subjectAt } from "./records.ts";
import { type Recovered, recoverSegments } from "./recover.ts";
import { scanSegment } from "./scan.ts";
import { rewriteSegment } from "./rewrite.ts";
import { type FrameRef, type IndexPart, Segment, type SegmentIndex, segmentFileName, segmentFor, summaryFileName, type Tomb } from "./segment.ts";
import { fsyncDir, fsyncFile } from "./sealed_file.ts";
import { readSummaryIndex, writeSummaryFile } from "./summary.ts";
import { StoreClosedError, StoreError } from "../errors.ts";
import { isLiteralFilter, type SubjectMatcher, subjectMatcher } from "../filter.ts";
import { checkDiscardNew, type Limits, normalizeLimits } from "../limits.ts";
import { purgeEx } from "../purge.ts";
import type { DamagedBlock, LostRange, PurgeOptions, StoreAck, StoredMsg, StreamLimits, StreamState, StreamStore, TruncatedTail } from "../store.ts";
import { storedMsgSize } from "../store.ts";
import { SubjectIndex } from "../subject_index.ts";
import { AgeTimer } from "../age_timer.ts";
import { isDeleteMarker, storedTTL, TtlIndex } from "../ttl.ts";

/** nats-server's default sync_interval. */
export const DEFAULT_SYNC_INTERVAL_MS = 120_000;
export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
const EMPTY = new Uint8Array(0);
/** What a read of a lost block yields: nothing to visit. */
const EMPTY_BLOCK: Block = { buf: EMPTY, seqs: [], offs: [] };

export interface FileStoreOptions {
  /** The stream's directory (created if missing). */
  readonly dir: string;
  /** Stream name for messages and errors; defaults to the directory name. */
  readonly name?: string;
  /** `jetstream { key }`: encryption is on when set. Never written anywhere. */
  readonly key?: string;
  /** `jetstream { prev_key }`: data under it is read and re-encrypted under `key` at open. */
  readonly prevKey?: string;
  /** Cipher for new blocks; defaults to `defaultCipher()`. Existing blocks keep the one they record. */
  readonly cipher?: Cipher;
  /** `sync_interval`: "always" (fsync before acknowledging) or milliseconds between fsyncs. */
  readonly sync?: "always" | number;
  readonly limits?: StreamLimits;
  /** Segment files are finished at about this size (bytes). */
  readonly segmentSize?: number;
  /** Plaintext bytes per sealed block, at most (one batch may make several). */
  readonly blockSize?: number;
  /** Test instrumentation: sees every AEAD seal. */
  readonly observeSeal?: SealObserver;
  /**
   * Called once for each range of messages found unreadable by a read after opening (a block whose summary
   * still matched); what opening found is in `recovery`. The messages are already skipped and uncounted.
   */
  readonly onDamage?: (lost: LostRange) => void;
  /**
   * Repair what opening finds, for good (`natsedge store verify --repair`): every block is read, summaries or
   * not, segments holding damaged blocks are rewritten without them (their sequences count as deleted from
   * then on), and segment files with an unreadable header are set aside as `<file>.damaged`.
   */
  readonly repair?: boolean;
}

export class FileStore implements StreamStore {
  readonly kind = "file";
  readonly name: string;
  readonly recovery: { truncated: TruncatedTail[]; damaged: DamagedBlock[]; converted: string[]; rewritten: string[] };
  readonly #dir: string;
  readonly #msgsDir: string;
  readonly #ring: Keyring;
  readonly #segmentSize: number;
  readonly #blockSize: number;
  readonly #observe: SealObserver | undefined;
  readonly #onDamage: ((lost: LostRange) => void) | undefined;
  readonly #cache = new BlockCache();
  readonly #indexes = new IndexCache((seg, part) => this.#reloadIndex(seg, part));
  readonly #subjects = new SubjectIndex((subject, from, to, backward) => this.#find(subject, from, to, backward));
  readonly #age = new AgeTimer(() => this.#expire());
  /** The messages with a Nats-TTL header, rebuilt from their headers at open. */
  readonly #ttl = new TtlIndex();
  #onExpired: ((subject: string) => void) | null = null;
  #limits: Limits;
  #segs: Segment[] = [];
  #active!: Segment;
  readonly #w: RecordWriter;
  #floor = 1;
  #first = 1;
  #firstTsSeq = 0;
  #firstTsValue = 0;
  #last = 0;
  #lastTs = 0;
  #msgs = 0;
  #bytes = 0;
  #floorDirty = false;
  readonly #gc: GroupCommit;
  #lost: LostRange[] = [];
  #meta: Uint8Array | null = null;
  #consumers = new Map<string, Uint8Array>();
  #closed = false;
  #written = 0;
  readonly #syncAlways: boolean;
  readonly #syncIntervalMs: number;
  /** Consumer state files replaced without fsync since the last sync, and the timer of the next. */
  readonly #unsyncedMeta = new Set<string>();
  #metaSync: ReturnType<typeof setTimeout> | undefined;
  #metaSyncError: StoreError | null = null;
  #lastFilter: { filter: string; literal: boolean; match: SubjectMatcher | null } | null = null;
  /**
   * Where the last loadNext found its message, in a sealed block: consumers read a stream in order, and
   * continuing in that block saves the search through segments and frames for every message.
   */
  #cursor: LoadCursor | null = null;

  private constructor(o: FileStoreOptions, ring: Keyring) {
    this.#dir = o.dir;
    this.#syncAlways = o.sync === "always";
    this.#syncIntervalMs = typeof o.sync === "number" && o.sync > 0 ? o.sync : DEFAULT_SYNC_INTERVAL_MS;
    this.#msgsDir = join(o.dir, "msgs");
    this.name = o.name ?? basename(o.dir);
    this.#ring = ring;
    this.#gc = new GroupCommit({
      always: this.#syncAlways,
      intervalMs: this.#syncIntervalMs,
      write: () => this.#writePending(),
      fd: () => this.#active.fd(),
      durable: () => this.#afterDurable(),
      failed: (err) => new StoreError(`stream "${this.name}": write to ${this.#active.path} failed: ${(err as Error).message}`, { cause: err }),
    });
    this.#segmentSize = o.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.#blockSize = o.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.#observe = o.observeSeal;
    this.#onDamage = o.onDamage;
    this.#limits = normalizeLimits(o.limits);
    this.#w = new RecordWriter(this.#blockSize);
    this.recovery = { truncated: [], damaged: [], converted: [], rewritten: [] };
  }

  /**
   * Opens (or creates) the stream in `o.dir`. Throws StoreKeyError — having modified nothing — for a wrong
   * key, an encrypted store without a key, or data under a key that is not configured.
   */
  static async open(o: FileStoreOptions): Promise<FileStore> {
    // Any segment may be sealed with ChaCha or XChaCha, whatever cipher new data uses: load that code first.
    // Without a key nothing is sealed or opened (the keyring refuses a sealed store), and loading libsodium's
    // WebAssembly is 15-25 ms of every restart and 9 MB for good, so only where XChaCha is met.
    if (o.key || o.prevKey) await prepareCiphers(undefined, o.cipher === "xchacha" || holdsCipher(o.dir, CipherId.XChaCha));
    return FileStore.#openPrepared(o);
  }

  static #openPrepared(o: FileStoreOptions): Promise<FileStore> {
    try {
      const name = o.name ?? basename(o.dir);
      const cipher = o.key ? cipherId(o.cipher ?? defaultCipher()) : 0;
      const ring = openKeyring(o.dir, name, { key: o.key, prevKey: o.prevKey, cipher });
      const meta = loadMeta(o.dir, name, ring);
      const rec = recoverSegments(join(o.dir, "msgs"), name, ring, { scanAll: o.repair });
      // Everything above only read; from here on the store writes.
      const fs = new FileStore(o, ring);
      try {
        fs.#adopt(rec);
        fs.#meta = meta.stream;
        fs.#consumers = meta.consumers;
        fs.#repair(rec, meta.stale.length > 0, o.repair === true);
        for (const s of fs.#segs) if (s !== fs.#active) fs.#indexes.add(s);
      } catch (err) {
        fs.#closed = true;
        void fs.#gc.close();
        for (const s of fs.#segs) s.close();
        fs.#cache.clear();
        fs.#indexes.close();
        throw err;
      }
      return Promise.resolve(fs);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Bytes written to segments and summaries since open (the bench's bytes-per-message). */
  get bytesWritten(): number {
    return this.#written;
  }

  // ---------------------------------------------------------------- writes

  append(subject: string, hdr: Uint8Array | null, payload: Uint8Array, ts?: number, ttl?: number): Promise<StoreAck> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    const h = hdr ?? EMPTY;
    const size = storedMsgSize(subject, h.length, payload.length);
    // The record keeps the subject's length in 16 bits; NATS subjects are far shorter (max_control_line).
    if (subject.length > 16383) return Promise.reject(new StoreError(`stream "${this.name}": subject of ${subject.length} characters is too long to store`));
    try {
      checkDiscardNew(this.#limits, {
        msgs: this.#msgs,
        bytes: this.#bytes,
        subjectMsgs: this.#subjects.count(subject),
        subjectFirstSize: () => this.#sizeOf(this.#subjects.first(subject)),
        newLen: h.length + payload.length,
        newSize: size,
      });
    } catch (err) {
      return Promise.reject(err);
    }
    const seq = ++this.#last;
    const when = ts ?? Date.now();
    this.#w.msg(seq, when, subject, h, payload);
    this.#active.addMsg(seq, subject, size);
    if (this.#msgs === 0) this.#first = seq;
    this.#msgs++;
    this.#bytes += size;
    this.#lastTs = when;
    this.#subjects.add(subject, seq);
    if (this.#limits.allowMsgTTL && h.length > 0) this.#ttl.add(seq, when, ttl ?? storedTTL(h));
    this.#enforceLimits(subject);
    if (this.#limits.maxAgeMs > 0 || this.#ttl.size > 0) {
      const next = this.#expire();
      if (next > 0) this.#age.armBy(next);
    }
    return this.#commit().then(() => ({ seq, ts: when }));
  }

  async remove(seq: number, opts?: { readonly erase?: boolean }): Promise<boolean> {
    const bad = this.#unusable();
    if (bad !== null) throw bad;
    if (!this.#isLive(seq)) return false;
    this.#removeInterior(seq);
    await this.#commit();
    if (opts?.erase === true) {
      // The bytes are still in a sealed block: rewrite that segment without them.
      const seg = this.#segFor(seq);
      if (seg !== undefined) {
        if (seg === this.#active) this.#roll();
        await this.#commit();
        // The segment may have emptied and been unlinked meanwhile: then the bytes are gone already.
        if (this.#segs.includes(seg)) this.#rewrite(seg);
      }
    }
    return true;
  }

  purge(opts?: PurgeOptions): Promise<number> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    return purgeEx({
      msgs: this.#msgs,
      lastSeq: this.#last,
      purgeAll: () => this.compact(this.#last + 1),
      compact: (seq) => this.compact(seq),
      filtered: (match) => this.#filtered(match),
      removeMatching: (match, from, to, max) => {
        const seqs: number[] = [];
        this.#each(from, to, (blk, i) => {
          const seq = blk.seqs[i];
          if (this.#isLive(seq) && match(subjectAt(blk.buf, blk.offs[i]))) seqs.push(seq);
          return seqs.length >= max;
        });
        for (const seq of seqs) this.#removeInterior(seq);
        return this.#commit().then(() => seqs.length);
      },
    }, opts);
  }

  compact(seq: number): Promise<number> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    if (seq === 0) seq = this.#last + 1;
    const n = this.#dropBelow(seq);
    if (seq > this.#last) this.#last = seq - 1;
    return this.#commit().then(() => n);
  }

  updateLimits(limits: StreamLimits): Promise<void> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    const hadTTL = this.#limits.allowMsgTTL;
    this.#limits = normalizeLimits(limits);
    if (!hadTTL && this.#limits.allowMsgTTL) this.#indexTTLs();
    if (this.#limits.maxPerSubject > 0) {
      for (const subject of [...this.#subjects.subjects()]) this.#enforcePerSubject(subject);
    }
    this.#enforceLimits("");
    this.#age.disarm();
    const next = this.#expire();
    if (next > 0) this.#age.arm(next);
    return this.#commit();
  }

  onSubjectExpired(cb: (subject: string) => void): void {
    this.#onExpired = cb;
  }

  writeMeta(blob: Uint8Array): Promise<void> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    this.#meta = blob.slice();
    return this.#writeMetaFile(streamMetaPath(this.#dir), blob);
  }

  writeConsumerMeta(name: string, blob: Uint8Array): Promise<void> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    try {
      const path = consumerMetaPath(this.#dir, name);
      this.#consumers.set(name, blob.slice());
      if (this.#syncAlways) return this.#writeMetaFile(path, blob);
      const failed = this.#metaSyncError;
      if (failed !== null) {
        this.#metaSyncError = null;
        return Promise.reject(failed);
      }
      // Consumers save their state many times a second. Like the messages, it reaches the disk at once
      // (so it survives kill -9) and is fsynced every sync_interval, as nats-server does: two fsyncs per
      // save were a tenth of a consumer's ack path.
      writeMetaFile(path, blob, this.#ring, this.#observe, false);
      this.#unsyncedMeta.add(path);
      this.#metaSync ??= setTimeout(() => this.#syncMeta(), this.#syncIntervalMs);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** fsyncs the consumer state files saved since the last time, and their directory (the renames). */
  #syncMeta(): void {
    if (this.#metaSync !== undefined) clearTimeout(this.#metaSync);
    this.#metaSync = undefined;
    if (this.#unsyncedMeta.size === 0) return;
    const paths = [...this.#unsyncedMeta];
    this.#unsyncedMeta.clear();
    try {
      for (const p of paths) fsyncFile(p);
      fsyncDir(dirname(paths[0]!));
    } catch (err) {
      // Reported by the next save, which retries these; a timer has nobody to throw to.
      for (const p of paths) this.#unsyncedMeta.add(p);
      this.#metaSyncError = new StoreError(`stream "${this.name}": fsync of consumer state failed: ${(err as Error).message}`, { cause: err });
    }
  }

  deleteConsumerMeta(name: string): Promise<void> {
    const bad = this.#unusable();
    if (bad !== null) return Promise.reject(bad);
    try {
      this.#consumers.delete(name);
      removeMetaFile(consumerMetaPath(this.#dir, name));
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  flush(): Promise<void> {
    return this.#gc.settled();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      this.#age.disarm();
      this.#syncMeta();
      await this.#gc.close();
      if (this.#gc.error === null) {
        fsyncSync(this.#active.fd());
        this.#writeSummary(this.#active);
      }
      for (const s of this.#segs) s.close();
      this.#cache.clear();
      this.#indexes.close();
    }
  }

  // ---------------------------------------------------------------- reads

  load(seq: number): StoredMsg | null {
    const r = this.#locate(seq);
    return r === null ? null : msgAt(r.blk.buf, r.blk.offs[r.i]);
  }

  loadLast(subject: string): StoredMsg | null {
    if (isLiteralFilter(subject)) return this.load(this.#subjects.last(subject));
    const match = subjectMatcher(subject);
    let found = 0;
    this.#each(this.#first, this.#last, (blk, i) => {
      const seq = blk.seqs[i];
      if (!this.#isLive(seq) || (match !== null && !match(subjectAt(blk.buf, blk.offs[i])))) return false;
      found = seq;
      return true;
    }, true);
    return found === 0 ? null : this.load(found);
  }

  loadNext(filter: string, start: number): StoredMsg | null {
    let from = Math.max(start, this.#first);
    let to = this.#last;
    const cur = this.#cursor;
    if (cur !== null && cur.filter === filter && start === cur.seq + 1) {
      const m = this.#advanceCursor(cur);
      if (m !== null) return m;
    }
    const { literal, match } = this.#filter(filter);
    if (literal) {
      if (this.#subjects.count(filter) === 0) return null;
      from = Math.max(from, this.#subjects.first(filter));
      to = this.#subjects.last(filter);
    }
    // In a segment that holds no other subject than a literal filter, every message matches: decoding each
    // subject to compare it was most of a filtered consumer's read path (a consumer on the stream's subject).
    let segMatch = match;
    let out: StoredMsg | null = null;
    this.#each(from, to, (blk, i, sealed) => {
      const seq = blk.seqs[i];
      if (!this.#isLive(seq)) return false;
      if (segMatch !== null && !segMatch(subjectAt(blk.buf, blk.offs[i]))) return false;
      out = msgAt(blk.buf, blk.offs[i]);
      this.#cursor = sealed ? { filter, blk, i, seq, match: segMatch } : null;
      return true;
    }, false, match === null ? undefined : (seg) => {
      if (!this.#segMayMatch(seg, filter, match, literal)) return false;
      segMatch = seg.fss.size === 1 && seg.fss.has(filter) ? null : match;
      return true;
    });
    return out;
  }

  /**
   * From the segments' delete maps, without reading a block: interior deletes, never-written sequences, and
   * the sequences between segments (a segment whose messages were all removed is gone).
   */
  deleted(): number[] {
    const out: number[] = [];
    if (this.#msgs === 0) return out;
    let next = this.#first;
    for (const seg of this.#segs) {
      if (seg.first === 0 || seg.last < this.#first) continue;
      for (let seq = next; seq < seg.first && seq <= this.#last; seq++) out.push(seq);
      for (const set of [seg.dmap, seg.absent]) for (const seq of set) if (seq >= this.#first && seq <= this.#last) out.push(seq);
      next = Math.max(next, seg.last + 1);
    }
    for (let seq = next; seq <= this.#last; seq++) out.push(seq);
    return out.sort((a, b) => a - b);
  }

  /** 0 while nothing was ever stored, as nats-server reports a new stream (a purge then gives last + 1). */
  firstSeq(): number {
    return this.#last === 0 ? 0 : this.#first;
  }

  lastSeq(): number {
    return this.#last;
  }

  msgCount(): number {
    return this.#msgs;
  }

  state(): StreamState {
    return {
      msgs: this.#msgs,
      bytes: this.#bytes,
      first_seq: this.firstSeq(),
      first_ts: this.#firstTs(),
      last_seq: this.#last,
      last_ts: this.#lastTs,
      num_deleted: this.#msgs === 0 ? 0 : this.#last - this.#first + 1 - this.#msgs,
      num_subjects: this.#subjects.size,
      lost: this.#lost,
    };
  }

  /**
   * The first message's timestamp, decoded once per first sequence: publishers read state() for every
   * message, and decoding the first message each time cost a sixth of the publish path.
   */
  #firstTs(): number {
    if (this.#msgs === 0) return 0;
    if (this.#firstTsSeq !== this.#first) {
      let ts = 0;
      try {
        ts = this.load(this.#first)?.ts ?? 0;
      } catch {
        // The first block is damaged (and now listed in `lost`); first_ts is unknown.
      }
      this.#firstTsSeq = this.#first;
      this.#firstTsValue = ts;
    }
    return this.#firstTsValue;
  }

  subjectCounts(filter = ""): Map<string, number> {
    return this.#subjects.counts(subjectMatcher(filter));
  }

  readMeta(): Uint8Array | null {
    return this.#meta;
  }

  readConsumerMeta(name: string): Uint8Array | null {
    return this.#consumers.get(name) ?? null;
  }

  consumerNames(): string[] {
    return [...this.#consumers.keys()].sort();
  }

  // ---------------------------------------------------------------- recovery

  /** Takes over what recovery read and derives the stream totals, subjects, first and last. */
  #adopt(rec: Recovered): void {
    this.#segs = rec.segs;
    this.#floor = rec.floor;
    this.#last = rec.floorLast;
    this.#lastTs = rec.floorTs;
    this.#lost = rec.lost;
    this.recovery.damaged.push(...rec.damaged);
    // A torn or damaged frame's sequences were handed out (perhaps acknowledged): new messages must not reuse them.
    let newest = rec.torn.reduce((n, t) => Math.max(n, t.last), 0);
    for (const d of rec.damaged) newest = Math.max(newest, d.last);
    for (const s of this.#segs) {
      this.#msgs += s.msgs;
      this.#bytes += s.bytes;
      for (const [subject, ss] of s.fss) this.#subjects.merge(subject, ss.msgs, ss.first, ss.last);
      if (s.last > newest) newest = s.last;
    }
    if (newest >= this.#last && newest > 0) {
      this.#last = newest;
      // last_ts is the time of the newest message stored; read it while it is still on disk.
      const seg = this.#segFor(newest);
      const f = seg?.frameFor(newest);
      if (seg !== undefined && f !== undefined) {
        try {
          const blk = this.#block(seg, f);
          const i = blk.seqs.indexOf(newest);
          if (i >= 0) this.#lastTs = msgAt(blk.buf, blk.offs[i]).ts;
        } catch {
          // A damaged last block is already reported; last_ts stays as the floor recorded it.
        }
      }
    }
    this.#first = this.#floor;
    this.#advanceFirst();
  }

  /** The write half of opening: fix what recovery found, convert to the current key, start a segment. */
  #repair(plan: Recovered, metaStale: boolean, forGood: boolean): void {
    mkdirSync(this.#msgsDir, { recursive: true });
    for (const file of plan.junk) unlinkSync(join(this.#msgsDir, file));
    if (forGood) {
      for (const file of plan.unreadable) renameSync(join(this.#msgsDir, file), join(this.#msgsDir, `${file}.damaged`));
      if (plan.unreadable.length > 0) fsyncDir(this.#msgsDir);
    }
    for (const { seg, length, first, last } of plan.torn) {
      const fd = openSync(seg.path, "r+");
      try {
        const size = fstatSync(fd).size;
        ftruncateSync(fd, length);
        fsyncSync(fd);
        this.recovery.truncated.push({ segment: seg.id, offset: length, bytes: size - length, first, last });
      } finally {
        closeSync(fd);
      }
    }
    if (this.#ring.action !== KeyFileAction.None) writeKeyFile(this.#dir, this.#ring, this.#observe);
    if (metaStale) {
      if (this.#meta !== null) this.#writeMetaSync(streamMetaPath(this.#dir), this.#meta);
      for (const [name, blob] of this.#consumers) this.#writeMetaSync(consumerMetaPath(this.#dir, name), blob);
      this.recovery.converted.push("metadata");
    }
    const cur = this.#ring.current;
    const damagedSegs = new Set(plan.damaged.map((d) => d.segment));
    for (const seg of [...this.#segs]) {
      if (forGood && damagedSegs.has(seg.id)) {
        this.#rewrite(seg);
        this.recovery.rewritten.push(segmentFileName(seg.id));
      } else if (cur !== null && seg.keyId !== 0 && seg.keyId !== cur.id) {
        // Under prev_key: re-seal under the current key (new file, fsync, rename: crash-safe).
        this.#rewrite(seg);
        this.recovery.converted.push(segmentFileName(seg.id));
      } else if (plan.unsummarized.has(seg)) {
        this.#writeSummary(seg);
      }
    }
    this.#startSegment((this.#segs.at(-1)?.id ?? 0) + 1);
    this.#floorDirty = true;
    if (this.#limits.allowMsgTTL) this.#indexTTLs();
    this.#enforceLimits("");
    if (this.#limits.maxPerSubject > 0) for (const s of [...this.#subjects.subjects()]) this.#enforcePerSubject(s);
    const next = this.#expire();
    if (next > 0) this.#age.arm(next);
    this.#commit();
  }

  // ---------------------------------------------------------------- group commit

  #commit(): Promise<void> {
    return this.#gc.commit();
  }

  /** The group commit's write: the floor if it moved, then every pending block, sealed, in one write. */
  #writePending(): boolean {
    if (this.#floorDirty) {
      this.#w.floor(this.#floor, this.#last, this.#lastTs);
      const a = this.#active;
      a.floor = Math.max(a.floor, this.#floor);
      a.floorLast = this.#last;
      a.floorTs = this.#lastTs;
      this.#floorDirty = false;
    }
    const blocks = this.#w.take();
    if (blocks.length === 0) return false;
    this.#writeBlocks(blocks);
    return true;
  }

  #writeBlocks(blocks: PendingBlock[], mayRoll = true): void {
    const seg = this.#active;
    const { bytes, lengths } = sealFrames(blocks, seg, seg.counter, this.#observe);
    seg.counter += blocks.length;
    let off = seg.size;
    const n = writeSync(seg.fd(), bytes, 0, bytes.length, off);
    if (n !== bytes.length) throw new Error(`short write: ${n} of ${bytes.length} bytes`);
    this.#written += n;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (b.seqs.length > 0) {
        seg.frames.push({ off, len: lengths[i], first: b.first, last: b.last });
        this.#cache.set(seg.gen, off, b);
      }
      off += lengths[i];
    }
    seg.size = off;
    if (mayRoll && seg.size >= this.#segmentSize) this.#roll();
  }

  #unusable(): Error | null {
    if (this.#closed) return new StoreClosedError();
    return this.#gc.error;
  }

  // ---------------------------------------------------------------- segments

  #startSegment(id: number): void {
    const cur = this.#ring.current;
    const salt = randomSalt();
    const cipher = cur === null ? 0 : this.#ring.cipher;
    const path = join(this.#msgsDir, segmentFileName(id));
    const seg = new Segment(id, path, cipher, cur?.id ?? 0, salt, cur === null ? EMPTY : cur.fileKey(Purpose.Frames, cipher, salt));
    const fd = openSync(path, "wx+");
    seg.adopt(fd);
    const h = encodeSegmentHeader(seg);
    writeSync(fd, h, 0, h.length, 0);
    this.#written += h.length;
    seg.size = h.length;
    fsyncDir(this.#msgsDir);
    this.#segs.push(seg);
    this.#active = seg;
  }

  /** Finishes the active segment (fsync + summary) and starts the next. */
  #roll(): void {
    const old = this.#active;
    // Records already counted in this segment must land in it.
    const pending = this.#w.take();
    if (pending.length > 0) this.#writeBlocks(pending, false);
    fsyncSync(old.fd());
    this.#writeSummary(old);
    this.#startSegment(old.id + 1);
    this.#indexes.add(old);
    // The new segment must know the floor even if the old ones all go away.
    this.#floorDirty = true;
    this.#commit();
  }

  #writeSummary(seg: Segment): void {
    this.#written += writeSummaryFile(this.#msgsDir, seg, this.#ring, this.#observe);
  }

  /** A finished segment's index, unloaded earlier, read back from its summary or else from the file. */
  #reloadIndex(seg: Segment, part: IndexPart): SegmentIndex {
    const ix = part === "fss" && seg.countsStale ? null : readSummaryIndex(this.#msgsDir, seg, this.#ring, part);
    if (ix !== null) return ix;
    // The summary went missing or bad since it was written, or too much was removed since to remember: count
    // again what the stream still holds. A block that fails its check now is left out of the frames; its
    // messages read as gone.
    const again = new Segment(seg.id, seg.path, seg.cipher, seg.keyId, seg.salt, seg.key);
    scanSegment(again, new Uint8Array(readFileSync(seg.path)).subarray(0, seg.size), this.#floor, seg.dmap);
    return { frames: again.frames, fss: again.fss, tombs: again.tombs, live: true };
  }

  /** Compacts a finished segment (see rewrite.ts) and swaps it in. */
  #rewrite(seg: Segment): void {
    const { next, written } = rewriteSegment(seg, {
      ring: this.#ring,
      blockSize: this.#blockSize,
      keepMsg: (seq) => seq >= this.#floor && seg.has(seq),
      keepTomb: (t) => this.#tombMatters(t, seg),
      observe: this.#observe,
    });
    this.#written += written;
    seg.close();
    this.#indexes.delete(seg);
    this.#segs[this.#segs.indexOf(seg)] = next;
    this.#writeSummary(next);
    this.#indexes.add(next);
  }

  /** After a batch is durable: unlink emptied segments, compact one sparse segment. */
  #afterDurable(): void {
    for (const seg of [...this.#segs]) {
      if (seg === this.#active || seg.msgs > 0) continue;
      const carry = seg.tombs.filter((t) => this.#tombMatters(t, seg));
      if (carry.length > 0) {
        for (const t of carry) {
          this.#w.tomb(t.seq, t.size, t.subject);
          this.#active.tombs.push(t);
        }
        seg.tombs = [];
        this.#commit();
        continue;
      }
      this.#unlinkSegment(seg);
    }
    // The oldest live segment is left alone: discard-old will soon drop it whole.
    const oldest = this.#segs.find((s) => s.msgs > 0);
    const sparse = this.#segs.find((s) =>
      s !== oldest && s !== this.#active && s.msgs > 0 && s.writtenBytes >= this.#blockSize && s.bytes * 2 < s.writtenBytes
    );
    if (sparse !== undefined) this.#rewrite(sparse);
  }

  #tombMatters(t: Tomb, holder: Segment): boolean {
    if (t.seq < this.#floor) return false;
    const target = this.#segFor(t.seq);
    return target !== undefined && target !== holder && target.dmap.has(t.seq);
  }

  #unlinkSegment(seg: Segment): void {
    seg.close();
    for (const p of [seg.path, join(this.#msgsDir, summaryFileName(seg.id))]) {
      try {
        unlinkSync(p);
      } catch (err) {
        if ((err as { code?: string }).code !== "ENOENT") throw err;
      }
    }
    fsyncDir(this.#msgsDir);
    this.#indexes.delete(seg);
    this.#segs = this.#segs.filter((s) => s !== seg);
  }

  // ---------------------------------------------------------------- removal and limits

  #isLive(seq: number): boolean {
    if (seq < this.#floor || seq > this.#last || seq < 1) return false;
    return this.#segFor(seq)?.has(seq) ?? false;
  }

  /** Removes one live message by tombstone (interior delete). */
  #removeInterior(seq: number): void {
    const seg = this.#segFor(seq)!;
    const r = this.#locate(seq)!;
    const off = r.blk.offs[r.i];
    const m = msgAt(r.blk.buf, off);
    const size = storedMsgSize(m.subject, m.hdr.length, m.payload.length);
    seg.dmap.add(seq);
    seg.dropMsg(m.subject, size);
    this.#msgs--;
    this.#bytes -= size;
    this.#subjects.remove(m.subject, seq);
    this.#w.tomb(seq, size, m.subject);
    this.#active.tombs.push({ seq, size, subject: m.subject });
    if (this.#ttl.size > 0) this.#ttl.delete(seq);
    if (seq === this.#first) this.#advanceFirst();
  }

  /** Moves the floor to `seq`, dropping every live message below it; returns how many. */
  #dropBelow(seq: number): number {
    if (seq <= this.#floor) return 0;
    if (this.#ttl.size > 0) {
      if (seq - this.#floor <= 64) for (let q = this.#floor; q < seq; q++) this.#ttl.delete(q);
      else this.#ttl.deleteBelow(seq);
    }
    let n = 0;
    for (const seg of this.#segs) {
      if (seg.first >= seq) break;
      if (seg.first === 0 || seg.msgs === 0) continue;
      if (seg.last < seq) {
        for (const [subject, ss] of seg.fss) this.#subjects.removeMany(subject, ss.msgs);
        n += seg.msgs;
        this.#msgs -= seg.msgs;
        this.#bytes -= seg.bytes;
        seg.msgs = 0;
        seg.bytes = 0;
        seg.fss.clear();
        continue;
      }
      const from = Math.max(seg.first, this.#floor);
      for (let q = from; q < seq; q++) {
        if (!seg.has(q)) continue;
        const r = this.#locate(q);
        if (r === null) continue;
        const m = msgAt(r.blk.buf, r.blk.offs[r.i]);
        const size = storedMsgSize(m.subject, m.hdr.length, m.payload.length);
        seg.dropMsg(m.subject, size);
        this.#subjects.remove(m.subject, q);
        this.#msgs--;
        this.#bytes -= size;
        n++;
      }
    }
    this.#floor = seq;
    this.#floorDirty = true;
    if (this.#first < seq) this.#first = seq;
    this.#advanceFirst();
    return n;
  }

  #advanceFirst(): void {
    if (this.#msgs === 0) {
      this.#first = Math.max(this.#floor, this.#last + 1);
      return;
    }
    let q = Math.max(this.#first, this.#floor);
    while (q <= this.#last) {
      const seg = this.#segFor(q);
      if (seg === undefined || seg.msgs === 0) {
        const next = this.#segs.find((s) => s.first > q && s.msgs > 0);
        if (next === undefined) break;
        q = next.first;
        continue;
      }
      if (seg.has(q)) break;
      q++;
    }
    this.#first = q;
  }

  #enforcePerSubject(subject: string): void {
    const max = this.#limits.maxPerSubject;
    if (max <= 0) return;
    while (this.#subjects.count(subject) > max) {
      const seq = this.#subjects.first(subject);
      if (seq === 0 || !this.#isLive(seq)) return;
      if (seq === this.#first) this.#dropBelow(seq + 1);
      else this.#removeInterior(seq);
    }
  }

  #enforceLimits(subject: string): void {
    if (subject !== "") this.#enforcePerSubject(subject);
    if (this.#limits.discardNew) return;
    const { maxMsgs, maxBytes } = this.#limits;
    while ((maxMsgs > 0 && this.#msgs > maxMsgs) || (maxBytes > 0 && this.#bytes > maxBytes)) {
      this.#dropBelow(this.#first + 1);
    }
  }

  /**
   * Drops the messages whose TTL is due and those older than max_age (skipping `never` ones, as nats-server's
   * expireMsgs does); returns ms until the next one expires (0 = none).
   */
  #expire(): number {
    if (this.#closed || this.#gc.error !== null) return 0;
    const now = Date.now();
    const emptied: string[] = [];
    let expired = false;
    let next = 0;
    if (this.#ttl.size > 0) {
      for (const seq of this.#ttl.takeDue(now)) {
        const m = this.load(seq);
        if (m === null) continue;
        this.#expireMsg(m, emptied);
        expired = true;
      }
      next = this.#ttl.nextIn(now);
    }
    const maxAge = this.#limits.maxAgeMs;
    if (maxAge > 0) {
      const cutoff = now - maxAge;
      // From the front; only `never` messages (kept) make it look further, so the usual case stays a load of
      // the first message and leaves the consumers' read cursor alone.
      const front = () => (this.#msgs > 0 ? this.load(this.#first) : null);
      for (let m = front(); m !== null; m = this.#ttl.isNever(m.seq) ? this.loadNext("", m.seq + 1) : front()) {
        if (this.#ttl.isNever(m.seq)) continue;
        if (m.ts > cutoff) {
          next = next === 0 ? m.ts - cutoff : Math.min(next, m.ts - cutoff);
          break;
        }
        this.#expireMsg(m, emptied);
        expired = true;
      }
    }
    if (expired) this.#commit();
    if (emptied.length > 0 && this.#onExpired !== null) {
      // After this pass: the marker is a publish, which appends (and expires) again.
      const cb = this.#onExpired;
      queueMicrotask(() => emptied.forEach(cb));
    }
    return next;
  }

  #expireMsg(m: StoredMsg, emptied: string[]): void {
    if (m.seq === this.#first) this.#dropBelow(m.seq + 1);
    else this.#removeInterior(m.seq);
    if (this.#limits.deleteMarkers && this.#subjects.count(m.subject) === 0 && !isDeleteMarker(m.hdr)) emptied.push(m.subject);
  }

  /** Rebuilds the TTL index from the stored headers (at open, or when allow_msg_ttl is switched on). */
  #indexTTLs(): void {
    this.#ttl.clear();
    if (this.#msgs === 0) return;
    this.#each(this.#first, this.#last, (blk, i) => {
      const seq = blk.seqs[i];
      if (!this.#isLive(seq)) return false;
      const m = msgAt(blk.buf, blk.offs[i]);
      if (m.hdr.length > 0) this.#ttl.add(seq, m.ts, storedTTL(m.hdr));
      return false;
    });
  }

  // ---------------------------------------------------------------- lookup

  #segFor(seq: number): Segment | undefined {
    return segmentFor(this.#segs, seq);
  }

  /** The block and index holding live message `seq`, or null. */
  #locate(seq: number): { blk: Block; i: number } | null {
    if (!this.#isLive(seq)) return null;
    const seg = this.#segFor(seq)!;
    const f = seg.frameFor(seq);
    const blk = f !== undefined ? this.#block(seg, f) : seg === this.#active ? this.#pendingBlockFor(seq) : undefined;
    if (blk === undefined) return null;
    const i = indexOf(blk.seqs, seq);
    return i < 0 ? null : { blk, i };
  }

  #pendingBlockFor(seq: number): Block | undefined {
    return this.#w.pending().find((b) => b.first <= seq && b.last >= seq);
  }

  #block(seg: Segment, f: FrameRef): Block {
    const hit = this.#cache.get(seg.gen, f.off);
    if (hit !== undefined) return hit;
    let recs: Uint8Array;
    try {
      recs = seg.readFrame(f);
    } catch {
      return this.#loseFrame(seg, f);
    }
    // No copy: a plaintext frame's records are a view of the buffer just read, which nothing else holds.
    const blk = indexBlock(recs);
    this.#cache.set(seg.gen, f.off, blk);
    return blk;
  }

  /**
   * A block failed its check on a read: its messages are lost. The segment is read again in full, so the
   * stream's counts (messages, bytes, per subject) drop exactly what the damaged blocks held, and its summary
   * is rewritten so a restart does not count them again. Returns the block readers get instead: the frame
   * again if it reads fine this time, else an empty one.
   */
  #loseFrame(seg: Segment, f: FrameRef): Block {
    // A reader still walking the segment that was replaced: that one was read again already.
    if (!this.#segs.includes(seg)) return EMPTY_BLOCK;
    // The open segment has records not in the file yet: finish it first, so the file holds them all.
    if (seg === this.#active) this.#roll();
    const again = new Segment(seg.id, seg.path, seg.cipher, seg.keyId, seg.salt, seg.key);
    const scan = scanSegment(again, new Uint8Array(readFileSync(seg.path)).subarray(0, seg.size), this.#floor, seg.dmap);
    again.size = seg.size;
    again.tombs = seg.tombs;
    const gone: number[] = [];
    for (let q = Math.max(seg.first, this.#floor); q <= seg.last; q++) if (seg.has(q) && !again.has(q)) gone.push(q);
    for (const [subject, ss] of seg.fss) {
      const n = ss.msgs - (again.fss.get(subject)?.msgs ?? 0);
      if (n > 0) this.#subjects.removeMany(subject, n, true);
    }
    this.#msgs -= seg.msgs - again.msgs;
    this.#bytes -= seg.bytes - again.bytes;
    seg.close();
    this.#indexes.delete(seg);
    this.#segs[this.#segs.indexOf(seg)] = again;
    this.#writeSummary(again);
    this.#indexes.add(again);
    this.#firstTsSeq = 0;
    this.#advanceFirst();
    for (const d of scan.damage) {
      const msgs = gone.filter((q) => q >= d.first && q <= d.last);
      const lost = { first: d.first, last: d.last, reason: `segment ${seg.id} at offset ${d.off}: ${d.reason}`, msgs, bytes: d.bytes };
      this.#lost.push(lost);
      this.#onDamage?.(lost);
    }
    const ok = again.frameFor(f.first);
    return ok !== undefined && ok.off === f.off ? this.#block(again, ok) : EMPTY_BLOCK;
  }

  /**
   * Visits messages with from ≤ seq ≤ to in order (backward when asked), block by block, the unwritten
   * blocks of the open batch included, until `visit` returns true. `segFilter` can skip whole segments.
   */
  #each(
    from: number,
    to: number,
    visit: (blk: Block, i: number, sealed: boolean) => boolean,
    backward = false,
    segFilter?: (seg: Segment) => boolean,
  ): void {
    const segs = this.#segs;
    for (let si = backward ? segs.length - 1 : 0; backward ? si >= 0 : si < segs.length; si += backward ? -1 : 1) {
      const seg = segs[si];
      if (seg.first === 0 || seg.last < from || seg.first > to || seg.msgs === 0) continue;
      if (segFilter !== undefined && !segFilter(seg)) continue;
      const pending = seg === this.#active ? this.#w.pending() : [];
      const fr = seg.frames;
      const nf = fr.length;
      const total = nf + pending.length;
      // First frame that can hold `from` (forward) or `to` (backward), by binary search.
      let lo = 0;
      let hi = nf;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (backward ? fr[mid].first <= to : fr[mid].last < from) lo = mid + 1;
        else hi = mid;
      }
      let k = backward ? (pending.length > 0 ? total - 1 : lo - 1) : lo;
      for (; backward ? k >= 0 : k < total; k += backward ? -1 : 1) {
        const range = k < nf ? fr[k] : pending[k - nf];
        if (backward ? range.last < from : range.first > to) break;
        if (backward ? range.first > to : range.last < from) continue;
        const blk = k < nf ? this.#block(seg, fr[k]) : pending[k - nf];
        const n = blk.seqs.length;
        for (let j = 0; j < n; j++) {
          const i = backward ? n - 1 - j : j;
          const seq = blk.seqs[i];
          if (seq < from || seq > to) continue;
          if (visit(blk, i, k < nf)) return;
        }
      }
    }
  }

  /**
   * The next message after the cursor within the cursor's block, or null to search the usual way (end of the
   * block, or nothing matching in the rest of it). A sealed block's bytes never change, and liveness is
   * checked against the current state, so a cursor never goes stale.
   */
  #advanceCursor(cur: LoadCursor): StoredMsg | null {
    const { blk, match } = cur;
    const n = blk.seqs.length;
    for (let i = cur.i + 1; i < n; i++) {
      const seq = blk.seqs[i];
      if (!this.#isLive(seq)) continue;
      if (match !== null && !match(subjectAt(blk.buf, blk.offs[i]))) continue;
      cur.i = i;
      cur.seq = seq;
      return msgAt(blk.buf, blk.offs[i]);
    }
    return null;
  }

  /**
   * A filter's matcher, kept for the last filter asked about: a consumer asks loadNext about the same filter
   * for every message, and classifying it each time (a scan for wildcards, a new closure) showed in profiles.
   */
  #filter(filter: string): { filter: string; literal: boolean; match: SubjectMatcher | null } {
    const last = this.#lastFilter;
    if (last !== null && last.filter === filter) return last;
    return (this.#lastFilter = { filter, literal: isLiteralFilter(filter), match: subjectMatcher(filter) });
  }

  #segMayMatch(seg: Segment, filter: string, match: SubjectMatcher, literal = isLiteralFilter(filter)): boolean {
    if (literal) return seg.fss.has(filter);
    if (seg.fss.size > 256) return true;
    for (const subject of seg.fss.keys()) if (match(subject)) return true;
    return false;
  }

  #find(subject: string, from: number, to: number, backward: boolean): number {
    let found = 0;
    this.#each(Math.max(from, this.#floor), Math.min(to, this.#last), (blk, i) => {
      const seq = blk.seqs[i];
      if (this.#isLive(seq) && subjectAt(blk.buf, blk.offs[i]) === subject) {
        found = seq;
        return true;
      }
      return false;
    }, backward, (seg) => seg.fss.has(subject));
    return found;
  }

  #filtered(match: SubjectMatcher): { msgs: number; first: number; last: number } {
    let msgs = 0;
    let first = 0;
    let last = 0;
    for (const subject of this.#subjects.subjects()) {
      if (!match(subject)) continue;
      msgs += this.#subjects.count(subject);
      const f = this.#subjects.first(subject);
      const l = this.#subjects.last(subject);
      if (first === 0 || f < first) first = f;
      if (l > last) last = l;
    }
    return { msgs, first, last };
  }

  #sizeOf(seq: number): number {
    const m = this.load(seq);
    return m === null ? 0 : storedMsgSize(m.subject, m.hdr.length, m.payload.length);
  }

  #writeMetaFile(path: string, blob: Uint8Array): Promise<void> {
    try {
      this.#writeMetaSync(path, blob);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #writeMetaSync(path: string, blob: Uint8Array): void {
    writeMetaFile(path, blob, this.#ring, this.#observe);
  }
}

interface LoadCursor {
  readonly filter: string;
  readonly blk: Block;
  i: number;
  seq: number;
  /** The filter's matcher, or null where the block's segment holds only subjects it matches. */
  readonly match: SubjectMatcher | null;
}

function indexOf(seqs: number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = seqs[mid];
    if (v < seq) lo = mid + 1;
    else if (v > seq) hi = mid - 1;
    else return mid;
  }
  return -1;
}
