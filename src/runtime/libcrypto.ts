/**
 * ChaCha20-Poly1305 from the system's OpenSSL 3 libcrypto (EVP_chacha20_poly1305), through bun:ffi on Bun and
 * Deno.dlopen on Deno: Bun's node:crypto has no ChaCha, and libsodium's WebAssembly costs about a sixth of
 * JetStream's publish rate. OpenSSL is on every Debian and Raspberry Pi OS install; where it cannot be
 * loaded, `loadLibcryptoChaCha` returns null and the store keeps libsodium.
 */

/**
 * Seals and opens with two reused EVP contexts, one per direction, each bound to the cipher once: OpenSSL 3
 * fetches and sets up the cipher again on every init that names it, which cost more than sealing a small
 * block; an init with only the key and nonce does not. `open` returns null when the tag does not verify.
 */
export interface NativeAead {
  readonly library: string;
  /** Writes ciphertext ‖ 16-byte tag into `out` at `off`. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, off: number): void;
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

const LIBRARIES = ["libcrypto.so.3", "libcrypto.3.dylib", "libcrypto.so"];
const EVP_CTRL_AEAD_GET_TAG = 0x10;
const EVP_CTRL_AEAD_SET_TAG = 0x11;
const TAG = 16;

/** The EVP calls used: "ctx" is an opaque pointer libcrypto returned, "buf" a byte array (or null). */
const SYMBOLS = {
  EVP_CIPHER_CTX_new: { args: [], returns: "ctx" },
  EVP_chacha20_poly1305: { args: [], returns: "ctx" },
  EVP_EncryptInit_ex: { args: ["ctx", "ctx", "buf", "buf", "buf"], returns: "i32" },
  EVP_DecryptInit_ex: { args: ["ctx", "ctx", "buf", "buf", "buf"], returns: "i32" },
  EVP_EncryptUpdate: { args: ["ctx", "buf", "buf", "buf", "i32"], returns: "i32" },
  EVP_DecryptUpdate: { args: ["ctx", "buf", "buf", "buf", "i32"], returns: "i32" },
  EVP_EncryptFinal_ex: { args: ["ctx", "buf", "buf"], returns: "i32" },
  EVP_DecryptFinal_ex: { args: ["ctx", "buf", "buf"], returns: "i32" },
  EVP_CIPHER_CTX_ctrl: { args: ["ctx", "i32", "i32", "buf"], returns: "i32" },
} as const;
type Kind = "ctx" | "buf" | "i32";

type Ptr = unknown;
type Buf = Uint8Array | null;
interface Evp {
  EVP_CIPHER_CTX_new(): Ptr;
  EVP_chacha20_poly1305(): Ptr;
  EVP_EncryptInit_ex(ctx: Ptr, cipher: Ptr, engine: Buf, key: Buf, iv: Buf): number;
  EVP_DecryptInit_ex(ctx: Ptr, cipher: Ptr, engine: Buf, key: Buf, iv: Buf): number;
  EVP_EncryptUpdate(ctx: Ptr, out: Buf, outl: Buf, input: Buf, inl: number): number;
  EVP_DecryptUpdate(ctx: Ptr, out: Buf, outl: Buf, input: Buf, inl: number): number;
  EVP_EncryptFinal_ex(ctx: Ptr, out: Buf, outl: Buf): number;
  EVP_DecryptFinal_ex(ctx: Ptr, out: Buf, outl: Buf): number;
  EVP_CIPHER_CTX_ctrl(ctx: Ptr, type: number, arg: number, ptr: Buf): number;
}

function describe(map: (k: Kind) => string, key: "args" | "parameters", ret: "returns" | "result"): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(SYMBOLS).map(([name, f]) => [name, { [key]: f.args.map((a) => map(a)), [ret]: map(f.returns) }]));
}

/** Binds libcrypto; null when no library loads or it lacks ChaCha20-Poly1305 (a LibreSSL, an old OpenSSL). */
export async function loadLibcryptoChaCha(): Promise<NativeAead | null> {
  for (const library of LIBRARIES) {
    try {
      const evp = "Bun" in globalThis ? await bindBun(library) : bindDeno(library);
      const aead = make(library, evp);
      if (aead !== null) return aead;
    } catch {
      // Not this name on this system: try the next.
    }
  }
  return null;
}

async function bindBun(library: string): Promise<Evp> {
  const ffi = await import("bun:ffi");
  // bun:ffi takes a TypedArray (or null) for a pointer parameter and gives pointers back as numbers.
  const spec = describe((k) => (k === "i32" ? "i32" : "ptr"), "args", "returns");
  return ffi.dlopen(library, spec as Parameters<typeof ffi.dlopen>[1]).symbols as unknown as Evp;
}

function bindDeno(library: string): Evp {
  const deno = (globalThis as unknown as { Deno: { dlopen(path: string, symbols: unknown): { symbols: unknown } } }).Deno;
  const spec = describe((k) => (k === "ctx" ? "pointer" : k === "buf" ? "buffer" : "i32"), "parameters", "result");
  return deno.dlopen(library, spec).symbols as Evp;
}

function make(library: string, evp: Evp): NativeAead | null {
  const cipher = evp.EVP_chacha20_poly1305();
  const enc = evp.EVP_CIPHER_CTX_new();
  const dec = evp.EVP_CIPHER_CTX_new();
  if (!cipher || !enc || !dec) return null;
  if (evp.EVP_EncryptInit_ex(enc, cipher, null, null, null) !== 1 || evp.EVP_DecryptInit_ex(dec, cipher, null, null, null) !== 1) return null;
  const outl = new Int32Array(1);
  const outlBytes = new Uint8Array(outl.buffer);
  const tag = new Uint8Array(TAG);
  const scratch = new Uint8Array(TAG);
  const aead: NativeAead = {
    library,
    seal(key, nonce, aad, plaintext, out, off) {
      const dst = out.subarray(off, off + plaintext.length + TAG);
      if (evp.EVP_EncryptInit_ex(enc, null, null, key, nonce) !== 1) throw new Error("libcrypto: EVP_EncryptInit_ex failed");
      if (aad.length > 0) evp.EVP_EncryptUpdate(enc, null, outlBytes, aad, aad.length);
      if (plaintext.length > 0) evp.EVP_EncryptUpdate(enc, dst, outlBytes, plaintext, plaintext.length);
      evp.EVP_EncryptFinal_ex(enc, scratch, outlBytes);
      evp.EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_AEAD_GET_TAG, TAG, tag);
      dst.set(tag, plaintext.length);
    },
    open(key, nonce, aad, sealed) {
      const n = sealed.length - TAG;
      const body = new Uint8Array(n);
      tag.set(sealed.subarray(n));
      if (evp.EVP_DecryptInit_ex(dec, null, null, key, nonce) !== 1) throw new Error("libcrypto: EVP_DecryptInit_ex failed");
      if (aad.length > 0) evp.EVP_DecryptUpdate(dec, null, outlBytes, aad, aad.length);
      if (n > 0) evp.EVP_DecryptUpdate(dec, body, outlBytes, sealed.subarray(0, n), n);
      evp.EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_AEAD_SET_TAG, TAG, tag);
      return evp.EVP_DecryptFinal_ex(dec, scratch, outlBytes) === 1 ? body : null;
    },
  };
  return aead;
}
