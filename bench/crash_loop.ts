/**
 * `npm run bench:crash`: the kill -9 loop of issue 22. For each server (natsedge, nats-server) and mode
 * (plain, encrypted), a publisher keeps IN_FLIGHT JetStream publishes outstanding and a durable pull
 * consumer acks what it gets; CYCLES times the server is killed with SIGKILL 0.3–1.5 s after it was
 * started (KILL_AFTER=spawn) or after its stream answered (KILL_AFTER=ready), and restarted on the same
 * directory and port. At the end a fresh consumer drains and the ledger says what was lost or doubled.
 *
 * Env: CYCLES (100 per round), ROUNDS (1), MODES (e.g. "natsedge:plain,nats-server:encrypted"; all four by default), KILL_AFTER,
 * IN_FLIGHT, PAYLOAD, PUB_TIMEOUT_MS, ACK_WAIT_MS, RECONNECT_WAIT_MS, DIAL_TIMEOUT_MS, CIPHER (aes), NATS_SERVER, OUT (JSON
 * lines file for the results), KEEP (leave the store directories), DEBUG (per-cycle lines, client events).
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort } from "./_procs.ts";
import { Consumer, ACK_WAIT_MS, createStream, STREAM, SUBJECT } from "./crash/consumer.ts";
import { Ledger } from "./crash/ledger.ts";
import { type KillWindow, newHealth, openLink, watchConsole } from "./crash/link.ts";
import { untilPong, untilStreamInfo } from "./crash/probe.ts";
import { Publisher } from "./crash/publisher.ts";
import { type Recovery, report, type RunResult } from "./crash/report.ts";
import { type ServerKind, ServerProcess, type ServerSpec, writeConf } from "./crash/server.ts";

const CYCLES = Number(process.env.CYCLES ?? 100);
/** Modes take turns ROUNDS times, so a change in the machine's load falls on all of them alike. */
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const KILL_AFTER = process.env.KILL_AFTER === "ready" ? "ready" : "spawn";
const START_TIMEOUT_MS = 60_000;
/** Disconnects this long after the stream answered again still count as caused by the kill. */
const KILL_GRACE_MS = 500;

