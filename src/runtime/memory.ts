/**
 * The process memory target (`memory_limit`, natsedge's own key: nats-server has none, Go sizes itself):
 * what the JavaScript engine's garbage collector plans for and what the store's caches may hold.
 *
 * Without `memory_limit` the target is the machine's: the cgroup's limit (v2 `memory.max`, else v1
 * `memory.limit_in_bytes`) when one is set below physical memory, else physical memory. Neither engine can
 * change its heap sizing once running, so when the target is not what the engine sees by itself (a
 * configured limit, or a cgroup smaller than the machine), the process re-executes itself once with the
 * engine told at startup: JavaScriptCore's `BUN_JSC_forceRAMSize`, V8's `--max-old-space-size` through
 * `DENO_V8_FLAGS`. execve keeps the pid, so systemd, pid files and supervisors see one process.
 */
import process from "node:process";
import { totalmem } from "node:os";
import { nodeFs } from "./lazy_fs.ts";

export type MemorySource = "memory_limit" | "cgroup" | "physical";

export interface MemoryTarget {
  readonly bytes: number;
  readonly source: MemorySource;
}

/** cgroup v1 reports "no limit" as a huge page-aligned number; anything past this is no limit. */
const NO_LIMIT = 2 ** 60;
/** The engine is told to plan for this share of the target: the rest is code, buffers and the store's caches. */
const V8_HEAP_SHARE = 0.75;

let target: MemoryTarget | undefined;

/** The memory target the process runs under (the machine's until `useMemoryTarget` is called). */
export function memoryTarget(): MemoryTarget {
  return (target ??= machineMemory());
}

/** The cgroup's memory limit when one is set below physical memory, else physical memory. */
export function machineMemory(): MemoryTarget {
  const physical = totalmem();
  const cg = cgroupLimit();
  return cg !== null && cg < physical ? { bytes: cg, source: "cgroup" } : { bytes: physical, source: "physical" };
}

function cgroupLimit(): number | null {
  let self: string;
  try {
    self = nodeFs().readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    return null; // not Linux
  }
  const candidates: string[] = [];
  for (const line of self.split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path === undefined) continue;
    if (controllers === "") candidates.push(`/sys/fs/cgroup${path}/memory.max`, "/sys/fs/cgroup/memory.max");
    if (controllers!.split(",").includes("memory")) {
      candidates.push(`/sys/fs/cgroup/memory${path}/memory.limit_in_bytes`, "/sys/fs/cgroup/memory/memory.limit_in_bytes");
    }
  }
  for (const file of candidates) {
    let text: string;
    try {
      text = nodeFs().readFileSync(file, "utf8").trim();
    } catch {
      continue;
    }
    if (text === "max") return null;
    const n = Number(text);
    if (Number.isFinite(n) && n > 0) return n >= NO_LIMIT ? null : n;
  }
  return null;
}

/**
 * Settles the process's memory target: `limit` (bytes, from `memory_limit`) or the machine's. Where the
 * engine would not plan for it on its own, re-executes the process with the engine told; returns only when
 * no re-exec was needed or possible (then says why in the result's `note`, for the log).
 */
export async function useMemoryTarget(limit: number | undefined): Promise<{ target: MemoryTarget; note?: string }> {
  const machine = machineMemory();
  target = limit !== undefined ? { bytes: limit, source: "memory_limit" } : machine;
  // The engine sizes itself from physical memory: nothing to tell it when that is the target.
  if (target.source === "physical") return { target };
  const name = engineVariable();
  const want = engineValue(name, target.bytes);
  const have = process.env[name];
  // Equal after our own re-exec; otherwise the operator's setting stands.
  if (have === want) return { target };
  if (have !== undefined) return { target, note: `${name}=${have} from the environment is kept` };
  const why = await reexec({ [name]: want });
  return { target, note: `the engine still sizes its heap for ${machine.bytes} bytes: ${why}` };
}

/** The environment variable that tells this engine its heap budget. */
export function engineVariable(): string {
  return "Bun" in globalThis ? "BUN_JSC_forceRAMSize" : "DENO_V8_FLAGS";
}

/** What tells this engine to plan for `bytes`. */
export function engineValue(name: string, bytes: number): string {
  if (name === "BUN_JSC_forceRAMSize") return String(Math.floor(bytes));
  return `--max-old-space-size=${Math.max(16, Math.floor((bytes * V8_HEAP_SHARE) / 2 ** 20))}`;
}

