/**
 * Which ciphers a stream directory already holds data under, from the cipher byte every file of it carries
 * at offset 5 (segment headers and sealed files alike): opening it must have each one's code loaded, and
 * libsodium, needed only for XChaCha20-Poly1305 or where libcrypto does not load, costs 9 MB of WebAssembly
 * memory and compiled code for the life of the process.
 */
import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";

const CIPHER_AT = 5;

/** Does any file of the stream in `dir` (key check, metadata, segments, summaries) name cipher `id`? */
export function holdsCipher(dir: string, id: number): boolean {
  const files = [join(dir, "key.chk"), join(dir, "meta.inf")];
  for (const sub of ["obs", "msgs"]) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const n of names) if (!n.endsWith(".tmp")) files.push(join(dir, sub, n));
  }
  const head = new Uint8Array(CIPHER_AT + 1);
  for (const path of files) {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      continue;
    }
    try {
      if (readSync(fd, head, 0, head.length, 0) === head.length && head[CIPHER_AT] === id) return true;
    } finally {
      closeSync(fd);
    }
  }
  return false;
}