const ALL_MODES = ["natsedge:plain", "natsedge:encrypted", "nats-server:plain", "nats-server:encrypted"];
const modes = (process.env.MODES ?? ALL_MODES.join(",")).split(",").map((m) => {
  const [kind, mode] = m.split(":");
  if ((kind !== "natsedge" && kind !== "nats-server") || (mode !== "plain" && mode !== "encrypted")) throw new Error(`bad mode ${m}`);
  return { kind: kind as ServerKind, encrypted: mode === "encrypted" };
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the server and waits until its stream (once created) answers; returns the timings. */
async function start(spec: ServerSpec, conf: string, withStream: boolean): Promise<{ srv: ServerProcess; rec: Recovery }> {
  const srv = new ServerProcess(spec, conf);
  const deadline = srv.spawnedPerf + START_TIMEOUT_MS;
  try {
    const probe = await untilPong(spec.port, deadline);
    const pong = performance.now() - srv.spawnedPerf;
    if (withStream) await untilStreamInfo(probe, STREAM, deadline);
    else probe.sock.destroy();
    const stream = performance.now() - srv.spawnedPerf;
    // The log lines of the startup may still be in the pipe.
    await pause(20);
    return { srv, rec: { pong, stream, milestones: { ...srv.milestones } } };
  } catch (err) {
    await srv.kill();
    throw new Error(`${spec.kind}: ${(err as Error).message}\n${srv.tail.join("\n")}`);
  }
}

async function runMode(kind: ServerKind, encrypted: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `crash-${kind}-`));
  const spec: ServerSpec = { kind, encrypted, dir, port: await freePort() };
  const conf = writeConf(spec);
  let { srv } = await start(spec, conf, false);
  let killing = false;
  let graceUntil = 0;
  const kill: KillWindow = { get open() { return killing || performance.now() < graceUntil; } };
  const health = newHealth();
  watchConsole(health);
  const ledger = new Ledger();
  const pubLink = await openLink(spec.port, "crash-pub", health, kill);
  const conLink = await openLink(spec.port, "crash-con", health, kill);
  await createStream(pubLink);
  const consumer = new Consumer(conLink, ledger);
  const publisher = new Publisher(pubLink, SUBJECT, ledger);
  const began = performance.now();
  let readyAt = performance.now();
  const recoveries: Recovery[] = [];
  const ackedPerCycle: number[] = [];
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const before = ledger.ackedCount;
      const from = KILL_AFTER === "ready" ? readyAt : srv.spawnedPerf;
      await pause(Math.max(0, from + 300 + Math.random() * 1200 - performance.now()));
      killing = true;
      await srv.kill();
      const next = await start(spec, conf, true);
      srv = next.srv;
      readyAt = performance.now();
      graceUntil = readyAt + KILL_GRACE_MS;
      killing = false;
      recoveries.push(next.rec);
      void firstAckAfter(ledger, srv.spawnedPerf).then((at) => (next.rec.firstAck = at));
      ackedPerCycle.push(ledger.ackedCount - before);
      if (process.env.DEBUG) console.log(`  cycle ${cycle + 1}: acked ${ledger.ackedCount - before}, delivered ${ledger.deliveredCount}, consumer restarts ${consumer.restarts}`, JSON.stringify(publisher.stats));
      if ((cycle + 1) % 10 === 0) console.log(`  ${kind} ${encrypted ? "encrypted" : "plain"}: cycle ${cycle + 1}/${CYCLES}, acked ${ledger.ackedCount}`);
    }
    const wallMs = performance.now() - began;
    await publisher.stop();
    // nats.js consume() re-checks the consumer after each reconnect and, when that check fails (the server
    // was killed again meanwhile), waits up to 30 s before pulling again: the drain uses a fresh one.
    const backlog = ledger.missing();
    await consumer.stop();
    const drainLink = await openLink(spec.port, "crash-drain", health, kill);
    const drainer = new Consumer(drainLink, ledger);
    await drain(ledger);
    await drainer.stop();
    await drainLink.close();
    return {
      kind, encrypted, killAfter: KILL_AFTER, cycles: CYCLES, wallMs, tally: ledger.tally(), health: { ...health },
      pub: { ...publisher.stats }, consumerRestarts: consumer.restarts, backlog, ackedPerCycle, recoveries,
    };
  } finally {
    await pubLink.close().catch(() => {});
    await conLink.close().catch(() => {});
    await srv.kill();
    if (process.env.KEEP) console.log(`  store kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds from `spawned` to the first ack after it (acks the killed process sent may arrive late). */
async function firstAckAfter(ledger: Ledger, spawned: number): Promise<number> {
  for (;;) {
    const at = await ledger.nextAck();
    if (at > spawned) return at - spawned;
  }
}

/**
 * Waits until every acknowledged publish was delivered, or nothing was delivered for long enough that
 * redeliveries (an ack wait) have had their chance: a backlog of a million messages takes a while.
 */
async function drain(ledger: Ledger): Promise<void> {
  const idleLimit = 2 * ACK_WAIT_MS + 5000;
  let seen = ledger.deliveredCount;
  let lastProgress = performance.now();
  while (ledger.missing() > 0 && performance.now() - lastProgress < idleLimit) {
    await pause(250);
    if (ledger.deliveredCount !== seen) {
      seen = ledger.deliveredCount;
      lastProgress = performance.now();
    }
  }
}

const results: RunResult[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const m of modes) {
    console.log(`${m.kind} ${m.encrypted ? "encrypted" : "plain"}: ${CYCLES} cycles, kill ${KILL_AFTER}, round ${round}/${ROUNDS}`);
    const r = await runMode(m.kind, m.encrypted);
    results.push(r);
    if (process.env.OUT) appendFileSync(process.env.OUT, JSON.stringify({ at: new Date().toISOString(), round, ...r }) + "\n");
  }
}
console.log("\n" + report(results));
process.exit(0);
