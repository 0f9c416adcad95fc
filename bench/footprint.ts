/**
 * Edge footprint, natsedge beside nats-server in one run (issue 20's table):
 *
 *   bun bench/footprint.ts [--skip-build] [--only idle,conns,store,pub]
 *
 * For each server (nats-server 2.9.10, the compiled ./natsedge, and ./natsedge with memory_limit 512MB, what
 * a 512 MB device gets by default, and 128MB):
 *   idle   VmRSS 2 s after "ready" with JetStream on (empty store), and again 12 s after a short burst of
 *          core traffic (natsedge trims after two quiet seconds) (so pages used only at startup and pages used by serving are both counted);
 *   conns  5 000 idle TCP clients (CONNECT + PING/PONG each), then 100 000 subscriptions spread over them:
 *          RSS per connection and per subscription (deltas over the idle RSS, after 2 s of settling);
 *   store  1 000 000 × 128 B JetStream async publishes (natsbench js-pub-async, window 256) into a
 *          ChaCha20-Poly1305-encrypted file store: peak RSS (VmHWM), RSS 5 s and 15 s after (natsedge's
 *          idle trim runs 2-3 s after the end).
 *   pub    JetStream async publish (natsbench js-pub-async, window 256) of PUB_N messages at 128 B and 1 KiB
 *          into a plaintext and a ChaCha20-Poly1305 file store, each on a fresh server, PUB_ROUNDS rounds
 *          interleaved (the order alternates per round, so a neighbour's load lands on both): median msgs/s
 *          and the ChaCha / plaintext ratio of the medians, and the server's CPU per message (utime+stime),
 *          which a loaded machine disturbs far less than the rate. nats-server and natsedge (default memory).
 * Env: NATSEDGE_BIN (default ./natsedge, built by ./compile.sh unless --skip-build), CONNS (5000),
 * SUBS (100000), STORE_N (1000000), PUB_N (300000), PUB_ROUNDS (3). Prints a markdown table and writes
 * bench/results/footprint-STAMP.md.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds } from "./_procs.ts";

const ROOT = join(import.meta.dir, "..");
const args = process.argv.slice(2);
const onlyAt = args.indexOf("--only");
const only = new Set((onlyAt >= 0 ? args[onlyAt + 1]! : "idle,conns,store,pub").split(","));
const BIN = process.env.NATSEDGE_BIN ?? join(ROOT, "natsedge");
const CONNS = Number(process.env.CONNS ?? 5000);
const SUBS = Number(process.env.SUBS ?? 100_000);
const STORE_N = Number(process.env.STORE_N ?? 1_000_000);
const PUB_N = Number(process.env.PUB_N ?? 300_000);
const PUB_ROUNDS = Number(process.env.PUB_ROUNDS ?? 3);
const NATSBENCH = join(ROOT, "..", "shared", "bench", "bin", "natsbench");
const KEY = "natsbench-not-a-secret-key-0123456789";
const WORK = mkdtempSync(join(tmpdir(), "natsedge-footprint-"));

if (!args.includes("--skip-build") && process.env.NATSEDGE_BIN === undefined) {
  const b = spawnSync(join(ROOT, "compile.sh"), [], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  if (b.status !== 0) throw new Error("./compile.sh failed");
}

interface Server {
  label: string;
  cmd: (conf: string) => string[];
}
const SERVERS: Server[] = [
  { label: "nats-server 2.9.10", cmd: (c) => ["nats-server", "-c", c] },
  { label: "natsedge", cmd: (c) => [BIN, "-c", c] },
  // What a 512 MB device gets untuned (its physical memory is the default target).
  { label: "natsedge, memory_limit 512MB", cmd: (c) => [BIN, "-c", c, "--memory_limit", "512MB"] },
  { label: "natsedge, memory_limit 128MB", cmd: (c) => [BIN, "-c", c, "--memory_limit", "128MB"] },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function status(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** A port the kernel just handed out: other helpers' benchmarks on this machine use fixed ranges too. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let portSeq = 0;
async function start(s: Server, encrypted: boolean): Promise<{ proc: ChildProcess; port: number; dir: string }> {
  const dir = join(WORK, `run${++portSeq}`);
  mkdirSync(dir);
  const port = await freePort();
  const conf = join(dir, "server.conf");
  const js = encrypted ? `jetstream { store_dir: "${dir}/store", key: "${KEY}", cipher: chacha }` : `jetstream { store_dir: "${dir}/store" }`;
  // max_connections and max_subscriptions are unlimited by default in both; max_payload stays default.
  writeFileSync(conf, `listen: 127.0.0.1:${port}\n${js}\n`);
  const [cmd, ...rest] = s.cmd(conf);
  const proc = spawn(cmd!, rest, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${s.label}: not ready in 20 s:\n${log}`)), 20_000);
    proc.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("Server is ready")) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.on("exit", (code) => reject(new Error(`${s.label} exited ${code}:\n${log}`)));
  });
  return { proc, port, dir };
}

async function stop(proc: ChildProcess): Promise<void> {
  const done = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await done;
}

/** One raw client connection: CONNECT, then every write is followed by a PING whose PONG resolves it. */
class RawClient {
  readonly #sock: Socket;
  #buf = "";
  readonly #pongs: (() => void)[] = [];
  constructor(port: number, ready: () => void, fail: (e: Error) => void) {
    this.#sock = connect(port, "127.0.0.1");
    this.#sock.setEncoding("latin1");
    let connected = false;
    this.#sock.on("data", (d: string) => {
      this.#buf += d;
      let i;
      while ((i = this.#buf.indexOf("\r\n")) >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        if (line.startsWith("INFO") && !connected) {
          connected = true;
          this.#sock.write('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nPING\r\n');
          this.#pongs.push(ready);
        } else if (line === "PING") this.#sock.write("PONG\r\n");
        else if (line === "PONG") this.#pongs.shift()?.();
        else if (line.startsWith("-ERR")) fail(new Error(line));
      }
    });
    this.#sock.on("error", fail);
  }
  send(text: string): Promise<void> {
    return new Promise((resolve) => {
      this.#pongs.push(resolve);
      this.#sock.write(text + "PING\r\n");
    });
  }
  close(): void {
    this.#sock.destroy();
  }
}