/** execve of this same executable with the same arguments and `extra` added to the environment. */
async function reexec(extra: Record<string, string>): Promise<string> {
  let argv: Uint8Array[];
  let exe: string;
  try {
    const fs = nodeFs();
    // The arguments exactly as given (NUL-terminated each), not process.argv: a compiled binary's argv[1] is
    // its embedded entry point.
    argv = cstrings(fs.readFileSync("/proc/self/cmdline"));
    exe = fs.readlinkSync("/proc/self/exe");
  } catch {
    return "re-executing needs Linux's /proc";
  }
  const enc = new TextEncoder();
  const z = (s: string) => enc.encode(s + "\0");
  const env = { ...process.env, ...extra };
  const envp = Object.entries(env).map(([k, v]) => z(`${k}=${v}`));
  try {
    const rc = "Bun" in globalThis ? await execveBun(z(exe), argv, envp) : execveDeno(z(exe), argv, envp);
    return `execve failed (${rc})`;
  } catch (e) {
    return `execve is not reachable: ${(e as Error).message}`;
  }
}

/** Splits /proc/self/cmdline into its NUL-terminated strings, each keeping its NUL. */
function cstrings(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      out.push(buf.slice(start, i + 1));
      start = i + 1;
    }
  }
  return out;
}

const LIBC = process.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6";

