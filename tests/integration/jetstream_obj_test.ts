/** Object Store through the official @nats-io/obj client: chunked put/get, info, list, delete. */
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { jetStreamFixture } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("obj");

/** A deterministic pseudo-random payload, so a chunk mix-up cannot go unnoticed. */
function blob(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function readAll(rs: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = rs.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

test("a multi-megabyte object goes in as chunks and comes back byte for byte", async () => {
  const os = await new Objm(fx.nc).create("files");
  const data = blob(3 * 1024 * 1024 + 777);
  const info = await os.putBlob({ name: "big.bin", description: "three megabytes" }, data);
  expect(info.size).toBe(data.length);
  expect(info.chunks).toBeGreaterThan(20);
  expect(info.bucket).toBe("files");

  const got = await os.get("big.bin");
  expect(got).not.toBeNull();
  const bytes = await readAll(got!.data);
  expect(await got!.error).toBeFalsy(); // no digest mismatch
  expect(bytes.length).toBe(data.length);
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));

  const again = await os.getBlob("big.bin");
  expect(again?.length).toBe(data.length);

  const i2 = await os.info("big.bin");
  expect(i2?.description).toBe("three megabytes");
  expect(i2?.digest).toStartWith("SHA-256=");
  expect(await os.info("missing")).toBeNull();
  expect(await os.get("missing")).toBeNull();

  const jsm = await jetstreamManager(fx.nc);
  const si = await jsm.streams.info("OBJ_files");
  expect(si.config.subjects.sort()).toEqual(["$O.files.C.>", "$O.files.M.>"]);
  expect(si.state.messages).toBe(info.chunks + 1);
});

test("list, replace and delete objects; the deleted object's chunks are purged", async () => {
  const os = await new Objm(fx.nc).create("docs");
  await os.putBlob({ name: "a.txt" }, new TextEncoder().encode("alpha"));
  await os.putBlob({ name: "b.txt" }, new TextEncoder().encode("beta"));
  await os.putBlob({ name: "a.txt" }, new TextEncoder().encode("alpha v2")); // replaces a.txt
  const names = (await os.list()).map((i) => i.name).sort();
  expect(names).toEqual(["a.txt", "b.txt"]);
  expect(new TextDecoder().decode((await os.getBlob("a.txt"))!)).toBe("alpha v2");

  const jsm = await jetstreamManager(fx.nc);
  // Two metadata entries and the two live objects' chunks: a.txt's old chunk was purged on replace.
  expect((await jsm.streams.info("OBJ_docs")).state.messages).toBe(4);

  const pr = await os.delete("b.txt");
  expect(pr.success).toBe(true);
  expect(await os.get("b.txt")).toBeNull();
  const deleted = await os.info("b.txt");
  expect(deleted?.deleted).toBe(true);
  expect((await os.list()).map((i) => i.name)).toEqual(["a.txt"]);
  const st = await os.status();
  expect(st.bucket).toBe("docs");
  expect(await os.destroy()).toBe(true);
});
