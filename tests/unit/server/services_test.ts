// The service registry: a service the options do not enable is never started (its module never loaded),
// phases start in the order given, health reports the first unhealthy service, and stop runs last-started
// first even when one of them fails to stop.
import { expect, test } from "bun:test";
import { Logger } from "../../../src/log/logger.ts";
import type { ServerOptions } from "../../../src/config/options.ts";
import { type Service, Services, type ServiceSpec } from "../../../src/server/services.ts";

const lines: string[] = [];
const log = new Logger({ pid: 1, debug: false, trace: false, logtime: false, logtimeUTC: false, sink: (l) => lines.push(l) });
const events: string[] = [];

function spec(name: string, phase: "core" | "listening", opts: { enabled?: boolean; health?: string; stopFails?: boolean } = {}): ServiceSpec<Service, string> {
  return {
    name,
    phase,
    enabled: () => opts.enabled ?? true,
    async start(host) {
      events.push(`start ${name} for ${host}`);
      return {
        health: () => opts.health ?? null,
        reload: (next) => void events.push(`reload ${name} ${next.server_name}`),
        async stop() {
          events.push(`stop ${name}`);
          if (opts.stopFails) throw new Error(`${name} would not stop`);
        },
      };
    },
  };
}

test("start by phase, health, reload and stop in reverse", async () => {
  const specs = [spec("js", "core"), spec("off", "core", { enabled: false }), spec("sick", "listening", { health: "store: cannot read", stopFails: true }), spec("mon", "listening")];
  const s = new Services<string>(specs, log);
  const o = { server_name: "n1" } as ServerOptions;
  await s.start("core", "srv", o);
  expect(s.health()).toBeNull();
  await s.start("listening", "srv", o);
  expect(s.get(specs[1]!)).toBeUndefined();
  expect(s.get(specs[0]!)).toBeDefined();
  expect(s.health()).toBe("store: cannot read");
  await s.reload({ server_name: "n2" } as ServerOptions);
  await s.stop();
  expect(events).toEqual([
    "start js for srv", "start sick for srv", "start mon for srv",
    "reload js n2", "reload sick n2", "reload mon n2",
    "stop mon", "stop sick", "stop js",
  ]);
  expect(lines.filter((l) => l.includes("[ERR]"))).toEqual([expect.stringContaining("stopping sick: sick would not stop")]);
  expect(s.health()).toBeNull();
  expect(() => s.add("x", { stop: async () => {} })).not.toThrow();
  expect(() => s.add("x", { stop: async () => {} })).toThrow('service "x" is already running');
});
