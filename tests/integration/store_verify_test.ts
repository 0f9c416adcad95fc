// `natsedge store verify DIR [--repair]` on a store written by a real server: an intact store is `ok N
// messages` (exit 0) and untouched; each kind of damage is named by its sequence range (exit 1); a wrong key
// is a key error (exit 2) that writes nothing; --repair leaves a store that verifies ok and that the server
// serves every surviving message from, byte-exact, and keeps numbering after. natsedge-only: nats-server has no
// such command.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { client, runServer } from "../_helpers/server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";
import { damage, DamageKind } from "../_helpers/damage.ts";
import { natsedgeCommand, spawnSync } from "../_helpers/spawn.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const MSGS = 300;
const KEY = "verify-key-Zq81";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "natsedge-verify-"));
  dirs.push(d);
  return d;
}

const payload = (seq: number) => `order-${String(seq).padStart(6, "0")}-${"p".repeat(180)}`;
const streamDir = (storeDir: string) => join(storeDir, "jetstream", "$G", "streams", "ORDERS");

/** A stream of MSGS messages written by a natsedge server, published 25 at a time (so blocks hold several). */
async function writeStore(key?: string): Promise<string> {
  const dir = tempDir();
  const srv = await runServer({ jetstream: { enabled: true, store_dir: dir, ...(key !== undefined && { key }) } });
  const nc = await client(srv);
  try {
    await (await jetstreamManager(nc)).streams.add({ name: "ORDERS", subjects: ["orders.>"] });
    const js = jetstream(nc);
    for (let i = 1; i <= MSGS; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, k) => js.publish(`orders.${(i + k) % 7}`, payload(i + k))));
    }
  } finally {
    await nc.close();
    await srv.close();
  }
  return dir;
}

