/**
 * The Go and C client programs under tests/compat/: built once per test file (nats.go from Debian's gocode,
 * offline; libnats-dev with gcc), then run, each printing one JSON line {"check","ok","err"} per check.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scratchDir } from "./certs.ts";
import { spawn, text, which } from "./spawn.ts";

const GOPATH = "/usr/share/gocode";
export const BUILD_TIMEOUT_MS = 120_000;
export const RUN_TIMEOUT_MS = 30_000;
const COMPAT = join(import.meta.dirname!, "..", "compat");

async function spawnOk(cmd: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<void> {
  const proc = spawn(cmd, { ...opts, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}):\n${out}${err}`);
}

/** Builds tests/compat/<dir> (a Go main package) into `into`; returns the binary. */
export async function buildGoProgram(dir: string, into: string): Promise<string> {
  if (which("go") === null || !existsSync(join(GOPATH, "src/github.com/nats-io/nats.go"))) {
    throw new Error(`building tests/compat/${dir} needs: apt-get install golang-go golang-github-nats-io-go-nats-dev`);
  }
  const bin = join(into, dir);
  await spawnOk(["go", "build", "-trimpath", "-o", bin, "."], {
    cwd: join(COMPAT, dir),
    env: { ...process.env, GO111MODULE: "off", GOPATH, GOPROXY: "off", GOFLAGS: "", CGO_ENABLED: "0", GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "natsedge-natsgo-gocache") },
  });
  return bin;
}

/** Builds tests/compat/libnats/<file> against libnats into `into`; returns the binary. */
export async function buildCProgram(file: string, into: string): Promise<string> {
  if (which("gcc") === null || !existsSync("/usr/include/nats/nats.h")) {
    throw new Error(`building tests/compat/libnats/${file} needs: apt-get install gcc libnats-dev`);
  }
  const bin = join(into, file.replace(/\.c$/, ""));
  await spawnOk(["gcc", "-Wall", "-o", bin, join(COMPAT, "libnats", file), "-lnats"]);
  return bin;
}

/** The failing checks and problems of one run; empty when every check passed and "done" was reached. */
export async function checkFailures(cmd: string[], minChecks: number): Promise<string[]> {
  const proc = spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), RUN_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited]);
  clearTimeout(timer);
  const problems: string[] = [];
  const checks: string[] = [];
  for (const line of out.split("\n").filter((l) => l.trim() !== "")) {
    const r = JSON.parse(line) as { check: string; ok: boolean; err: string };
    checks.push(r.check);
    if (!r.ok) problems.push(`${r.check}: ${r.err}`);
  }
  if (!checks.includes("done")) problems.push(`stopped early (exit ${code}): ${err.trim()}`);
  if (checks.length < minChecks) problems.push(`only ${checks.length} checks ran`);
  return problems;
}

export { scratchDir };
