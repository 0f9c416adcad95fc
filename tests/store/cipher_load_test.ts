/**
 * libsodium is loaded only where XChaCha20-Poly1305 is met (or libcrypto does not load): a fresh process
 * opening a store that holds XChaCha data under another configured cipher must still find and load it, and
 * one that holds ChaCha data must read it with XChaCha configured.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsedgeCommand, spawnSync } from "../_helpers/spawn.ts";

const FIXTURE = join(import.meta.dirname!, "fixtures", "cipher_reopen.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function reopen(dir: string, cipher: string, subject: string): string[] {
  const r = spawnSync([...natsedgeCommand(FIXTURE), dir, cipher, subject]);
  if (r.exitCode !== 0) throw new Error(`cipher_reopen.ts exited ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim().split("\n");
}

test("each process opens what the one before wrote under another cipher", () => {
  const dir = mkdtempSync(join(tmpdir(), "natsedge-cipher-load-"));
  dirs.push(dir);
  expect(reopen(dir, "xchacha", "a")).toEqual(["1 a via xchacha"]);
  expect(reopen(dir, "chacha", "b")).toEqual(["1 a via xchacha", "2 b via chacha"]);
  expect(reopen(dir, "aes", "c")).toEqual(["1 a via xchacha", "2 b via chacha", "3 c via aes"]);
  expect(reopen(dir, "xchacha", "d")).toEqual(["1 a via xchacha", "2 b via chacha", "3 c via aes", "4 d via xchacha"]);
}, 60_000);