async function openClients(port: number, n: number): Promise<RawClient[]> {
  const out: RawClient[] = [];
  // In waves, so the accept backlog never overflows.
  for (let i = 0; i < n; i += 250) {
    const wave: Promise<void>[] = [];
    for (let k = i; k < Math.min(n, i + 250); k++) {
      wave.push(new Promise((resolve, reject) => out.push(new RawClient(port, resolve, reject))));
    }
    await Promise.all(wave);
  }
  return out;
}

async function burst(port: number): Promise<void> {
  const [c] = await openClients(port, 1);
  const msg = `PUB bench.burst 128\r\n${"x".repeat(128)}\r\n`.repeat(1000);
  await c!.send("SUB bench.burst 1\r\n");
  for (let i = 0; i < 100; i++) await c!.send(msg);
  c!.close();
}

/** One natsbench js-pub-async run against `port`: msgs/s, and whether the run hit its time cap. */
function jsPubAsync(port: number, size: number, n: number, stream: string): { rate: number; truncated: boolean } {
  const r = spawnSync(NATSBENCH, ["js-pub-async", "-size", String(size), "-n", String(n), "-window", "256", "-stream", stream, "-max", "120s", "-drain", "20s"], {
    env: { ...process.env, NATS_URL: `nats://127.0.0.1:${port}` },
    encoding: "utf8",
  });
  const line = r.stdout.trim().split("\n").at(-1) ?? "{}";
  const j = JSON.parse(line) as { msgs_per_s?: number; truncated?: boolean };
  return { rate: j.msgs_per_s ?? 0, truncated: j.truncated === true };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const MB = (b: number) => (b / 2 ** 20).toFixed(1);
const KB = (b: number) => (b / 1024).toFixed(2);
type Figures = Record<string, string>;
const rows = new Map<string, Figures>();

for (const s of SERVERS) {
  const f: Figures = {};
  rows.set(s.label, f);
  if (only.has("idle") || only.has("conns")) {
    const { proc, port } = await start(s, false);
    await sleep(2000);
    const idle = status(proc.pid!, "VmRSS");
    f["idle RSS, JetStream on (MB)"] = MB(idle);
    await burst(port);
    await sleep(12_000);
    const afterBurst = status(proc.pid!, "VmRSS");
    f["idle RSS after 100k core msgs (MB)"] = MB(afterBurst);
    if (only.has("conns")) {
      const clients = await openClients(port, CONNS);
      await sleep(2000);
      const withConns = status(proc.pid!, "VmRSS");
      f[`RSS with ${CONNS} idle clients (MB)`] = MB(withConns);
      f["per connection (KB)"] = KB((withConns - afterBurst) / CONNS);
      const per = Math.ceil(SUBS / clients.length);
      let made = 0;
      await Promise.all(clients.map((c, ci) => {
        let text = "";
        for (let k = 0; k < per && made < SUBS; k++, made++) text += `SUB fp.${ci}.${k} ${k + 1}\r\n`;
        return c.send(text);
      }));
      await sleep(2000);
      const withSubs = status(proc.pid!, "VmRSS");
      f[`RSS with ${SUBS} subscriptions (MB)`] = MB(withSubs);
      f["per subscription (bytes)"] = ((withSubs - withConns) / SUBS).toFixed(0);
      for (const c of clients) c.close();
    }
    await stop(proc);
  }
  if (only.has("store")) {
    const { proc, port } = await start(s, true);
    const j = jsPubAsync(port, 128, STORE_N, "BENCH128");
    const peak = status(proc.pid!, "VmHWM");
    await sleep(5000);
    const settled = status(proc.pid!, "VmRSS");
    f[`store ${STORE_N / 1e6}M × 128 B ChaCha: msgs/s`] = `${Math.round(j.rate)}${j.truncated ? " (truncated)" : ""}`;
    f["peak RSS while storing (MB)"] = MB(peak);
    f["RSS 5 s after (MB)"] = MB(settled);
    await sleep(10_000);
    f["RSS 15 s after (MB)"] = MB(status(proc.pid!, "VmRSS"));
    await stop(proc);
  }
}

if (only.has("pub")) {
  const rates = new Map<string, number[]>();
  // The server's CPU per message: under a neighbour's load the rate swings by tens of percent, the CPU a
  // message costs much less, and where the server is the bottleneck its ratio is the quiet machine's.
  const cpus = new Map<string, number[]>();
  for (let round = 0; round < PUB_ROUNDS; round++) {
    for (const s of SERVERS.slice(0, 2)) {
      for (const size of [128, 1024]) {
        const modes = round % 2 === 0 ? [false, true] : [true, false];
        for (const encrypted of modes) {
          const { proc, port } = await start(s, encrypted);
          const cpu0 = cpuSeconds(proc.pid!);
          const r = jsPubAsync(port, size, PUB_N, `BENCH${size}`);
          const cpu = cpuSeconds(proc.pid!) - cpu0;
          await stop(proc);
          const k = `${s.label}|${size}|${encrypted}`;
          rates.set(k, [...(rates.get(k) ?? []), r.rate]);
          cpus.set(k, [...(cpus.get(k) ?? []), (cpu * 1e6) / PUB_N]);
        }
      }
    }
  }
  for (const s of SERVERS.slice(0, 2)) {
    const f = rows.get(s.label)!;
    for (const size of [128, 1024]) {
      const plain = median(rates.get(`${s.label}|${size}|false`)!);
      const chacha = median(rates.get(`${s.label}|${size}|true`)!);
      f[`js-pub-async ${size} B plaintext / ChaCha: msgs/s (median of ${PUB_ROUNDS})`] = `${Math.round(plain)} / ${Math.round(chacha)}`;
      f[`js-pub-async ${size} B ChaCha / plaintext`] = (chacha / plain).toFixed(2);
      const all = (enc: boolean) => rates.get(`${s.label}|${size}|${enc}`)!.map((x) => Math.round(x)).join(", ");
      f[`js-pub-async ${size} B msgs/s per round, plaintext; ChaCha`] = `${all(false)}; ${all(true)}`;
      const cpuPlain = median(cpus.get(`${s.label}|${size}|false`)!);
      const cpuChaCha = median(cpus.get(`${s.label}|${size}|true`)!);
      f[`js-pub-async ${size} B server CPU µs/msg, plaintext / ChaCha`] = `${cpuPlain.toFixed(2)} / ${cpuChaCha.toFixed(2)}`;
      f[`js-pub-async ${size} B plaintext CPU / ChaCha CPU`] = (cpuPlain / cpuChaCha).toFixed(2);
    }
  }
}

const labels = [...rows.keys()];
const measures = [...new Set([...rows.values()].flatMap((f) => Object.keys(f)))];
const ref = rows.get(SERVERS[0]!.label)!;
const ratio = (v: string | undefined, r: string | undefined) => (v && r && Number(r) > 0 ? (Number.parseFloat(v) / Number.parseFloat(r)).toFixed(2) : "-");
const out = [
  `# Edge footprint — ${new Date().toISOString()}, ${process.arch}, bun bench/footprint.ts`,
  "",
  `| measure | ${labels.join(" | ")} | natsedge / nats-server |`,
  `| --- | ${labels.map(() => "---:").join(" | ")} | ---: |`,
  ...measures.map((m) => `| ${m} | ${labels.map((l) => rows.get(l)![m] ?? "-").join(" | ")} | ${ratio(rows.get(labels[1]!)![m], ref[m])} |`),
].join("\n");
console.log(out);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(join(ROOT, "bench", "results", `footprint-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}Z.md`), out + "\n");
rmSync(WORK, { recursive: true, force: true });
