/**
 * The leaf link under real network faults, in a network namespace this test makes (everything, clients
 * included, on the namespace's own loopback): a nats-server 2.9.10 hub and a natsedge leaf, the link first
 * slowed by a `tc tbf` rate limit and 5 % random packet loss (`nft numgen`; this kernel has no netem, whose
 * delay and loss these stand in for), then cut entirely until both ends declare it stale, then restored.
 * Every message sent while the link is up arrives; after the cut the leaf redials by itself.
 * Needs root, iproute2 and nftables (.ci/run installs them); skipped without them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = join(import.meta.dir, "../..");
const NS = `natsedge-fault-${process.pid}`;

function run(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: "utf8" });
  return { ok: r.status === 0, err: `${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

/** Whether this machine lets the test make a namespace with tbf and nft in it. */
function usable(): boolean {
  if (process.getuid?.() !== 0 || process.env.REFERENCE_SERVER) return false;
  if (!run(["ip", "netns", "add", NS]).ok) return false;
  const ok =
    run(["ip", "-n", NS, "link", "set", "lo", "up"]).ok &&
    run(["ip", "netns", "exec", NS, "tc", "qdisc", "replace", "dev", "lo", "root", "tbf", "rate", "8mbit", "burst", "32kb", "latency", "100ms"]).ok &&
    run(["ip", "netns", "exec", NS, "tc", "qdisc", "del", "dev", "lo", "root"]).ok &&
    run(["ip", "netns", "exec", NS, "nft", "add", "table", "inet", "fault"]).ok &&
    run(["ip", "netns", "exec", NS, "nft", "add", "chain", "inet", "fault", "out", "{ type filter hook output priority 0; }"]).ok;
  if (!ok) run(["ip", "netns", "del", NS]);
  return ok;
}

const enabled = usable();
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "natsedge-fault-"));

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  if (enabled) run(["ip", "netns", "del", NS]);
  rmSync(dir, { recursive: true, force: true });
});

/** A process in the namespace whose stderr lines can be waited on. */
function inNs(args: string[]): { proc: ChildProcess; lines: string[]; waitLog(re: RegExp, from?: number): Promise<void> } {
  const proc = spawn("ip", ["netns", "exec", NS, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  children.push(proc);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: proc.stderr! }).on("line", (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const waitLog = (re: RegExp, from = 0) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in ${args[0]}; log: ${lines.slice(-20).join("\n")}`)), 30_000);
      const check = () => {
        if (lines.slice(from).some((l) => re.test(l))) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { proc, lines, waitLog };
}

function nft(rule: string): void {
  const r = run(["ip", "netns", "exec", NS, "nft", ...rule.split(" ")]);
  if (!r.ok) throw new Error(`nft ${rule}: ${r.err}`);
}

/** Packets the fault rules have dropped so far. */
function droppedPackets(): number {
  const r = spawnSync("ip", ["netns", "exec", NS, "nft", "list", "chain", "inet", "fault", "out"], { encoding: "utf8" });
  return [...(r.stdout ?? "").matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe.skipIf(!enabled)("leaf link under network faults (network namespace)", () => {
  test("slow and lossy: every message crosses; cut: both ends give up, the leaf redials and traffic resumes", async () => {
    writeFileSync(join(dir, "hub.conf"), `server_name: hub\nlisten: 127.0.0.1:4222\nping_interval: "1s"\nping_max: 2\nleafnodes { listen: 127.0.0.1:7422 }\n`);
    writeFileSync(
      join(dir, "leaf.conf"),
      `server_name: edge\nlisten: 127.0.0.1:4223\nping_interval: "1s"\nping_max: 2\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://127.0.0.1:7422" } ] }\n`,
    );
    const hub = inNs(["nats-server", "-c", join(dir, "hub.conf")]);
    await hub.waitLog(/Server is ready/);
    const edge = inNs([process.execPath, join(ROOT, "src/main.ts"), "-c", join(dir, "leaf.conf")]);
    await edge.waitLog(/Leafnode connection created/);

    const probe = inNs([process.execPath, join(ROOT, "tests/_helpers/netns_probe.ts"), "127.0.0.1:4222", "127.0.0.1:4223"]);
    const answers = createInterface({ input: probe.proc.stdout! })[Symbol.asyncIterator]();
    const ask = async (cmd: string): Promise<Record<string, unknown>> => {
      probe.proc.stdin!.write(`${cmd}\n`);
      const next = await answers.next();
      if (next.done) throw new Error(`probe exited; its log: ${probe.lines.join("\n")}`);
      return JSON.parse(next.value) as Record<string, unknown>;
    };

    expect(await ask("ready")).toEqual({ cmd: "ready", ok: true });
    expect(await ask("send 300 clean")).toMatchObject({ sent: 300, got: 300 });

    // A slow (2 Mbit/s) and lossy (5 % of the link's packets, both ways) path: TCP recovers, nothing is lost.
    run(["ip", "netns", "exec", NS, "tc", "qdisc", "replace", "dev", "lo", "root", "tbf", "rate", "2mbit", "burst", "16kb", "latency", "200ms"]);
    nft("add rule inet fault out tcp dport 7422 numgen random mod 100 < 5 counter drop");
    nft("add rule inet fault out tcp sport 7422 numgen random mod 100 < 5 counter drop");
    // Batches until the rules have dropped some of the link's packets (each batch is many small writes).
    for (let round = 0; round < 10 && droppedPackets() === 0; round++) {
      expect(await ask(`send 1000 lossy${round}`)).toMatchObject({ sent: 1000, got: 1000 });
    }
    expect(droppedPackets()).toBeGreaterThan(0);

    // Cut: every packet of the link dropped until the pings go unanswered and both ends close it.
    nft("flush chain inet fault out");
    const edgeFrom = edge.lines.length;
    nft("add rule inet fault out tcp dport 7422 drop");
    nft("add rule inet fault out tcp sport 7422 drop");
    await edge.waitLog(/Leafnode connection closed/, edgeFrom);
    await hub.waitLog(/Leafnode connection closed|Stale Client Connection/);

    // Restored: the leaf redials by itself and messages flow again.
    const healedFrom = edge.lines.length;
    nft("flush chain inet fault out");
    run(["ip", "netns", "exec", NS, "tc", "qdisc", "del", "dev", "lo", "root"]);
    await edge.waitLog(/Leafnode connection created/, healedFrom);
    expect(await ask("ready")).toEqual({ cmd: "ready", ok: true });
    expect(await ask("send 300 healed")).toMatchObject({ sent: 300, got: 300 });
    probe.proc.stdin!.write("quit\n");
  }, 120_000);
});
