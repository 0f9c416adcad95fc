/**
 * Single-user and token authentication (`authorization { user, password }` / `{ token }`, `--user --pass`,
 * `--auth`). Users lists, bcrypt, nkeys and permissions build on this in the security work.
 */
import type { AuthorizationOptions } from "../config/options.ts";
import type { ConnectOptions } from "../client/connect.ts";

const encoder = new TextEncoder();

/** Compares in time that depends only on the lengths, so a wrong guess leaks nothing about the secret. */
export function constantTimeEquals(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}

export function authRequired(a: AuthorizationOptions | undefined): boolean {
  return a !== undefined && (a.user !== undefined || a.token !== undefined);
}

/** null if the CONNECT's credentials are accepted; else the reason for the log (never the secret). */
export function checkSimpleAuth(a: AuthorizationOptions | undefined, c: ConnectOptions): string | null {
  if (!authRequired(a)) return null;
  if (a!.token !== undefined) {
    return c.auth_token !== undefined && constantTimeEquals(c.auth_token, a!.token) ? null : "authentication error - token mismatch";
  }
  const userOk = c.user !== undefined && constantTimeEquals(c.user, a!.user!);
  const passOk = c.pass !== undefined && constantTimeEquals(c.pass, a!.password ?? "");
  return userOk && passOk ? null : `authentication error - user ${JSON.stringify(c.user ?? "")}`;
}
