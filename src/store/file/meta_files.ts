/**
 * Opaque metadata blobs: the stream's (`meta.inf`) and one per consumer (`obs/<name>.inf`), sealed under the
 * current key with a fresh salt per write and replaced atomically. They are read once at open and kept in
 * memory (they are small), so writing one never needs to read it back.
 */
import { existsSync, mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { SealObserver } from "./aead.ts";
import { keyFor, type Keyring, unknownKeyError } from "./keyring.ts";
import { Purpose } from "./keys.ts";
import {
  DamagedFileError,
  encodeSealedFile,
  fsyncDir,
  openSealedFile,
  parseSealedFile,
  readFileOrNull,
  writeFileAtomic,
} from "./sealed_file.ts";
import { StoreError, StoreKeyError } from "../errors.ts";

const MAGIC = "NEMI";
const STREAM_META = "meta.inf";
const CONSUMERS = "obs";
const EXT = ".inf";

export interface LoadedMeta {
  readonly stream: Uint8Array | null;
  readonly consumers: Map<string, Uint8Array>;
  /** Files not sealed under the current key (plaintext, or under prev_key): rewrite them once open. */
  readonly stale: string[];
}

/** Reads every metadata file; throws before anything is modified. */
export function loadMeta(dir: string, stream: string, ring: Keyring): LoadedMeta {
  const stale: string[] = [];
  const read = (path: string): Uint8Array | null => {
    const raw = readFileOrNull(path);
    if (raw === null) return null;
    let f;
    try {
      f = parseSealedFile(path, MAGIC, raw);
    } catch (err) {
      if (err instanceof DamagedFileError) throw new StoreError(`stream "${stream}": metadata ${err.message}`);
      throw err;
    }
    const key = keyFor(ring, f.keyId);
    if (key === undefined) throw unknownKeyError(stream, ring, `metadata file ${path}`);
    if (ring.current !== null && (f.keyId !== ring.current.id || f.cipher === 0)) stale.push(path);
    try {
      return openSealedFile(f, key, Purpose.Meta).slice();
    } catch (err) {
      throw new StoreKeyError(stream, `Error decrypting our stream metafile: ${(err as Error).message}`);
    }
  };
  const consumers = new Map<string, Uint8Array>();
  const obs = join(dir, CONSUMERS);
  if (existsSync(obs)) {
    for (const file of readdirSync(obs).sort()) {
      if (!file.endsWith(EXT)) continue;
      const blob = read(join(obs, file));
      if (blob !== null) consumers.set(file.slice(0, -EXT.length), blob);
    }
  }
  return { stream: read(join(dir, STREAM_META)), consumers, stale };
}

export function streamMetaPath(dir: string): string {
  return join(dir, STREAM_META);
}

export function consumerMetaPath(dir: string, name: string): string {
  if (name === "" || /[\/\\\0]/.test(name) || name === "." || name === "..") {
    throw new StoreError(`invalid consumer name ${JSON.stringify(name)} for a metadata file`);
  }
  mkdirSync(join(dir, CONSUMERS), { recursive: true });
  return join(dir, CONSUMERS, name + EXT);
}

export function writeMetaFile(path: string, blob: Uint8Array, ring: Keyring, observe?: SealObserver, sync = true): void {
  writeFileAtomic(path, encodeSealedFile(MAGIC, blob, { key: ring.current, cipher: ring.cipher, purpose: Purpose.Meta, observe }), sync);
}

export function removeMetaFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
  fsyncDir(join(path, ".."));
}
