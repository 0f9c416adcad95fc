/**
 * memory_limit: the config key and flag, the machine's default, the re-exec that tells JavaScriptCore its
 * heap budget (same pid, BUN_JSC_forceRAMSize in the new image's environment), and the store caches' share.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { loadOptions } from "../../src/config/load.ts";
import { engineValue, engineVariable, machineMemory } from "../../src/runtime/memory.ts";
import { run } from "../binary/_process.ts";
import { natsedgeCommand } from "../_helpers/spawn.ts";

/** The variable and value of the engine running these tests (JavaScriptCore on Bun, V8 on Deno). */
const VAR = engineVariable();
const [EXE, ...MAIN_ARGS] = natsedgeCommand();

const load = (argv: string[], conf?: string) =>
  loadOptions(argv, {}, (p) => {
    if (conf === undefined || p !== "/c.conf") throw new Error(`open ${p}: no such file or directory`);
    return conf;
  });

describe("memory_limit option", () => {
  test("config key: unquoted and quoted sizes, integers; flag overrides", () => {
    expect(load(["-c", "/c.conf"], "memory_limit: 512MB").options.memory_limit).toBe(512 * 2 ** 20);
    expect(load(["-c", "/c.conf"], 'memory_limit: "1G"').options.memory_limit).toBe(2 ** 30);
    expect(load(["-c", "/c.conf"], "memory_limit: 134217728").options.memory_limit).toBe(134217728);
    expect(load(["-c", "/c.conf", "--memory_limit", "256MB"], "memory_limit: 512MB").options.memory_limit).toBe(256 * 2 ** 20);
    expect(load([]).options.memory_limit).toBeUndefined();
  });

  test("nonsense and too-small values are refused with the key's name", () => {
    expect(() => load(["-c", "/c.conf"], "memory_limit: 512")).toThrow(/memory_limit 512 is below the minimum of 16MB/);
    expect(() => load(["-c", "/c.conf"], 'memory_limit: "lots"')).toThrow(/memory_limit.*invalid size "lots"/);
    expect(() => load(["-c", "/c.conf"], "memory_limit: true")).toThrow(/memory_limit must be a size/);
    expect(() => load(["--memory_limit", "12x"])).toThrow(/invalid value for -memory_limit: invalid size "12x"/);
  });
});

describe("memory target", () => {
  test("the machine's: a cgroup limit below physical memory, else physical memory", () => {
    const m = machineMemory();
    expect(m.bytes).toBeGreaterThan(0);
    expect(m.bytes).toBeLessThanOrEqual(totalmem());
    expect(m.source === "physical" ? m.bytes === totalmem() : m.source === "cgroup").toBe(true);
  });

  test("--memory_limit re-executes the server in place with the engine's variable set", async () => {
    const env = { ...process.env };
    delete env[VAR];
    const s = run(EXE!, [...MAIN_ARGS, "-a", "127.0.0.1", "-p", "-1", "--memory_limit", "96MB"], { env });
    try {
      await s.port();
      const environ = readFileSync(`/proc/${s.proc.pid}/environ`, "utf8").split("\0");
      expect(environ).toContain(`${VAR}=${engineValue(VAR, 96 * 2 ** 20)}`);
      expect(s.output()).not.toContain("memory_limit:");
      expect(s.output().match(/Starting natsedge/g)?.length).toBe(1);
    } finally {
      s.kill("SIGTERM");
      await s.exited;
    }
  });

  test("an operator's own engine setting is kept, and said so", async () => {
    const own = VAR === "BUN_JSC_forceRAMSize" ? "268435456" : "--max-old-space-size=256";
    const s = run(EXE!, [...MAIN_ARGS, "-a", "127.0.0.1", "-p", "-1", "--memory_limit", "96MB"], {
      env: { ...process.env, [VAR]: own },
    });
    try {
      await s.port();
      expect(s.output()).toContain(`[WRN] memory_limit: ${VAR}=${own} from the environment is kept`);
    } finally {
      s.kill("SIGTERM");
      await s.exited;
    }
  });
});