async function execveBun(path: Uint8Array, argv: Uint8Array[], envp: Uint8Array[]): Promise<number> {
  const ffi = await import("bun:ffi");
  const table = (list: Uint8Array[]) => {
    const t = new BigUint64Array(list.length + 1);
    list.forEach((b, i) => (t[i] = BigInt(ffi.ptr(b))));
    return t;
  };
  const libc = ffi.dlopen(LIBC, { execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" } });
  // The tables hold raw pointers into argv/envp, which stay referenced here until execve replaces us.
  const rc = libc.symbols.execve(path, table(argv), table(envp));
  void [argv, envp];
  return rc;
}

interface DenoFfi {
  dlopen(path: string, symbols: unknown): { symbols: { execve(a: unknown, b: unknown, c: unknown): number } };
  UnsafePointer: { of(b: Uint8Array): unknown; value(p: unknown): bigint };
}

function execveDeno(path: Uint8Array, argv: Uint8Array[], envp: Uint8Array[]): number {
  const deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;
  const table = (list: Uint8Array[]) => {
    const t = new BigUint64Array(list.length + 1);
    list.forEach((b, i) => (t[i] = deno.UnsafePointer.value(deno.UnsafePointer.of(b))));
    return t;
  };
  const libc = deno.dlopen(LIBC, { execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" } });
  const rc = libc.symbols.execve(path, table(argv), table(envp));
  void [argv, envp];
  return rc;
}

/**
 * How often the process checks whether it has been idle: each second, so the memory a burst left behind
 * goes back within seconds of its end (a 5 s check took 5-10 s). Busy is real work, at least 5 % of a core
 * in a check; quiet is two checks in a row using under 1 % of a core together, so neither the collector's
 * own work just after a burst (20-30 ms in a second, seen after storing 1M messages) nor a publisher pausing
 * for a second between bursts sets off a full collection.
 */
const TRIM_CHECK_MS = 1_000;
const BUSY_CPU_SHARE = 0.05;
const IDLE_CPU_SHARE = 0.01;
const QUIET_CHECKS = 2;
/** The first trim, once startup's work (module loading, config, store recovery) is behind. */
const FIRST_TRIM_MS = 1_000;
const MADV_DONTNEED = 4;

/**
 * Gives memory back while the server is idle: a second after ready, and once per quiet spell after busy
 * work, a full garbage collection and the executable's clean code and read-only pages (and the shared
 * libraries' code) dropped from the process, and the `onIdleTrim` caches emptied. Those pages are the files'
 * bytes: the kernel reclaims them
 * under pressure anyway, and a page needed again is mapped back from the page cache. Most of an idle
 * server's resident memory is such pages, touched once by startup or a burst. The timers are unref'd: they
 * never keep the process alive.
 */
export function startIdleTrim(): () => void {
  let last = process.cpuUsage();
  const spell = new QuietSpell();
  // The trim's own collection is CPU too: counted, it would make the next check busy and trim again for ever.
  // A trim that fails only leaves the memory where it was.
  const settle = () => void (last = process.cpuUsage());
  const trimQuietly = () => void trim().then(settle, settle);
  const first = setTimeout(trimQuietly, FIRST_TRIM_MS);
  const timer = setInterval(() => {
    const now = process.cpuUsage();
    const usedMs = (now.user - last.user + now.system - last.system) / 1000;
    last = now;
    if (spell.check(usedMs)) trimQuietly();
  }, TRIM_CHECK_MS);
  for (const t of [first, timer]) (t as { unref?: () => void }).unref?.();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

/** When a quiet spell after busy work begins, from the CPU each check interval used. */
export class QuietSpell {
  #busy = false;
  /** CPU (ms) of the checks since the last busy one, the newest last; at most QUIET_CHECKS of them. */
  #since: number[] = [];

  /** Takes one check's CPU (ms of one interval); true when the trim should run now. */
  check(usedMs: number): boolean {
    if (usedMs >= TRIM_CHECK_MS * BUSY_CPU_SHARE) {
      this.#busy = true;
      this.#since = [];
      return false;
    }
    if (!this.#busy) return false;
    this.#since.push(usedMs);
    if (this.#since.length > QUIET_CHECKS) this.#since.shift();
    const quietMs = this.#since.reduce((a, b) => a + b, 0);
    if (this.#since.length < QUIET_CHECKS || quietMs >= QUIET_CHECKS * TRIM_CHECK_MS * IDLE_CPU_SHARE) return false;
    this.#busy = false;
    this.#since = [];
    return true;
  }
}

const idleHooks = new Set<() => void>();

/**
 * Runs `release` at every idle trim, before the collection: caches that can be rebuilt (the store's decrypted
 * blocks) give their memory back while nothing uses them, as nats-server's filestore expires idle block
 * caches. Returns the unregistration.
 */
export function onIdleTrim(release: () => void): () => void {
  idleHooks.add(release);
  return () => idleHooks.delete(release);
}

/** One trim: the idle hooks, a full collection, then the executable's and shared libraries' clean pages dropped (Linux, Bun). */
export async function trim(): Promise<void> {
  for (const release of idleHooks) release();
  if (!("Bun" in globalThis)) return;
  const bun = (globalThis as unknown as { Bun: { gc(full: boolean): void } }).Bun;
  bun.gc(true);
  try {
    await dropCleanFilePages();
  } catch {
    // No /proc or no libc: the pages stay, which only costs the memory.
  }
}

let madvise: ((addr: number, len: number, advice: number) => number) | undefined;

async function dropCleanFilePages(): Promise<void> {
  const fs = nodeFs();
  const exe = fs.readlinkSync("/proc/self/exe");
  if (madvise === undefined) {
    const ffi = await import("bun:ffi");
    const libc = ffi.dlopen(LIBC, { madvise: { args: ["u64", "u64", "i32"], returns: "i32" } });
    madvise = (a, l, adv) => libc.symbols.madvise(a, l, adv) as number;
  }
  type Mapping = { start: number; end: number; perms: string; offset: string; path: string; rss: number; anon: number | null };
  let head: Mapping | null = null;
  const flush = () => {
    // The executable's code and the read-only segment at its start, and the shared libraries' code (libcrypto
    // and libc are 3 MB of it after storing), holding no page of the process's own: a page it wrote
    // (relocated data) is a copy-on-write page, counted as Anonymous. (Private_Dirty is no guide: a
    // freshly written executable's pages are dirty in the page cache, not in the process.) Never a mapping
    // whose counts are missing or empty, as an emulator's made-up smaps has them.
    const h = head;
    if (h === null || h.anon !== 0 || h.rss === 0) return;
    if (h.path === exe) {
      if (h.perms === "r-xp" || (h.perms === "r--p" && /^0+$/.test(h.offset))) madvise!(h.start, h.end - h.start, MADV_DONTNEED);
    } else if (h.perms === "r-xp" && /\.so(\.|$)/.test(h.path)) madvise!(h.start, h.end - h.start, MADV_DONTNEED);
  };
  for (const line of fs.readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \S+\s*(.*)$/.exec(line);
    if (m !== null) {
      flush();
      head = { start: Number.parseInt(m[1]!, 16), end: Number.parseInt(m[2]!, 16), perms: m[3]!, offset: m[4]!, path: m[5]!, rss: 0, anon: null };
      continue;
    }
    const f = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (f === null || head === null) continue;
    if (f[1] === "Rss") head.rss = Number(f[2]);
    else head.anon = Number(f[2]);
  }
  flush();
}
