/** Builds a C program against Debian's libnats (libnats-dev) once per process, for tests and benchmarks. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { spawn, text, which } from "./spawn.ts";

const built = new Map<string, Promise<string>>();
const scratch: string[] = [];

/** Removes the binaries built so far (call from afterAll). */
export function removeBuilt(): void {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
  built.clear();
}

/**
 * The path of `source` compiled with gcc; `streaming` adds -DNATS_HAS_STREAMING, without which nats.h hides the
 * STAN API (reference nats-streaming.md §9.2).
 */
export function buildLibnats(source: string, streaming = false): Promise<string> {
  const key = `${source}\n${streaming}`;
  let p = built.get(key);
  if (p !== undefined) return p;
  p = (async () => {
    const missing = [...(which("gcc") === null ? ["gcc"] : []), ...(existsSync("/usr/include/nats/nats.h") ? [] : ["libnats-dev"])];
    if (missing.length > 0) throw new Error(`building ${source} needs: apt-get install ${missing.join(" ")}`);
    const dir = mkdtempSync(join(tmpdir(), "natsedge-libnats-"));
    scratch.push(dir);
    const bin = join(dir, basename(source, ".c"));
    const flags = streaming ? ["-DNATS_HAS_STREAMING", "-pthread"] : [];
    const proc = spawn(["gcc", "-Wall", "-O2", ...flags, "-o", bin, source, "-lnats"], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([text(proc.stderr), proc.exited]);
    if (code !== 0) throw new Error(`gcc of ${source} failed (${code}):\n${err}`);
    return bin;
  })();
  built.set(key, p);
  return p;
}

interface CheckResult {
  check: string;
  ok: boolean;
  err: string;
}

/**
 * Runs a checks program printing one JSON line {"check","ok","err"} per check, the last named "done": the
 * checks that failed and any problem with the run, empty when all passed. Asynchronous, so a natsedge in this
 * process goes on serving it.
 */
export async function checkFailures(bin: string, args: string[], minChecks: number, timeoutMs = 60_000): Promise<string[]> {
  const proc = spawn([bin, ...args], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), timeoutMs);
  const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited]);
  clearTimeout(timer);
  const results = out.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as CheckResult);
  const lines = results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.err}`);
  if (!results.some((r) => r.check === "done")) lines.push(`stopped before done (exit ${code}): ${err.trim()}`);
  if (results.length < minChecks) lines.push(`only ${results.length} checks ran`);
  return lines;
}
