// Property test for interest across routes: on a mesh of two natsedge servers and one nats-server 2.9.10,
// random subscribes and unsubscribes (plain and queue, literal and wildcard) on random servers; then every
// server publishes once on every subject, and each plain subscription must get exactly the matching
// messages and each queue group each matching message exactly once, cluster-wide.
// Barriers instead of sleeps: a route carries its RS+/RS- and messages in order, so once a request from
// server X reaches a sentinel subscribed on server Y after the churn, X has seen all of Y's interest; and
// once every server's sentinel answered every publisher after its publishes, every message has arrived.
// Seeds are fixed so a run is reproducible; FC_SEED=<n> explores others, FC_RUNS_SCALE=<k> runs k times more.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { type NatsServerProcess, startNatsServer } from "../_helpers/nats_server.ts";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez } from "../_helpers/route.ts";
import { matchLiteral } from "../../src/subject/subject.ts";

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x726f7574;
const RUNS_SCALE = Number(process.env.FC_RUNS_SCALE ?? 1);

const SUBJECTS = ["a.b", "a.c", "a.*", "a.>", "x", ">"];
const PUBLISH = ["a.b", "a.c", "x"];
const QUEUES = [null, null, "q1", "q2"];

interface Op {
  server: number;
  subject: string;
  queue: string | null;
  /** Unsubscribe the n-th live subscription instead, when there is one. */
  unsub: number | null;
}

const op: fc.Arbitrary<Op> = fc.record({
  server: fc.integer({ min: 0, max: 2 }),
  subject: fc.constantFrom(...SUBJECTS),
  queue: fc.constantFrom(...QUEUES),
  unsub: fc.option(fc.nat(20), { freq: 3 }),
});

interface Live {
  server: number;
  subject: string;
  queue: string | null;
  sub: Subscription;
  got: string[];
}

let seed: TestServer;
let member: TestServer;
let reference: NatsServerProcess;
let ncs: NatsConnection[] = [];

beforeAll(async () => {
  seed = await runServer({ config: `server_name: s\ncluster {\n name: prop\n listen: "127.0.0.1:-1"\n}` });
  const url = `nats-route://127.0.0.1:${edgeClusterPort(seed)}`;
  member = await runServer({ config: `server_name: m\ncluster {\n name: prop\n listen: "127.0.0.1:-1"\n routes = ["${url}"]\n}` });
  reference = await startNatsServer(`server_name: ns\ncluster { name: prop\nlisten: "127.0.0.1:-1"\nroutes = ["${url}"] }`);
  await until(() => edgeRoutez(seed).length === 2 && edgeRoutez(member).length === 2, "a full mesh of three");
  ncs = [await client(seed), await client(member), await connect({ servers: `127.0.0.1:${reference.port}`, reconnect: false })];
});

afterAll(async () => {
  for (const nc of ncs) await nc.close();
  await reference?.close();
  await member?.close();
  await seed?.close();
});

/** Waits until a request from every server reaches a sentinel on every other server (see the header). */
async function barrier(tag: string): Promise<void> {
  const sentinels = ncs.map((nc, i) => nc.subscribe(`sync.${tag}.${i}`, { callback: (_e, m) => void m.respond("ok") }));
  for (const nc of ncs) await nc.flush();
  for (let from = 0; from < ncs.length; from++) {
    for (let to = 0; to < ncs.length; to++) {
      if (from === to) continue;
      await until(async () => {
        try {
          await ncs[from]!.request(`sync.${tag}.${to}`, "", { timeout: 200 });
          return true;
        } catch {
          return false;
        }
      }, `server ${from} reaching the sentinel on server ${to}`);
    }
  }
  for (const s of sentinels) s.unsubscribe();
}

describe("route interest after churn", () => {
  test("every publish reaches exactly the right subscribers", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run++;
        const live: Live[] = [];
        try {
          await churnAndCheck(ops, live, run);
        } finally {
          for (const l of live) l.sub.unsubscribe();
          for (const nc of ncs) await nc.flush();
        }
      }),
      { seed: SEED, numRuns: Math.ceil(8 * RUNS_SCALE) },
    );
  }, 120_000);
});

async function churnAndCheck(ops: Op[], live: Live[], run: number): Promise<void> {
  for (const o of ops) {
    if (o.unsub !== null && live.length > 0) {
      const [gone] = live.splice(o.unsub % live.length, 1);
      gone!.sub.unsubscribe();
      continue;
    }
    const got: string[] = [];
    const sub = ncs[o.server]!.subscribe(o.subject, { ...(o.queue !== null ? { queue: o.queue } : {}), callback: (_e, m) => void got.push(m.subject + "@" + m.string()) });
    live.push({ server: o.server, subject: o.subject, queue: o.queue, sub, got });
  }
  await barrier(`${run}.a`);
  const sent: string[] = [];
  for (let i = 0; i < ncs.length; i++) {
    for (const s of PUBLISH) {
      ncs[i]!.publish(s, `${run}.${i}`);
      sent.push(`${s}@${run}.${i}`);
    }
  }
  await barrier(`${run}.b`);
  for (const l of live) {
    if (l.queue !== null) continue;
    const want = sent.filter((m) => matchLiteral(m.slice(0, m.indexOf("@")), l.subject));
    expect(ours(l.got, run)).toEqual(want.sort());
  }
  // A queue group is its name, whatever subjects its members chose (nats-server's sublist groups a
  // match's queue subscriptions by name): each message matching any member goes to one member.
  for (const q of ["q1", "q2"]) {
    const members = live.filter((l) => l.queue === q);
    if (members.length === 0) continue;
    const want = sent.filter((m) => members.some((l) => matchLiteral(m.slice(0, m.indexOf("@")), l.subject)));
    expect(ours(members.flatMap((l) => l.got), run)).toEqual(want.sort());
  }
}

/** The messages this run published, sorted: a wildcard subscriber also sees the barriers' requests and replies. */
function ours(got: string[], run: number): string[] {
  return got.filter((g) => PUBLISH.includes(g.slice(0, g.indexOf("@"))) && g.slice(g.indexOf("@") + 1).startsWith(`${run}.`)).sort();
}
