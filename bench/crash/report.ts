/** The crash loop's tables: counts per server and mode, recovery times, and natsedge/nats-server ratios. */
import type { Tally } from "./ledger.ts";
import type { Health } from "./link.ts";
import type { PubStats } from "./publisher.ts";
import type { Milestones, ServerKind } from "./server.ts";

export interface Recovery {
  /** Milliseconds from spawn until PING answered, and until STREAM.INFO answered. */
  pong: number;
  stream: number;
  /** From spawn until the publisher got its first ack from the new process. */
  firstAck?: number;
  milestones: Milestones;
}

export interface RunResult {
  kind: ServerKind;
  encrypted: boolean;
  killAfter: string;
  cycles: number;
  wallMs: number;
  tally: Tally;
  health: Health;
  pub: PubStats;
  consumerRestarts: number;
  /** Acknowledged messages the loop's consumer had not received when the loop ended. */
  backlog: number;
  ackedPerCycle: number[];
  recoveries: Recovery[];
}

const mode = (r: RunResult) => (r.encrypted ? "encrypted" : "plain");

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "-");

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ")).join("\n");
}

/** p50/p95/max of one recovery figure, "-" when the log had no such line. */
function spread(rs: Recovery[], f: (r: Recovery) => number | undefined): string {
  const xs = rs.map(f).filter((x): x is number => x !== undefined);
  return `${ms(pct(xs, 50))}/${ms(pct(xs, 95))}/${ms(Math.max(...xs))}`;
}

export function report(results: RunResult[]): string {
  const out: string[] = [];
  out.push(table(
    ["server", "mode", "cycles", "acked", "acked/cycle", "lost", "redelivered", "repeated(unflagged)", "dup ids(diff seq)", "reused seqs", "garbled lines", "garbled bodies", "broken conns", "-ERR", "consumer restarts", "backlog at end", "pub failed(503/timeout)", "acked/s"],
    results.map((r) => [
      r.kind, mode(r), r.cycles, r.tally.acked, Math.round(r.tally.acked / r.cycles), r.tally.lost, r.tally.redelivered,
      r.tally.repeatedUnflagged, r.tally.duplicateIds, r.tally.reusedSeqs, r.health.garbled, r.tally.garbledBodies,
      r.health.broken, r.health.serverErrors, r.consumerRestarts, r.backlog, `${r.pub.failed}(${r.pub.noResponders}/${r.pub.timeouts})`,
      Math.round(r.tally.acked / (r.wallMs / 1000)),
    ]),
  ));
  out.push("");
  out.push("recovery per restart, ms after spawn, p50/p95/max (first ack: the publisher's; log lines: first line, Starting JetStream, Restored, Listening, ready)");
  out.push(table(
    ["server", "mode", "PING", "STREAM.INFO", "first ack", "first log", "JetStream", "restored", "listening", "ready"],
    results.map((r) => [
      r.kind, mode(r), spread(r.recoveries, (x) => x.pong), spread(r.recoveries, (x) => x.stream),
      spread(r.recoveries, (x) => x.firstAck),
      spread(r.recoveries, (x) => x.milestones.firstLine), spread(r.recoveries, (x) => x.milestones.jetstream),
      spread(r.recoveries, (x) => x.milestones.restored), spread(r.recoveries, (x) => x.milestones.listening),
      spread(r.recoveries, (x) => x.milestones.ready),
    ]),
  ));
  out.push("");
  const perCycle = (kind: ServerKind, enc: boolean): number => {
    const rs = results.filter((r) => r.kind === kind && r.encrypted === enc);
    return rs.reduce((n, r) => n + r.tally.acked, 0) / rs.reduce((n, r) => n + r.cycles, 0);
  };
  for (const enc of [false, true]) {
    const a = perCycle("natsedge", enc);
    const b = perCycle("nats-server", enc);
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    out.push(`acked per cycle natsedge/nats-server (${enc ? "encrypted" : "plain"}, kill ${results[0]!.killAfter}, all rounds): ${Math.round(a)} / ${Math.round(b)} = ${(a / b).toFixed(2)}`);
  }
  return out.join("\n");
}
