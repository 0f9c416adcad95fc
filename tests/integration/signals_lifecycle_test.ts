/**
 * Signals and process lifecycle through the natsedge executable: the ports and pid files appear and
 * disappear, SIGUSR2 drains clients in lame duck mode and exits, SIGUSR1 reopens the log file,
 * `--signal reload=<pidfile>` reaches the server, SIGTERM exits cleanly. Lame duck timing and log rotation
 * run in-process (the config file refuses a lame_duck_duration under 30s, the embedding options do not).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawConn, runServer } from "../_helpers/server.ts";
import { CliChild, waitForFile } from "../_helpers/cli_child.ts";
import { scratchDir } from "../_helpers/certs.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { enterLameDuck } from "../../src/server/lame_duck.ts";
import { fileSink } from "../../src/log/file_sink.ts";
import { Logger } from "../../src/log/logger.ts";
import { runCli } from "../../src/cli/cli.ts";
import { natsedgeCommand, spawn } from "../_helpers/spawn.ts";

const own = useCleanup();
let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

async function connect(port: number): Promise<RawConn> {
  const c = own(await RawConn.open(port));
  await c.waitFor("INFO ");
  c.send(`CONNECT {"verbose":false,"protocol":1}\r\n`);
  await c.sync();
  return c;
}

describe("process lifecycle", () => {
  test("ports and pid files appear; SIGUSR2 sends ldm INFO, drains and exits; files are removed", async () => {
    dir = scratchDir("natsedge-sig-");
    const pidFile = join(dir, "natsedge.pid");
    writeFileSync(join(dir, "server.conf"), "lame_duck_duration: 30s\nlame_duck_grace_period: 0s\n");
    const child = own(await CliChild.start(["-c", join(dir, "server.conf"), "-a", "127.0.0.1", "-p", "-1", "-m", "-1", "--ports_file_dir", dir, "-P", pidFile]));
    const portsFile = join(dir, `natsedge_${child.pid}.ports`);
    const ports = JSON.parse(readFileSync(portsFile, "utf8")) as { nats: string[]; monitoring: string[] };
    expect(ports.nats).toEqual([`nats://127.0.0.1:${child.port}`]);
    expect(ports.monitoring[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${ports.monitoring[0]}/healthz`)).status).toBe(200);
    // nats-server writes the bare PID, no newline.
    expect(readFileSync(pidFile, "utf8")).toBe(String(child.pid));

    const c = await connect(child.port);
    child.signal("SIGUSR2");
    await c.waitFor(/INFO \{[^\r]*"ldm":true/);
    await c.waitClosed();
    expect(await child.exited).toBe(0);
    await child.waitLog(/Entering lame duck mode, stop accepting new clients/);
    expect(existsSync(portsFile)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
  });

  test("SIGUSR1 reopens the log file; --signal reload=<pidfile> reaches the server; SIGTERM exits 0", async () => {
    dir = scratchDir("natsedge-sig-");
    const log = join(dir, "natsedge.log");
    const pidFile = join(dir, "natsedge.pid");
    const conf = join(dir, "server.conf");
    writeFileSync(conf, "debug: false\n");
    const proc = spawn([...natsedgeCommand(), "-c", conf, "-a", "127.0.0.1", "-p", "-1", "-l", log, "-P", pidFile], {
      stdout: "ignore",
      stderr: "ignore",
    });
    own({ close: () => proc.kill("SIGKILL") });
    await waitForFile(log, (t) => t?.includes("Server is ready") === true);
    renameSync(log, `${log}.1`);
    process.kill(proc.pid, "SIGUSR1");
    expect(await waitForFile(log, (t) => t !== null)).toContain("[INF] File log re-opened");

    expect(await runCli(["--signal", `reload=${pidFile}`])).toBe(0);
    await waitForFile(log, (t) => t?.includes("Reloaded server configuration") === true);
    process.kill(proc.pid, "SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(readFileSync(log, "utf8")).toContain("Server Exiting..");
  });

  test("without a file logger, SIGUSR1 says so; without -c, SIGHUP cannot reload", async () => {
    const child = own(await CliChild.start(["-a", "127.0.0.1", "-p", "-1"]));
    child.signal("SIGUSR1");
    await child.waitLog(/\[INF\] File log re-open ignored, not a file logger/);
    child.signal("SIGHUP");
    await child.waitLog(/\[ERR\] Failed to reload server configuration: can only reload config when a file is provided using -c or --config/);
  });
});

describe("lame duck mode", () => {
  test("stops accepting, notifies protocol-1 clients, closes them over the duration, shuts down", async () => {
    const srv = own(await runServer({ lame_duck_duration: 400, lame_duck_grace_period: 100 }));
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(srv.port)));
    const legacy = own(await RawConn.open(srv.port));
    await legacy.waitFor("INFO ");
    legacy.send(`CONNECT {"verbose":false,"protocol":0}\r\n`);
    await legacy.sync();
    legacy.clear();

    const started = Date.now();
    const done = enterLameDuck(srv.server);
    for (const c of clients) await c.waitFor(/INFO \{[^\r]*"ldm":true/);
    // The listener is closed: a new connection is refused.
    await expect(RawConn.open(srv.port)).rejects.toThrow();
    for (const c of clients) await c.waitClosed();
    await done;
    await srv.server.lifecycle.done;
    // Closes start after the grace period and are spread: 5 clients over 400-100ms, at least half of the
    // 60ms spacing between two closes.
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 + 4 * 30);
    expect(legacy.received).not.toContain("ldm");
    const reasons = srv.server.lifecycle.closed.list().map((c) => c.reason);
    expect(reasons.filter((r) => r === "Server Shutdown").length).toBe(5);
    expect(srv.logs.some((l) => l.includes("[INF] Closing existing clients"))).toBe(true);
  });
});

describe("log file rotation", () => {
  test("log_size_limit renames the file with nats-server's backup naming and notes it in the new file", () => {
    dir = scratchDir("natsedge-log-");
    const file = join(dir, "n.log");
    const log = new Logger({ pid: 7, debug: false, trace: false, logtime: true, logtimeUTC: false, sink: fileSink(file, 200) });
    for (let i = 0; i < 5; i++) log.notice(`line ${i} ${"x".repeat(60)}`);
    const backups = readdirSync(dir).filter((f) => f !== "n.log");
    expect(backups.length).toBeGreaterThan(0);
    for (const b of backups) expect(b).toMatch(/^n\.log\.\d{4}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{9}$/);
    expect(readFileSync(file, "utf8")).toMatch(/^\[7\] \d{4}\/\d\d\/\d\d [\d:.]+ \[INF\] Rotated log, backup saved as ".*n\.log\.[\d.]+"\n/);
  });
});
