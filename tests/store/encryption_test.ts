// Encryption at rest: wrong key, missing key, plaintext → encrypted, cipher switch, key rotation (and a
// crash between its steps), and no plaintext subject, header, payload or metadata in any file.
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Cipher, cipherName, defaultCipher, FileStore, StoreKeyError } from "../../src/store/mod.ts";
import { dec, enc, files, snapshot, useTempDirs } from "./_fs.ts";

const tempDir = useTempDirs();
const CIPHERS: Cipher[] = ["chacha", "aes", "xchacha"];

async function write(dir: string, o: { key?: string; cipher?: Cipher; prevKey?: string }, from: number, n: number) {
  const s = await FileStore.open({ dir, name: "ENC", segmentSize: 8192, blockSize: 1024, ...o });
  const acks = [];
  for (let i = from; i < from + n; i++) acks.push(s.append(`orders.${i % 3}`, enc(`NATS/1.0\r\nX-Id: ${i}\r\n\r\n`), enc(`payload-${i}`)));
  await Promise.all(acks);
  return s;
}

function expectAll(s: FileStore, n: number): void {
  expect(s.state()).toMatchObject({ msgs: n, first_seq: 1, last_seq: n });
  for (let i = 1; i <= n; i++) expect(dec(s.load(i)!.payload)).toBe(`payload-${i}`);
}

/** Ciphers recorded in the segment headers (byte 5), oldest first. */
function segmentCiphers(dir: string): number[] {
  return files(join(dir, "msgs")).filter((f) => f.endsWith(".seg")).map((f) => readFileSync(f)[5]);
}

describe("defaultCipher() and cipherName()", () => {
  test("defaultCipher() picks AES-GCM on x86-64 and ChaCha20-Poly1305 on ARM", () => {
    expect(defaultCipher("x64")).toBe("aes");
    expect(defaultCipher("arm64")).toBe("chacha");
    expect(defaultCipher("arm")).toBe("chacha");
    expect(["aes", "chacha"]).toContain(defaultCipher());
  });

  test("cipherName() gives the startup log names", () => {
    expect(CIPHERS.map(cipherName)).toEqual(["ChaCha20-Poly1305", "AES-256-GCM", "XChaCha20-Poly1305"]);
  });
});

