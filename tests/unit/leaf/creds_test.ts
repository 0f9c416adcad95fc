/** Credentials files and the nonce signature, checked against @nats-io/nkeys. */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAccount, createUser, fromPublic } from "@nats-io/nkeys";
import { readCredentials, signNonce } from "../../../src/leaf/creds.ts";
import { decodeSeed, NkeyPrefix } from "../../../src/protocol/nkey_codec.ts";
import { scratchDir } from "../../_helpers/certs.ts";
import { operatorFixture } from "../../_helpers/jwt.ts";

function b64urlDecode(s: string): Uint8Array {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

test("a seed decodes only as the kind it is for, and a bad checksum is refused", () => {
  const user = new TextDecoder().decode(createUser().getSeed());
  const account = new TextDecoder().decode(createAccount().getSeed());
  expect(decodeSeed(NkeyPrefix.User, user)?.length).toBe(32);
  expect(decodeSeed(NkeyPrefix.User, account)).toBeNull();
  const flipped = user.slice(0, 10) + (user[10] === "A" ? "B" : "A") + user.slice(11);
  expect(decodeSeed(NkeyPrefix.User, flipped)).toBeNull();
});

test("the nonce signature made from a creds file verifies with the user's public key", async () => {
  const dir = scratchDir("natsedge-creds-unit-");
  const path = operatorFixture().userCreds(dir, "u");
  const creds = readCredentials(path);
  const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(creds.jwt.split(".")[1]!))) as { sub: string };
  const sig = await signNonce(creds.seed, "WlSV_fAjov7EYFQ");
  expect(sig).not.toContain("=");
  expect(fromPublic(claims.sub).verify(new TextEncoder().encode("WlSV_fAjov7EYFQ"), b64urlDecode(sig))).toBe(true);
});

test("a file without both blocks is refused, naming the file only", () => {
  const dir = scratchDir("natsedge-creds-unit-");
  const path = join(dir, "half.creds");
  writeFileSync(path, "-----BEGIN NATS USER JWT-----\nabc.def.ghi\n------END NATS USER JWT------\n");
  expect(() => readCredentials(path)).toThrow(`credentials file ${JSON.stringify(path)} has no user JWT and user seed`);
  expect(() => readCredentials(join(dir, "missing.creds"))).toThrow(/^error reading credentials file/);
});
