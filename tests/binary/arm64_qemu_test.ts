/**
 * The linux-arm64 executable on a Raspberry Pi 3 class core: qemu-aarch64 emulating a Cortex-A53 (ARMv8.0,
 * no LSE atomics, no ARMv8.2 extensions). Bun's arm64 builds have crashed with illegal instructions on such
 * cores before; this boots the real executable there and talks NATS to it.
 *
 * Needs Debian's qemu-user and libc6-arm64-cross (.ci/run installs them). Without them the test is skipped
 * on a developer's machine and fails under CI, so the guard cannot silently vanish.
 *
 * The cross sysroot has no libcrypto, so ChaCha20-Poly1305 must fall back to libsodium there. With
 * ARM64_LIBCRYPTO set to an arm64 libcrypto.so.3 (e.g. from `apt-get download libssl3:arm64`, unpacked with
 * dpkg-deb -x), a copy of the sysroot with it added checks the native path (src/runtime/libcrypto.ts) too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { binaryFor, ROOT } from "./_build.ts";
import { run } from "./_process.ts";

const SYSROOT = "/usr/aarch64-linux-gnu";
const QEMU = spawnSync("sh", ["-c", "command -v qemu-aarch64"], { encoding: "utf8" }).stdout.trim();
const HAVE_QEMU = QEMU !== "" && existsSync(join(SYSROOT, "lib/ld-linux-aarch64.so.1"));
if (!HAVE_QEMU && process.env.CI) throw new Error("qemu-aarch64 and the arm64 sysroot are missing: apt-get install qemu-user libc6-arm64-cross");

/** Emulated start-up is slow (~1.5 s on this machine); leave room for a loaded CI box. */
const BOOT_MS = 60_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ARM64_LIBCRYPTO = process.env.ARM64_LIBCRYPTO ?? "";

function emulate(bin: string, args: string[], cwd?: string, env: Record<string, string> = {}, sysroot = SYSROOT) {
  return run(QEMU, ["-cpu", "cortex-a53", "-L", sysroot, bin, ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
}

/** Opens a TCP connection, sends CONNECT and PING, and resolves with everything received up to the PONG. */
function pingPong(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = createConnection({ host: "127.0.0.1", port }, () => s.write('CONNECT {"verbose":false}\r\nPING\r\n'));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no PONG within 20 s; got ${JSON.stringify(got)}`));
    }, 20_000);
    s.on("data", (d) => {
      got += d.toString();
      if (got.includes("PONG\r\n")) {
        clearTimeout(timer);
        s.end();
        resolve(got);
      }
    });
    s.on("error", reject);
  });
}

describe.skipIf(!HAVE_QEMU)("the linux-arm64 executable on an emulated Cortex-A53", () => {
  const bin = binaryFor("linux-arm64");

  test("boots, names arm64 as its platform, answers PING, and stops on SIGTERM", async () => {
    const p = emulate(bin, ["-a", "127.0.0.1", "-p", "-1"]);
    try {
      const port = await p.port(BOOT_MS);
      expect(p.output()).toContain("Platform: linux-arm64 (bun-linux-arm64)");
      const reply = await pingPong(port);
      expect(reply).toMatch(/^INFO \{.*"go":"natsedge [^"]*\(bun [^"]*\)".*\} ?\r\n/);
      expect(reply).toEndWith("PONG\r\n");
      // The idle trim (src/runtime/memory.ts) drops the executable's clean pages a second after ready; under
      // qemu-user's emulated /proc it must leave a server that still answers.
      await new Promise((r) => setTimeout(r, 3000));
      expect(await pingPong(port)).toEndWith("PONG\r\n");
    } finally {
      p.kill("SIGTERM");
    }
    expect(await p.exited).toBe(0);
    expect(p.output()).not.toMatch(/Illegal instruction|SIGILL|SIGSEGV|Segmentation|core dumped|panic/i);
  }, BOOT_MS + 30_000);

  test("natsedge -v under emulation reports linux-arm64", async () => {
    const p = emulate(bin, ["-v"]);
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/^natsedge: v\S+ \(nats-server protocol \S+\) linux-arm64 bun \S+ bun-linux-arm64\n$/);
  }, BOOT_MS);

  /** The seed's js.conf with JS_KEY under `sysroot`: ChaCha20-Poly1305 through `implementation`, a publish stored. */
  async function storesWithChaCha(sysroot: string, implementation: RegExp): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "natsedge-arm64-"));
    dirs.push(dir);
    copyFileSync(join(ROOT, "tests/testdata/conf/seed_000_js_key_env.conf"), join(dir, "js.conf"));
    const p = emulate(bin, ["-c", "js.conf", "-a", "127.0.0.1", "-p", "-1"], dir, { JS_KEY: "mykey" }, sysroot);
    try {
      const port = await p.port(BOOT_MS);
      // nats-server picks ChaCha20-Poly1305 where AES has no hardware support; natsedge does so on arm64.
      expect(p.output()).toMatch(implementation);
      const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 20_000 });
      try {
        await (await jetstreamManager(nc, { timeout: 20_000 })).streams.add({ name: "PI", subjects: ["pi.>"] });
        expect(await jetstream(nc, { timeout: 20_000 }).publish("pi.1", "sealed")).toMatchObject({ stream: "PI", seq: 1 });
      } finally {
        await nc.close();
      }
    } finally {
      p.kill("SIGTERM");
    }
    expect(await p.exited).toBe(0);
  }

  test.skipIf(existsSync(join(SYSROOT, "lib/libcrypto.so.3")))(
    "runs the seed's js.conf with JS_KEY on a root without libcrypto: ChaCha20-Poly1305 falls back to libsodium and a publish is stored",
    () => storesWithChaCha(SYSROOT, /Encryption: +ChaCha20-Poly1305 \(libsodium\)/),
    BOOT_MS + 30_000,
  );

  test.skipIf(ARM64_LIBCRYPTO === "")(
    "with an arm64 libcrypto on the root, ChaCha20-Poly1305 goes through OpenSSL and a publish is stored",
    () => {
      const root = mkdtempSync(join(tmpdir(), "natsedge-arm64-root-"));
      dirs.push(root);
      cpSync(SYSROOT, root, { recursive: true });
      copyFileSync(ARM64_LIBCRYPTO, join(root, "lib/libcrypto.so.3"));
      return storesWithChaCha(root, /Encryption: +ChaCha20-Poly1305 \(OpenSSL libcrypto\.so\.3\)/);
    },
    BOOT_MS + 30_000,
  );
});
