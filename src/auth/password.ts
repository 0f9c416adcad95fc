/**
 * Password and token checks. A configured value that looks like a bcrypt hash is compared with bcrypt, any
 * other value in constant time. bcrypt at cost 11 takes tens of milliseconds of CPU, so it runs through
 * bcryptjs's asynchronous compare (which yields to the event loop) and its verdict is cached: a client that
 * reconnects with the same credentials does not pay for it again, and other clients are never blocked.
 */
/** nats-server treats a value as bcrypt when it matches this (server/auth.go isBcrypt). */
const BCRYPT = /^\$2[abxy]\$\d{2}\$.*/;
const VERDICT_CACHE_MAX = 1024;

const encoder = new TextEncoder();
const verdicts = new Map<string, boolean>();

export function isBcrypt(v: string): boolean {
  return BCRYPT.test(v);
}

/** Compares in time that depends only on the lengths, so a wrong guess learns nothing about the secret. */
export function constantTimeEquals(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}

/**
 * The cache key never holds the password itself: a digest of hash and candidate. WebCrypto rather than
 * node:crypto, whose import alone costs ~7 MiB of idle memory.
 */
async function verdictKey(hash: string, given: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${hash}\0${given}`)));
  let s = "";
  for (const b of d) s += String.fromCharCode(b);
  return s;
}

/** true/false now for plain secrets; a promise for bcrypt hashes (cached verdict or bcrypt itself). */
export function checkSecret(given: string, configured: string): boolean | Promise<boolean> {
  if (!isBcrypt(configured)) return constantTimeEquals(given, configured);
  return verdictKey(configured, given).then(async (key) => {
    const cached = verdicts.get(key);
    if (cached !== undefined) return cached;
    // bcryptjs is loaded on the first bcrypt check only: a server without bcrypt users never pays its memory.
    const ok = await (await import("bcryptjs")).default.compare(given, configured);
    if (verdicts.size >= VERDICT_CACHE_MAX) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(key, ok);
    return ok;
  }).catch(() => false);
}
