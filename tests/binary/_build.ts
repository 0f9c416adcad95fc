/**
 * Executables for the binary tests, built once per test run with ./compile.sh. A ./natsedge (or dist/ one)
 * newer than every source file is reused; otherwise the build goes to a temp dir so a developer's stale
 * ./natsedge is never overwritten.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, "src"));
  for (const f of ["mod.ts", "compile.sh", "package.json"]) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

let outDir: string | null = null;
const built = new Map<string, string>();

/**
 * The executable for `target` ("host" or e.g. "linux-arm64"). Throws with compile.sh's output if the build
 * fails (a cross build needs the npm registry once, for the target's Bun runtime).
 */
export function binaryFor(target: string): string {
  const hit = built.get(target);
  if (hit !== undefined) return hit;
  const existing = join(ROOT, target === "host" ? "natsedge" : `dist/natsedge-${target}`);
  if (existsSync(existing) && statSync(existing).mtimeMs > newestSource()) {
    built.set(target, existing);
    return existing;
  }
  outDir ??= mkdtempSync(join(tmpdir(), "natsedge-bin-"));
  const out = join(outDir, `natsedge-${target}`);
  const r = spawnSync(join(ROOT, "compile.sh"), ["--target", target, "--out", out], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`./compile.sh --target ${target} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  built.set(target, out);
  return out;
}
