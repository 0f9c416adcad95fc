/**
 * NATS JWTs checked with @nats-io/jwt: its `decode` verifies the signature with the issuer's key. The
 * package (and the Ed25519 code of @nats-io/nkeys it brings) is loaded only in operator mode, by
 * loadJwtLibrary at server start; decoding is synchronous after that. It serves the operator and account
 * JWTs (read at start and when one is pushed). A user JWT comes with every connect, and @nats-io/nkeys'
 * JavaScript Ed25519 holds the event loop for ~3.6 ms per check, so decodeUser checks the same form and
 * signature with WebCrypto instead (asynchronous, well under a millisecond).
 */
import type { Account, Activation, ClaimsData, Operator, User } from "@nats-io/jwt";
import { claimType } from "../config/_operator.ts";
import { decodeNkey, NkeyPrefix } from "../protocol/nkey_codec.ts";
import { decodeSignature, verifySignature } from "./nkey.ts";

export type OperatorClaims = ClaimsData<Operator>;
export type AccountClaims = ClaimsData<Account>;
export type UserClaims = ClaimsData<User>;
export type ActivationClaims = ClaimsData<Activation>;

let decodeJwt: ((jwt: string) => ClaimsData<unknown>) | null = null;

export async function loadJwtLibrary(): Promise<void> {
  decodeJwt ??= (await import("@nats-io/jwt")).decode;
}

/** A JWT that is not well formed, not validly signed, or not of the expected type. */
export class JwtError extends Error {
  override name = "JwtError";
}

/** nkeys' prefix bytes of the subject each claim type has. */
const PREFIX = { operator: 14 << 3, account: NkeyPrefix.Account, user: NkeyPrefix.User, activation: NkeyPrefix.Account } as const;

function decodeAs<T>(jwt: string, type: keyof typeof PREFIX): ClaimsData<T> {
  if (decodeJwt === null) throw new Error("internal error: the JWT library is not loaded");
  let c: ClaimsData<T>;
  try {
    c = decodeJwt(jwt) as ClaimsData<T>;
  } catch (err) {
    throw new JwtError((err as Error).message);
  }
  return checked(c, type);
}

/** The claim type, subject kind and the fields later checks read. */
function checked<T>(c: ClaimsData<T>, type: keyof typeof PREFIX): ClaimsData<T> {
  if (c === null || typeof c !== "object") throw new JwtError("claims are not an object");
  if (claimType(c as unknown as Record<string, unknown>) !== type) throw new JwtError(`not ${type} claim`);
  // A v1 JWT has no `nats` object; a JWT without `iat` was issued at 0, as Go reads it.
  if (c.nats === null || typeof c.nats !== "object") c.nats = {};
  if (typeof c.iat !== "number") c.iat = 0;
  if (typeof c.sub !== "string" || decodeNkey(PREFIX[type], c.sub) === null) throw new JwtError(`subject is not a valid ${type} key`);
  return c;
}

export const decodeOperator = (jwt: string): OperatorClaims => decodeAs<Operator>(jwt, "operator");
/** Any validly signed JWT (jwt's DecodeGeneric), such as an operator's CLAIMS.DELETE request. */
export function decodeGeneric(jwt: string): ClaimsData<Record<string, unknown>> {
  if (decodeJwt === null) throw new Error("internal error: the JWT library is not loaded");
  try {
    return decodeJwt(jwt) as ClaimsData<Record<string, unknown>>;
  } catch (err) {
    throw new JwtError((err as Error).message);
  }
}
export const decodeAccount = (jwt: string): AccountClaims => decodeAs<Account>(jwt, "account");
/** An activation token: an exporting account's grant of one import subject to the account in `sub`. */
export const decodeActivation = (jwt: string): ActivationClaims => decodeAs<Activation>(jwt, "activation");
/** A user JWT: header (`typ` JWT, `alg` ed25519-nkey or v1's ed25519), claims, and the issuer's signature. */
export async function decodeUser(jwt: string): Promise<UserClaims> {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new JwtError(`invalid jwt - ${parts.length} chunks`);
  const [h, p, sig] = parts as [string, string, string];
  let header: { typ?: unknown; alg?: unknown };
  let c: UserClaims;
  try {
    header = JSON.parse(base64urlText(h));
    c = JSON.parse(base64urlText(p));
  } catch {
    throw new JwtError("not a nats jwt - bad encoding");
  }
  if (String(header.typ).toUpperCase() !== "JWT") throw new JwtError(`not a nats jwt - typ ${String(header.typ)}`);
  if (header.alg !== "ed25519-nkey" && header.alg !== "ed25519") throw new JwtError(`not a nats jwt - alg ${String(header.alg)}`);
  if (c === null || typeof c !== "object" || typeof c.iss !== "string") throw new JwtError("claims are not an object with an issuer");
  const signed = new TextEncoder().encode(header.alg === "ed25519-nkey" ? `${h}.${p}` : p);
  if (!(await verifySignature(NkeyPrefix.Account, c.iss, signed, decodeSignature(sig)))) throw new JwtError("sig verification failed");
  return checked(c, "user");
}

function base64urlText(s: string): string {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

/** Why a claim is not valid now (its `exp` and `nbf`, in seconds), or null. */
export function timeProblem(c: { exp?: number; nbf?: number }, nowMs = Date.now()): string | null {
  const now = nowMs / 1000;
  if (c.exp !== undefined && c.exp > 0 && c.exp < now) return "claim is expired";
  if (c.nbf !== undefined && c.nbf > 0 && c.nbf > now) return "claim is not yet valid";
  return null;
}

/** nats-server's RevocationList.IsRevoked: the user key or "*" revoked at or after the JWT was issued. */
export function isRevoked(revocations: Record<string, number> | undefined, user: string, issuedAt: number): boolean {
  if (revocations === undefined) return false;
  const all = revocations["*"];
  if (all !== undefined && all >= issuedAt) return true;
  const t = revocations[user];
  return t !== undefined && t >= issuedAt;
}

/** The account's signing keys (plain keys or scoped `{ key }` entries). */
export function signingKeys(c: AccountClaims | OperatorClaims): string[] {
  return (c.nats.signing_keys ?? []).map((k) => (typeof k === "string" ? k : k.key));
}