describe("FileStore encryption at rest", () => {
  for (const cipher of CIPHERS) {
    test(`no plaintext subject, header, payload or metadata reaches the disk with ${cipher}`, async () => {
      const dir = tempDir();
      const s = await FileStore.open({ dir, name: "ENC", key: "k", cipher, segmentSize: 4096 });
      for (let i = 0; i < 200; i++) await s.append(`secret.subject.${i % 4}`, enc("NATS/1.0\r\nSecret-Header: 1\r\n\r\n"), enc(`secret-payload-${i}`));
      await s.remove(7);
      await s.writeMeta(enc('{"name":"secret-stream-config"}'));
      await s.writeConsumerMeta("dur", enc('{"secret-consumer-state":1}'));
      await s.close();
      for (const f of files(dir)) {
        const text = readFileSync(f).toString("latin1");
        for (const needle of ["secret", "Secret-Header", "NATS/1.0"]) expect(text.includes(needle), `${f} contains ${needle}`).toBe(false);
      }
      const again = await FileStore.open({ dir, name: "ENC", key: "k", cipher });
      expect(dec(again.load(200)!.payload)).toBe("secret-payload-199");
      expect(dec(again.readConsumerMeta("dur")!)).toBe('{"secret-consumer-state":1}');
      await again.close();
    });
  }

  test("the same data without a key is on disk in the clear (the check above can see it)", async () => {
    const dir = tempDir();
    const s = await FileStore.open({ dir, name: "ENC" });
    await s.append("secret.subject", null, enc("secret-payload"));
    await s.writeMeta(enc("secret-meta"));
    await s.close();
    const all = files(dir).map((f) => readFileSync(f).toString("latin1")).join("");
    expect(all.includes("secret-payload") && all.includes("secret.subject") && all.includes("secret-meta")).toBe(true);
  });

  test("a wrong key fails with nats-server's text for each cipher, and no file is modified", async () => {
    for (const [cipher, text] of [
      ["chacha", "Error decrypting our stream metafile: chacha20poly1305: message authentication failed"],
      ["xchacha", "Error decrypting our stream metafile: chacha20poly1305: message authentication failed"],
      ["aes", "Error decrypting our stream metafile: cipher: message authentication failed"],
    ] as const) {
      const dir = tempDir();
      const s = await write(dir, { key: "right", cipher }, 1, 50);
      await s.writeMeta(enc("m"));
      await s.close();
      const before = snapshot(dir);
      const err = await FileStore.open({ dir, name: "ENC", key: "wrong", cipher }).catch((e) => e);
      expect(err).toBeInstanceOf(StoreKeyError);
      expect(err.message).toBe(text);
      expect(err.stream).toBe("ENC");
      expect(snapshot(dir)).toEqual(before);
    }
  });

  test("an encrypted store opened without a key refuses to load and touches nothing", async () => {
    const dir = tempDir();
    await (await write(dir, { key: "k" }, 1, 20)).close();
    const before = snapshot(dir);
    const err = await FileStore.open({ dir, name: "ENC" }).catch((e) => e);
    expect(err).toBeInstanceOf(StoreKeyError);
    expect(err.message).toBe("Error decrypting our stream metafile: encryption not enabled");
    expect(snapshot(dir)).toEqual(before);
  });

  test("a plaintext store opened with a key reads old blocks as they are, encrypts new data and rewrites metadata", async () => {
    const dir = tempDir();
    const plain = await write(dir, {}, 1, 30);
    await plain.writeMeta(enc("plain-meta-config"));
    await plain.writeConsumerMeta("c1", enc("plain-consumer"));
    await plain.close();
    const s = await write(dir, { key: "k", cipher: "aes" }, 31, 30);
    expect(s.recovery.converted).toContain("metadata");
    expectAll(s, 60);
    expect(dec(s.readMeta()!)).toBe("plain-meta-config");
    await s.close();
    const ciphers = segmentCiphers(dir);
    expect(ciphers[0]).toBe(0);
    expect(ciphers.at(-1)).toBe(2);
    for (const f of ["meta.inf", "obs/c1.inf"]) expect(readFileSync(join(dir, f)).toString("latin1")).not.toContain("plain-");
    const again = await FileStore.open({ dir, name: "ENC", key: "k", cipher: "aes" });
    expectAll(again, 60);
    expect(dec(again.readConsumerMeta("c1")!)).toBe("plain-consumer");
    await again.close();
  });

  test("changing the cipher keeps older blocks readable and seals new ones with the new cipher", async () => {
    const dir = tempDir();
    await (await write(dir, { key: "k", cipher: "chacha" }, 1, 40)).close();
    await (await write(dir, { key: "k", cipher: "aes" }, 41, 40)).close();
    const s = await write(dir, { key: "k", cipher: "xchacha" }, 81, 40);
    expectAll(s, 120);
    await s.close();
    const ciphers = new Set(segmentCiphers(dir));
    expect([...ciphers].filter((c) => c !== 0).sort()).toEqual([1, 2, 3]);
  });

  test("prev_key re-encrypts everything under the new key, after which the old key is refused", async () => {
    const dir = tempDir();
    const old = await write(dir, { key: "old", cipher: "chacha" }, 1, 100);
    await old.writeMeta(enc("meta"));
    await old.close();
    const s = await FileStore.open({ dir, name: "ENC", key: "new", prevKey: "old", cipher: "aes", segmentSize: 8192 });
    expect(s.recovery.converted.length).toBeGreaterThan(1);
    expectAll(s, 100);
    await s.close();
    const only = await FileStore.open({ dir, name: "ENC", key: "new", cipher: "aes" });
    expectAll(only, 100);
    expect(dec(only.readMeta()!)).toBe("meta");
    await only.close();
    await expect(FileStore.open({ dir, name: "ENC", key: "old" })).rejects.toThrow("message authentication failed");
  });

  test("key rotation survives a crash between its steps", async () => {
    const dir = tempDir();
    await (await write(dir, { key: "old" }, 1, 100)).close();
    const before = `${dir}-before`;
    cpSync(dir, before, { recursive: true });
    await (await FileStore.open({ dir, name: "ENC", key: "new", prevKey: "old" })).close();

    // Crash after key.chk was replaced, before any segment was converted.
    const step1 = `${dir}-step1`;
    cpSync(before, step1, { recursive: true });
    cpSync(join(dir, "key.chk"), join(step1, "key.chk"));
    // Crash in the middle: key.chk and one segment converted, a rewrite's temporary file left behind.
    const step2 = `${dir}-step2`;
    cpSync(step1, step2, { recursive: true });
    for (const f of ["0000000001.seg", "0000000001.sum"]) cpSync(join(dir, "msgs", f), join(step2, "msgs", f));
    writeFileSync(join(step2, "msgs", "0000000002.seg.tmp"), new Uint8Array(100));

    for (const d of [before, step1, step2]) {
      const s = await FileStore.open({ dir: d, name: "ENC", key: "new", prevKey: "old" });
      expectAll(s, 100);
      await s.close();
      const after = await FileStore.open({ dir: d, name: "ENC", key: "new" });
      expectAll(after, 100);
      await after.close();
      expect(existsSync(join(d, "msgs", "0000000002.seg.tmp"))).toBe(false);
    }
  });

  test("data under a key that is no longer configured is refused with a clear error, untouched", async () => {
    const dir = tempDir();
    await (await write(dir, { key: "old" }, 1, 100)).close();
    const before = `${dir}-before`;
    cpSync(dir, before, { recursive: true });
    await (await FileStore.open({ dir, name: "ENC", key: "new", prevKey: "old" })).close();
    // key.chk says "new" but the segments are still under "old", and prev_key was dropped too early.
    cpSync(join(dir, "key.chk"), join(before, "key.chk"));
    const snap = snapshot(before);
    await expect(FileStore.open({ dir: before, name: "ENC", key: "new" })).rejects.toThrow("set prev_key");
    expect(snapshot(before)).toEqual(snap);
  });
});
