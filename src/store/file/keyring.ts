/**
 * Which keys a stream directory is under, decided before anything is written. `key.chk` holds the stream
 * salt (in the clear) and a constant sealed under the current key: it tells a wrong key (CRC fine, tag fails)
 * from a damaged file (CRC fails). Opening never modifies a file when it throws.
 */
import { join } from "node:path";
import { AuthError, authFailureText, type SealObserver } from "./aead.ts";
import { Purpose, randomSalt, StreamKey } from "./keys.ts";
import {
  DamagedFileError,
  encodeSealedFile,
  openSealedFile,
  parseSealedFile,
  readFileOrNull,
  writeFileAtomic,
} from "./sealed_file.ts";
import { StoreError, StoreKeyError } from "../errors.ts";
import { utf8 } from "./bytes.ts";

const MAGIC = "NEKC";
const CHECK = "natsedge key check v1";
export const KEY_FILE = "key.chk";

/** nats-server's log prefix for a stream that cannot be decrypted; the JetStream layer logs it as is. */
const PREFIX = "Error decrypting our stream metafile: ";

export const KeyFileAction = { None: "none", Create: "create", Rotate: "rotate" } as const;
export type KeyFileAction = typeof KeyFileAction[keyof typeof KeyFileAction];

export interface Keyring {
  /** Key for everything written from now on; null = plaintext store. */
  readonly current: StreamKey | null;
  readonly prev: StreamKey | null;
  /** Cipher id for new blocks and files. */
  readonly cipher: number;
  readonly streamSalt: Uint8Array | null;
  /** What must be done to key.chk once the stream has been read successfully. */
  readonly action: KeyFileAction;
}

export interface KeyringOptions {
  readonly key?: string;
  readonly prevKey?: string;
  readonly cipher: number;
}

export function openKeyring(dir: string, stream: string, o: KeyringOptions): Keyring {
  const path = join(dir, KEY_FILE);
  const raw = readFileOrNull(path);
  const key = o.key !== undefined && o.key !== "" ? o.key : undefined;
  const prevKey = o.prevKey !== undefined && o.prevKey !== "" ? o.prevKey : undefined;
  if (raw === null) {
    if (key === undefined) return { current: null, prev: null, cipher: 0, streamSalt: null, action: KeyFileAction.None };
    const salt = randomSalt();
    return { current: new StreamKey(key, salt), prev: null, cipher: o.cipher, streamSalt: salt, action: KeyFileAction.Create };
  }
  let f;
  try {
    f = parseSealedFile(path, MAGIC, raw);
  } catch (err) {
    if (err instanceof DamagedFileError) throw new StoreError(`stream "${stream}": key check file ${err.message}`);
    throw err;
  }
  if (key === undefined) throw new StoreKeyError(stream, `${PREFIX}encryption not enabled`);
  const current = new StreamKey(key, f.salt);
  const prev = prevKey === undefined ? null : new StreamKey(prevKey, f.salt);
  if (checks(f, current)) return { current, prev, cipher: o.cipher, streamSalt: f.salt, action: KeyFileAction.None };
  if (prev !== null && checks(f, prev)) return { current, prev, cipher: o.cipher, streamSalt: f.salt, action: KeyFileAction.Rotate };
  throw new StoreKeyError(stream, `${PREFIX}${authFailureText(f.cipher)}`);
}

function checks(f: ReturnType<typeof parseSealedFile>, k: StreamKey): boolean {
  try {
    return new TextDecoder().decode(openSealedFile(f, k, Purpose.Check)) === CHECK;
  } catch (err) {
    if (err instanceof AuthError) return false;
    throw err;
  }
}

/** Writes key.chk under the current key (atomically). */
export function writeKeyFile(dir: string, ring: Keyring, observe?: SealObserver): void {
  if (ring.current === null || ring.streamSalt === null) return;
  const body = encodeSealedFile(MAGIC, utf8(CHECK), {
    key: ring.current,
    cipher: ring.cipher,
    purpose: Purpose.Check,
    salt: ring.streamSalt,
    observe,
  });
  writeFileAtomic(join(dir, KEY_FILE), body);
}

/** The key a file with `keyId` was written under: null for plaintext, undefined if it is not configured. */
export function keyFor(ring: Keyring, keyId: number): StreamKey | null | undefined {
  if (keyId === 0) return null;
  if (ring.current?.id === keyId) return ring.current;
  if (ring.prev?.id === keyId) return ring.prev;
  return undefined;
}

export function unknownKeyError(stream: string, ring: Keyring, what: string): StoreKeyError {
  if (ring.current === null) return new StoreKeyError(stream, `${PREFIX}encrypted store encountered with no main key (${what})`);
  return new StoreKeyError(stream, `stream "${stream}": ${what} is encrypted under a key that is not configured (set prev_key to it)`);
}