function verify(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync([...natsedgeCommand(), "store", "verify", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Relative path → sha256 of every file under `dir`. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** Every sequence the `lost a..b` lines of a report name. */
function reportedLost(stdout: string): Set<number> {
  const seqs = new Set<number>();
  for (const m of stdout.matchAll(/^ {2}lost (\d+)\.\.(\d+) /gm)) for (let q = Number(m[1]); q <= Number(m[2]); q++) seqs.add(q);
  return seqs;
}

/** Starts a server on the store and reads the stream back through a consumer: seq → payload. */
async function serve(dir: string, key?: string): Promise<{ messages: number; got: Map<number, string>; next: number }> {
  const srv = await runServer({ jetstream: { enabled: true, store_dir: dir, ...(key !== undefined && { key }) } });
  const nc = await client(srv);
  try {
    const jsm = await jetstreamManager(nc);
    const messages = (await jsm.streams.info("ORDERS")).state.messages;
    const got = new Map<number, string>();
    const c = await jetstream(nc).consumers.get("ORDERS");
    const iter = await c.fetch({ max_messages: messages, expires: 5000 });
    for await (const m of iter) {
      got.set(m.seq, m.string());
      if (got.size === messages) break;
    }
    const next = (await jetstream(nc).publish("orders.after", "after")).seq;
    return { messages, got, next };
  } finally {
    await nc.close();
    await srv.close();
  }
}

describe.skipIf(REFERENCE_SERVER !== "")("natsedge store verify", () => {
  test("an intact store is ok with its message count, from the store dir or its jetstream/ folder, and is not touched", async () => {
    const dir = await writeStore();
    const before = hashes(dir);
    for (const arg of [dir, join(dir, "jetstream")]) {
      const r = verify([arg]);
      expect(r.stdout).toBe(`stream "ORDERS": ok ${MSGS} messages\n`);
      expect(r.code).toBe(0);
    }
    expect(hashes(dir)).toEqual(before);
  });

  test("an encrypted store verifies with the key from the config file (env interpolation included); no key in any output", async () => {
    const dir = await writeStore(KEY);
    const conf = join(dir, "js.conf");
    writeFileSync(conf, `jetstream { store_dir: ${JSON.stringify(dir)}, key: $VERIFY_KEY }\n`);
    const r = verify(["-c", conf], { VERIFY_KEY: KEY });
    expect(r.stdout).toBe(`stream "ORDERS": ok ${MSGS} messages\n`);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  for (const key of [undefined, KEY]) {
    const label = key === undefined ? "plaintext" : "encrypted";
    for (const kind of [DamageKind.TornTail, DamageKind.BodyBitFlip, DamageKind.HeaderBitFlip, DamageKind.ZeroedPage]) {
      test(`${label}, ${kind}: verify names the lost range (exit 1) and writes nothing; --repair leaves a store that verifies ok and is served`, async () => {
        const dir = await writeStore(key);
        const conf = join(dir, "js.conf");
        writeFileSync(conf, key === undefined ? "jetstream: enabled\n" : `jetstream { key: ${JSON.stringify(key)} }\n`);
        const lost = damage(streamDir(dir), kind, 150);
        expect(lost.size).toBeGreaterThan(0);
        const damaged = hashes(dir);

        const r = verify([dir, "-c", conf]);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain(`stream "ORDERS": damaged, ${MSGS - lost.size} messages readable, ${lost.size} lost\n`);
        expect([...reportedLost(r.stdout)].sort((a, b) => a - b)).toEqual([...lost].sort((a, b) => a - b));
        expect(r.stdout).toMatch(/ bytes\): segment 0000000001\.seg at offset \d+: /);
        expect(r.stdout).toContain("--repair would ");
        expect(hashes(dir)).toEqual(damaged);

        const fix = verify([dir, "-c", conf, "--repair"]);
        expect(fix.stdout).toContain('stream "ORDERS": repaired\n');
        expect(fix.stdout).toEndWith(`after repair:\nstream "ORDERS": ok ${MSGS - lost.size} messages\n`);
        expect(fix.code).toBe(0);
        expect(verify([dir, "-c", conf]).code).toBe(0);

        const { messages, got, next } = await serve(dir, key);
        expect(messages).toBe(MSGS - lost.size);
        expect(got.size).toBe(MSGS - lost.size);
        for (let q = 1; q <= MSGS; q++) if (!lost.has(q)) expect(got.get(q)).toBe(payload(q));
        expect(next).toBe(MSGS + 1);
      });
    }
  }

  test("lost summaries lose nothing: ok, with the summary --repair would write", async () => {
    const dir = await writeStore();
    damage(streamDir(dir), DamageKind.LostSummary, 0);
    const r = verify([dir]);
    expect(r.stdout).toBe(`stream "ORDERS": ok ${MSGS} messages\n  --repair would write the summary of 0000000001.seg (missing or out of date)\n`);
    expect(r.code).toBe(0);
    const fix = verify([dir, "--repair"]);
    expect(fix.stdout).toEndWith(`after repair:\nstream "ORDERS": ok ${MSGS} messages\n`);
    expect(fix.code).toBe(0);
  });

  test("a wrong or missing key is a key error (exit 2), with or without --repair, and no file changes", async () => {
    const dir = await writeStore(KEY);
    damage(streamDir(dir), DamageKind.BodyBitFlip, 150);
    const conf = join(dir, "wrong.conf");
    writeFileSync(conf, `jetstream { key: "not-the-key" }\n`);
    const before = hashes(dir);
    for (const args of [[dir, "-c", conf], [dir, "-c", conf, "--repair"], [dir]]) {
      const r = verify(args);
      expect(r.stdout).toStartWith('stream "ORDERS": key error: ');
      expect(r.stdout).not.toContain("lost");
      expect(r.stdout + r.stderr).not.toContain("not-the-key");
      expect(r.code).toBe(2);
    }
    expect(hashes(dir)).toEqual(before);
  });

  test("usage errors exit 2: no directory, a directory without a store, an unknown flag", async () => {
    const empty = tempDir();
    expect(verify([]).code).toBe(2);
    const none = verify([empty]);
    expect(none.stderr).toContain("no JetStream store here");
    expect(none.code).toBe(2);
    expect(verify([empty, "--bogus"]).code).toBe(2);
  });
});
