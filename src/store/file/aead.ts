/**
 * The three AEADs a block can be sealed with, each identified on disk by a one-byte cipher id so a store can
 * hold blocks of several ciphers at once (changing `cipher:` only affects new blocks).
 *
 * Implementations: AES-256-GCM through node:crypto (BoringSSL/OpenSSL with AES-NI: ~1.2 GB/s on Bun at 1 KiB,
 * 7 GB/s at 64 KiB, where WebCrypto is async and ~5× slower per call); ChaCha20-Poly1305 through the system's
 * OpenSSL libcrypto when it loads (src/runtime/libcrypto.ts: 889 MB/s at 1 KiB and 3.6 GB/s at 64 KiB on Bun,
 * 3.3× and 10× libsodium), else libsodium (audited; WebAssembly: 267 and 339 MB/s), because Bun's node:crypto
 * has no ChaCha; XChaCha20-Poly1305, which OpenSSL lacks, always through libsodium. Both ChaCha paths write
 * the same bytes (RFC 8439), so a store moves between machines with and without libcrypto.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { arch } from "node:os";
import type { NativeAead } from "../../runtime/libcrypto.ts";

type Sodium = typeof import("libsodium-wrappers").default;
let sodium: Sodium | null = null;
/** libcrypto's ChaCha once loaded (undefined: not tried yet); `native` is it when preferred and loaded. */
let libcrypto: NativeAead | null | undefined;
let preferNative = true;
let native: NativeAead | null = null;

/**
 * Loads the system's libcrypto for ChaCha20-Poly1305 and, where that does not load or `xchacha` says
 * XChaCha20-Poly1305 will be used, libsodium (its WebAssembly initialises asynchronously, and stays: 9 MB).
 * Stores call this before sealing or opening anything, so a server without an encrypted store loads
 * neither. `nativeChaCha` false keeps ChaCha on libsodium from then on (tests run both paths).
 */
export async function prepareCiphers(nativeChaCha?: boolean, xchacha = false): Promise<void> {
  if (nativeChaCha !== undefined) preferNative = nativeChaCha;
  if (preferNative && libcrypto === undefined) libcrypto = await (await import("../../runtime/libcrypto.ts")).loadLibcryptoChaCha();
  native = preferNative ? (libcrypto ?? null) : null;
  if (sodium !== null || (native !== null && !xchacha)) return;
  const mod = (await import("libsodium-wrappers")).default;
  await mod.ready;
  sodium = mod;
}

/** Which code seals ChaCha20-Poly1305 blocks, for the startup log (loading the ciphers if need be). */
export async function chachaImplementation(): Promise<string> {
  await prepareCiphers();
  return native !== null ? `OpenSSL ${native.library}` : "libsodium";
}

function lib(): Sodium {
  if (sodium === null) throw new Error("libsodium used before prepareCiphers() loaded it");
  return sodium;
}

/** The `cipher` option as the config layer passes it. nats-server's "chacha" spelling maps to "chacha". */
export type Cipher = "chacha" | "aes" | "xchacha";

export const CipherId = { None: 0, ChaCha: 1, Aes: 2, XChaCha: 3 } as const;
export type CipherId = typeof CipherId[keyof typeof CipherId];

const ID_OF: Record<Cipher, CipherId> = { chacha: CipherId.ChaCha, aes: CipherId.Aes, xchacha: CipherId.XChaCha };

/** Human names for the startup log (`Encryption: …`). */
const NAMES: Record<Cipher, string> = {
  chacha: "ChaCha20-Poly1305",
  aes: "AES-256-GCM",
  xchacha: "XChaCha20-Poly1305",
};

export const TAG_LENGTH = 16;

export function cipherId(c: Cipher): CipherId {
  return ID_OF[c];
}

export function cipherName(c: Cipher): string {
  return NAMES[c];
}

/**
 * AES-GCM where the CPU has AES instructions (x86-64), ChaCha20-Poly1305 elsewhere: a Raspberry Pi's ARM
 * cores have no AES extensions, and software AES is slower than ChaCha there (NATS Streaming's rule).
 */
export function defaultCipher(cpu: string = arch()): Cipher {
  return cpu === "x64" || cpu === "ia32" ? "aes" : "chacha";
}

export function nonceLength(id: number): number {
  return id === CipherId.XChaCha ? 24 : id === CipherId.None ? 0 : 12;
}

/** Go's crypto error texts, which nats-server logs and natsedge reproduces. */
export function authFailureText(id: number): string {
  return id === CipherId.Aes ? "cipher: message authentication failed" : "chacha20poly1305: message authentication failed";
}

export class AuthError extends Error {
  constructor(id: number) {
    super(authFailureText(id));
    this.name = "AuthError";
  }
}

/** Sees every (key, nonce, plaintext) sealed; tests use it to prove no key/nonce pair is ever reused. */
export type SealObserver = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array) => void;

/** Seals `plaintext` into `out` at `off` as ciphertext ‖ 16-byte tag; returns the bytes written. */
export function seal(
  id: number,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  off: number,
  observe?: SealObserver,
): number {
  observe?.(key, nonce, plaintext);
  const n = plaintext.length + TAG_LENGTH;
  if (id === CipherId.Aes) {
    const c = createCipheriv("aes-256-gcm", key, nonce);
    c.setAAD(aad);
    const body = c.update(plaintext);
    c.final();
    out.set(body, off);
    out.set(c.getAuthTag(), off + body.length);
    return n;
  }
  if (id === CipherId.ChaCha && native !== null) {
    native.seal(key, nonce, aad, plaintext, out, off);
    return n;
  }
  const s = lib();
  const sealed = id === CipherId.XChaCha
    ? s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key)
    : s.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key);
  out.set(sealed, off);
  return n;
}

/** Opens ciphertext ‖ tag; throws AuthError (Go's text) when the key is wrong or the bytes were altered. */
export function open(id: number, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_LENGTH) throw new AuthError(id);
  // Outside the try: libsodium not loaded is a bug to see, not a wrong key.
  const s = id === CipherId.XChaCha || (id === CipherId.ChaCha && native === null) ? lib() : null;
  try {
    if (id === CipherId.Aes) {
      const d = createDecipheriv("aes-256-gcm", key, nonce);
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
      const body = d.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
      d.final();
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    }
    if (id === CipherId.ChaCha && native !== null) {
      const body = native.open(key, nonce, aad, sealed);
      if (body === null) throw new AuthError(id);
      return body;
    }
    return id === CipherId.XChaCha
      ? s!.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key)
      : s!.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key);
  } catch {
    throw new AuthError(id);
  }
}
