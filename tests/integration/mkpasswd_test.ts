// `natsedge mkpasswd`, the counterpart of nats-server's util/mkpasswd.go (seed 002, "Using bcrypt to Protect
// Passwords"): with no arguments it prints a new random password and its bcrypt hash as
//   pass: <22 characters from a-z A-Z 0-9 !@$#%^&*()>
//   bcrypt hash: $2a$11$<53 characters>
// `-p` reads the password from the terminal without echo ("Enter Password: ", "Reenter Password: ") and prints
// only the hash; `--cost` sets the bcrypt cost (default 11). nats-server has no mkpasswd command, so every test
// here is natsedge-only (skipped in reference mode). The hashes are checked with bcryptjs.
import { describe, expect, test } from "bun:test";
import bcrypt from "bcryptjs";
import { join } from "node:path";
import { client, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { expectRoundTrip, natsedgeOnly, REFERENCE, refused } from "../_helpers/security.ts";
import { errors } from "@nats-io/transport-node";
import { natsedgeCommand, spawn, spawnSync } from "../_helpers/spawn.ts";

const own = useCleanup();
const ROOT = join(import.meta.dirname!, "..", "..");

/** Go's mkpasswd alphabet (util/mkpasswd.go genPassword). */
const PASS_LINE = /^pass: ([a-zA-Z0-9!@$#%^&*()]{22})$/;
const hashLine = (cost: string) => new RegExp(`^bcrypt hash: (\\$2[aby]\\$${cost}\\$[./A-Za-z0-9]{53})$`);

function mkpasswd(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync([...natsedgeCommand(), "mkpasswd", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function parse(stdout: string, cost = "11"): { pass: string; hash: string } {
  const lines = stdout.split("\n");
  expect(lines.length).toBe(3);
  expect(lines[2]).toBe("");
  const pass = PASS_LINE.exec(lines[0]!);
  const hash = hashLine(cost).exec(lines[1]!);
  expect(pass).not.toBeNull();
  expect(hash).not.toBeNull();
  return { pass: pass![1]!, hash: hash![1]! };
}

describe("mkpasswd without -p", () => {
  natsedgeOnly("prints `pass: ...` and `bcrypt hash: ...` with cost 11, and the hash verifies the password", () => {
    const r = mkpasswd([]);
    expect(r.code).toBe(0);
    const { pass, hash } = parse(r.stdout);
    expect(bcrypt.compareSync(pass, hash)).toBe(true);
    expect(bcrypt.compareSync(pass + "x", hash)).toBe(false);
    expect(bcrypt.getRounds(hash)).toBe(11);
    expect(r.stderr).toBe("");
  });

  natsedgeOnly("--cost 4 sets the cost, and two runs give different passwords and salts", () => {
    const a = mkpasswd(["--cost", "4"]);
    const b = mkpasswd(["--cost", "4"]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const x = parse(a.stdout, "04");
    const y = parse(b.stdout, "04");
    expect(bcrypt.getRounds(x.hash)).toBe(4);
    expect(x.pass).not.toBe(y.pass);
    expect(x.hash.slice(0, 29)).not.toBe(y.hash.slice(0, 29));
    expect(bcrypt.compareSync(x.pass, x.hash)).toBe(true);
    expect(bcrypt.compareSync(y.pass, x.hash)).toBe(false);
  });

  natsedgeOnly("the printed hash works as a password in authorization, and only with the printed password", async () => {
    const r = mkpasswd(["--cost", "4"]);
    const { pass, hash } = parse(r.stdout, "04");
    const srv = own(await runServer({ authorization: { user: "derek", password: hash } }));
    await expectRoundTrip(own(await client(srv, { user: "derek", pass })));
    expect(await refused(client(srv, { user: "derek", pass: hash }))).toBeInstanceOf(errors.AuthorizationError);
  });
});

/** `script` runs the command on a pseudo-terminal, so `-p` can read from "the terminal". */
const HAVE_SCRIPT = spawnSync(["script", "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
const onPty: typeof test = HAVE_SCRIPT && !REFERENCE ? test : (test.skip as typeof test);

/**
 * Runs `natsedge mkpasswd <args>` on a pty and types each of `inputs` once the output shows the matching
 * prompt. The implementation must turn echo off before writing a prompt: whatever the terminal echoes shows
 * up in the output. Returns the exit code and everything written to the terminal (CRLF normalized).
 */
async function onTerminal(args: string[], dialogue: [prompt: string, input: string][]): Promise<{ code: number; out: string }> {
  const cmd = [...natsedgeCommand(), "mkpasswd", ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const proc = spawn(["script", "-qec", cmd, "/dev/null"], { cwd: ROOT, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let out = "";
  const decoder = new TextDecoder();
  const pending = [...dialogue];
  let seen = 0;
  for await (const chunk of proc.stdout) {
    out += decoder.decode(chunk);
    while (pending.length > 0) {
      const at = out.indexOf(pending[0]![0], seen);
      if (at === -1) break;
      seen = at + pending[0]![0].length;
      proc.stdin.write(pending.shift()![1] + "\r");
    }
  }
  const code = await proc.exited;
  proc.stdin.end();
  return { code, out: out.replace(/\r\n/g, "\n") };
}

describe("mkpasswd -p", () => {
  onPty("prompts twice without echo and prints only the hash of the typed password", async () => {
    const typed = "Typed-Pa55word!";
    const r = await onTerminal(["-p", "--cost", "4"], [
      ["Enter Password: ", typed],
      ["Reenter Password: ", typed],
    ]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(typed);
    expect(r.out).not.toContain("pass: ");
    const m = /bcrypt hash: (\$2[aby]\$04\$[./A-Za-z0-9]{53})\n/.exec(r.out);
    expect(m).not.toBeNull();
    expect(bcrypt.compareSync(typed, m![1]!)).toBe(true);
    expect(r.out.indexOf("Enter Password: ")).toBeLessThan(r.out.indexOf("Reenter Password: "));
  });

  onPty("entries that do not match are an error and print no hash", async () => {
    const r = await onTerminal(["-p", "--cost", "4"], [
      ["Enter Password: ", "first-Entry-1"],
      ["Reenter Password: ", "second-Entry-2"],
    ]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/passwords do not match/i);
    expect(r.out).not.toContain("bcrypt hash:");
    expect(r.out).not.toContain("first-Entry-1");
    expect(r.out).not.toContain("second-Entry-2");
  });
});
