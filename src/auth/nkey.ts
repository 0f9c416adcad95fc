/**
 * NKey challenge/response: INFO carries a nonce, the client signs the nonce's ASCII bytes with its seed and
 * sends its public key and the signature in CONNECT. The signature is checked with WebCrypto's Ed25519,
 * much faster than the JavaScript implementation the nkeys package bundles.
 */
import { decodeNkey, NkeyPrefix } from "../protocol/nkey_codec.ts";

const NONCE_BYTES = 11;

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** nats-server's nonce: 11 random bytes, base64url without padding (15 characters). */
export function newNonce(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/** Accepts base64url (what clients send) and standard base64 (also accepted by nats-server). */
export function decodeSignature(sig: string): Uint8Array | null {
  try {
    const std = sig.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function verifyNonceSignature(pub: string, nonce: string, sig: string): Promise<boolean> {
  return verifySignature(NkeyPrefix.User, pub, new TextEncoder().encode(nonce), decodeSignature(sig));
}

/** An Ed25519 signature by the nkey `pub` (of the kind `prefix`) over `data`, checked with WebCrypto. */
export async function verifySignature(prefix: number, pub: string, data: Uint8Array, signature: Uint8Array | null): Promise<boolean> {
  const raw = decodeNkey(prefix, pub);
  if (raw === null || signature === null || signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, new Uint8Array(signature), new Uint8Array(data));
  } catch {
    return false;
  }
}
