/**
 * Deno parity for the store: the file store with every cipher, group commit with sync "always", erase
 * (segment rewrite), reopen, and a wrong key, on Deno's node:fs/node:crypto. Run with
 * `deno test -A --no-check tests/store/store_smoke.deno.ts`; kept out of bun test by its file name.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, StoreKeyError } from "../../src/store/mod.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

function assertEquals<T>(actual: T, expected: T): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

for (const cipher of [undefined, "chacha", "aes", "xchacha"] as const) {
  Deno.test(`the file store writes, erases and reads back on Deno (${cipher ?? "plaintext"})`, async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "natsedge-deno-")), "s");
    const key = cipher === undefined ? undefined : "k";
    try {
      const s = await FileStore.open({ dir, name: "D", key, cipher, sync: "always", segmentSize: 8192 });
      const acks = [];
      for (let i = 1; i <= 500; i++) acks.push(s.append(`d.${i % 3}`, null, enc.encode(`p${i}`)));
      await Promise.all(acks);
      await s.remove(10, { erase: true });
      await s.writeMeta(enc.encode("meta"));
      await s.close();
      const r = await FileStore.open({ dir, name: "D", key, cipher });
      assertEquals([r.state().msgs, r.state().last_seq], [499, 500]);
      assertEquals(dec.decode(r.load(500)!.payload), "p500");
      assertEquals(r.load(10), null);
      assertEquals(dec.decode(r.readMeta()!), "meta");
      await r.close();
      if (key !== undefined) {
        const err = await FileStore.open({ dir, name: "D", key: "wrong", cipher }).catch((e) => e);
        assertEquals(err instanceof StoreKeyError, true);
      }
    } finally {
      rmSync(join(dir, ".."), { recursive: true, force: true });
    }
  });
}
