/**
 * Password and token checks. A configured value that looks like a bcrypt hash is compared with bcrypt, any
 * other value in constant time. bcrypt at cost 11 takes tens of milliseconds of CPU, so it runs through
 * bcryptjs's asynchronous compare (which yields to the event loop) and its verdict is cached: a client that
 * reconnects with the same credentials does not pay for it again, and other clients are never blocked.
 */
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";

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

/** The cache key never holds the password itself: a digest of hash and candidate. */
function verdictKey(hash: string, given: string): string {
  return createHash("sha256").update(hash).update("\0").update(given).digest("base64");
}

/** true/false now, or a promise when bcrypt has to run. */
export function checkSecret(given: string, configured: string): boolean | Promise<boolean> {
  if (!isBcrypt(configured)) return constantTimeEquals(given, configured);
  const key = verdictKey(configured, given);
  const cached = verdicts.get(key);
  if (cached !== undefined) return cached;
  return bcrypt.compare(given, configured).then(
    (ok) => {
      if (verdicts.size >= VERDICT_CACHE_MAX) verdicts.delete(verdicts.keys().next().value!);
      verdicts.set(key, ok);
      return ok;
    },
    () => false,
  );
}
