/** Server processes for the Bun-run benchmarks: natsedge or nats-server from a config, on a free port. */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort } from "../tests/_helpers/leaf.ts";

export { freePort };

const MAIN = join(import.meta.dir, "../src/main.ts");

export type Kind = "natsedge" | "nats-server";

export interface Proc {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** NATSEDGE_CPU_PROF=DIR profiles each natsedge started (bun --cpu-prof, a sample each 200 µs), written to DIR when it exits. */
function bunFlags(): string[] {
  const dir = process.env.NATSEDGE_CPU_PROF;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=200"] : [];
}

/** Starts `kind` with `conf` (anything but the client listen address) and resolves once it accepts. */
export async function startProc(kind: Kind, conf: string, dir: string, port?: number): Promise<Proc> {
  const p = port ?? (await freePort());
  const file = join(dir, `${kind}.conf`);
  writeFileSync(file, `listen: "127.0.0.1:${p}"\n${conf}\n`);
  const child: ChildProcess = kind === "natsedge"
    ? spawn(process.execPath, [...bunFlags(), MAIN, "-c", file], { stdio: "ignore" })
    : spawn("nats-server", ["-c", file], { stdio: "ignore" });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(p, "127.0.0.1", () => (s.end(), r(true)));
      s.once("error", () => r(false));
    });
    if (ok) break;
    await Bun.sleep(25);
  }
  return { port: p, pid: child.pid ?? 0, stop: async () => (child.kill("SIGTERM"), await exited) };
}

export async function until(cond: () => Promise<boolean>, ms: number, what = "the condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
