// The conformance suite against the file store: plaintext, and encrypted with each cipher. Small segments
// and blocks so the cases cross segment and block boundaries; `reopen` proves every change is persisted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, type StreamStore } from "../../../src/store/mod.ts";
import { prepareCiphers } from "../../../src/store/file/aead.ts";
import type { Cipher } from "../../../src/store/mod.ts";
import { setIndexCacheBudget } from "../../../src/store/file/index_cache.ts";
import { type StoreFactory, storeConformance } from "./suite.ts";

/** `nativeChaCha` false runs ChaCha20-Poly1305 on libsodium instead of the system's libcrypto. */
function fileFactory(cipher: Cipher | null, nativeChaCha = true) {
  let dirs: string[] = [];
  let open: StreamStore[] = [];
  const options = (dir: string) => ({
    dir,
    name: "CONF",
    key: cipher === null ? undefined : "s3cret-key",
    cipher: cipher ?? undefined,
    segmentSize: 16 * 1024,
    blockSize: 1024,
  });
  return {
    async open(limits?: Parameters<typeof FileStore.open>[0]["limits"]) {
      await prepareCiphers(nativeChaCha);
      const dir = mkdtempSync(join(tmpdir(), "natsedge-store-"));
      dirs.push(dir);
      const s = await FileStore.open({ ...options(dir), limits });
      open.push(s);
      return s;
    },
    async reopen(store: StreamStore, limits?: Parameters<typeof FileStore.open>[0]["limits"]) {
      await store.close();
      await prepareCiphers(nativeChaCha);
      const dir = dirs[open.indexOf(store)];
      const s = await FileStore.open({ ...options(dir), limits });
      open.push(s);
      dirs.push(dir);
      return s;
    },
    async cleanup() {
      for (const s of open) await s.close();
      for (const d of new Set(dirs)) rmSync(d, { recursive: true, force: true });
      dirs = [];
      open = [];
    },
  };
}

storeConformance("file", fileFactory(null));
storeConformance("file + ChaCha20-Poly1305", fileFactory("chacha"));
storeConformance("file + ChaCha20-Poly1305 on libsodium", fileFactory("chacha", false));
storeConformance("file + AES-256-GCM", fileFactory("aes"));
storeConformance("file + XChaCha20-Poly1305", fileFactory("xchacha"));

/** Only the last segment used keeps its index in memory: the others are read back from their summaries. */
function unloadingIndexes(f: StoreFactory): StoreFactory {
  return {
    open(limits) {
      setIndexCacheBudget(1);
      return f.open(limits);
    },
    reopen: f.reopen,
    async cleanup() {
      await f.cleanup();
      setIndexCacheBudget(null);
    },
  };
}

storeConformance("file + ChaCha20-Poly1305, segment indexes unloaded", unloadingIndexes(fileFactory("chacha")));
