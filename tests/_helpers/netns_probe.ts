/**
 * The client side of the leaf fault test, run inside the test's network namespace (`ip netns exec`): a
 * subscriber at the hub and a publisher at the edge leaf, driven by lines on stdin, answering one JSON line
 * on stdout per command. Both connections reconnect for ever, so a cut link is the leaf's to heal.
 *
 *   ready       until a probe published at the edge reaches the hub (interest has crossed the link)
 *   send N TAG  publishes N messages at the edge, then waits up to 30 s for them at the hub
 */
import { connect } from "@nats-io/transport-node";
import { createInterface } from "node:readline";

const [hubUrl, edgeUrl] = process.argv.slice(2);
const opts = { reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 200 };
const hub = await connect({ servers: hubUrl, ...opts });
const edge = await connect({ servers: edgeUrl, ...opts });
const got = new Map<string, Set<string>>();
let pings = 0;
hub.subscribe("fault.>", {
  callback: (_e, m) => {
    if (m.subject === "fault.ping") {
      pings++;
      return;
    }
    const tag = m.subject.slice("fault.".length);
    let s = got.get(tag);
    if (s === undefined) got.set(tag, (s = new Set()));
    s.add(m.string());
  },
});
await hub.flush();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ready(): Promise<void> {
  const before = pings;
  const deadline = Date.now() + 30_000;
  while (pings === before && Date.now() < deadline) {
    edge.publish("fault.ping", "");
    await sleep(100);
  }
  console.log(JSON.stringify({ cmd: "ready", ok: pings > before }));
}

async function send(n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    edge.publish(`fault.${tag}`, String(i));
    // Paced, so that the link carries many small writes rather than one buffer.
    if (i % 5 === 4) await edge.flush();
  }
  await edge.flush();
  const deadline = Date.now() + 30_000;
  while ((got.get(tag)?.size ?? 0) < n && Date.now() < deadline) await sleep(50);
  console.log(JSON.stringify({ cmd: "send", tag, sent: n, got: got.get(tag)?.size ?? 0 }));
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === "ready") await ready();
  else if (cmd === "send") await send(Number(a), b!);
  else if (cmd === "quit") break;
}
await hub.close();
await edge.close();
process.exit(0);
