/**
 * A remote's credentials file as nsc writes it (user JWT block, then the user's nkey seed block), and the
 * CONNECT fields it gives: `jwt`, and `sig`, the nonce signed with the seed (Ed25519 through WebCrypto,
 * base64url without padding), as nats-server's leaf does. Read at each connect, so a rotated file is used.
 */
import { decodeSeed, NkeyPrefix } from "../protocol/nkey_codec.ts";
import { nodeFs } from "../runtime/lazy_fs.ts";

/** nats.go's credential block pattern: a dashed header line, the value, a dashed footer line. */
const BLOCK = /\s*(?:(?:-{3,}.*-{3,}\r?\n)([\w\-.=]+)(?:\r?\n-{3,}.*-{3,}(?:\r?\n|$)))/g;

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

export interface Credentials {
  jwt: string;
  seed: Uint8Array;
}

/** Throws an Error naming the file, never its contents. */
export function readCredentials(path: string): Credentials {
  let text: string;
  try {
    text = nodeFs().readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`error reading credentials file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  const blocks = [...text.matchAll(BLOCK)].map((m) => m[1]!);
  const seed = blocks.length >= 2 ? decodeSeed(NkeyPrefix.User, blocks[1]!) : null;
  if (blocks.length < 2 || seed === null) throw new Error(`credentials file ${JSON.stringify(path)} has no user JWT and user seed`);
  return { jwt: blocks[0]!, seed };
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function signNonce(seed: Uint8Array, nonce: string): Promise<string> {
  const der = new Uint8Array(PKCS8_ED25519.length + seed.length);
  der.set(PKCS8_ED25519, 0);
  der.set(seed, PKCS8_ED25519.length);
  const key = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  return base64url(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(nonce))));
}
