// Small filesystem helpers for the store tests: temporary stream directories and directory snapshots.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach } from "bun:test";

/** A fresh temporary directory per call, removed after the test. Call at the top level of a test file. */
export function useTempDirs(): (prefix?: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (prefix = "natsedge-store-") => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return join(d, "stream");
  };
}

export function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Name → sha256 and mtime of every file under `dir`: equal snapshots mean nothing was touched. */
export function snapshot(dir: string): Record<string, string> {
  const snap: Record<string, string> = {};
  for (const f of files(dir)) {
    const st = statSync(f);
    snap[relative(dir, f)] = `${createHash("sha256").update(readFileSync(f)).digest("hex")} ${st.mtimeMs}`;
  }
  return snap;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
