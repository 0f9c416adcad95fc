// ChaCha20-Poly1305 through the system's libcrypto writes what libsodium writes (RFC 8439), so a store moves
// between a machine with libcrypto and one without: written on one path, every message reads back on the
// other, and a flipped bit fails authentication with Go's words on both.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "../../src/store/mod.ts";
import { chachaImplementation, CipherId, open, prepareCiphers, seal } from "../../src/store/file/aead.ts";

const dirs: string[] = [];
afterAll(async () => {
  await prepareCiphers(true);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const enc = new TextEncoder();
const HAVE_LIBCRYPTO = ["/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/lib/aarch64-linux-gnu/libcrypto.so.3", "/lib/x86_64-linux-gnu/libcrypto.so.3"].some(existsSync);

test.skipIf(!HAVE_LIBCRYPTO)("libcrypto is found and used where the system has it", async () => {
  await prepareCiphers(true);
  expect(await chachaImplementation()).toStartWith("OpenSSL libcrypto");
});

for (const [writer, reader] of [[true, false], [false, true]] as const) {
  test(`a store sealed on ${writer ? "libcrypto" : "libsodium"} reads back on ${reader ? "libcrypto" : "libsodium"}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "natsedge-chacha-"));
    dirs.push(dir);
    const opts = { dir, name: "CC", key: "chacha-test-key", cipher: "chacha" as const, blockSize: 1024 };
    await prepareCiphers(writer);
    let s = await FileStore.open(opts);
    for (let i = 1; i <= 500; i++) await s.append(`cc.${i % 5}`, new Uint8Array(0), enc.encode(`message ${i} `.repeat(i % 7 + 1)));
    await s.close();
    await prepareCiphers(reader);
    s = await FileStore.open(opts);
    for (let i = 1; i <= 500; i++) expect(new TextDecoder().decode(s.load(i)!.payload)).toBe(`message ${i} `.repeat(i % 7 + 1));
    await s.close();
  });
}

for (const nativeChaCha of [true, false]) {
  test(`a flipped bit fails with Go's text (${nativeChaCha ? "libcrypto" : "libsodium"})`, async () => {
    await prepareCiphers(nativeChaCha);
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const aad = enc.encode("header");
    const pt = enc.encode("a message that must not be altered");
    const out = new Uint8Array(pt.length + 16);
    seal(CipherId.ChaCha, key, nonce, aad, pt, out, 0);
    expect(new TextDecoder().decode(open(CipherId.ChaCha, key, nonce, aad, out))).toBe("a message that must not be altered");
    out[3]! ^= 0x20;
    expect(() => open(CipherId.ChaCha, key, nonce, aad, out)).toThrow("chacha20poly1305: message authentication failed");
    expect(() => open(CipherId.ChaCha, key, nonce, enc.encode("other"), out)).toThrow("chacha20poly1305: message authentication failed");
  });
}
