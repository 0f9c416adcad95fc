/**
 * The seed's command lines, verbatim but for the binary (`env NATS_STREAMING_ENCRYPTION_KEY="mykey" natsedge
 * -store file -dir datastore -encrypt [-encryption_cipher ...]`): kill -9 mid-stream loses no acknowledged
 * message and no durable's position, and nothing a client sent is on disk in plaintext.
 */
import { afterEach, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../../_helpers/certs.ts";
import { CliChild } from "../../_helpers/cli_child.ts";
import { freePort } from "../../_helpers/leaf.ts";
import { useCleanup } from "../../_helpers/scope.ts";
import { Collected, type Stan, stanClose, stanConnect, stanPublish } from "../../_helpers/stan.ts";
import { natsedgeCommand, sleep, spawnSync } from "../../_helpers/spawn.ts";

const own = useCleanup();
let dir = "";
const open: Stan[] = [];
afterEach(async () => {
  for (const sc of open.splice(0)) await stanClose(sc).catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

const KEY = { NATS_STREAMING_ENCRYPTION_KEY: "mykey" };

async function serve(datastore: string, extra: string[] = [], env: Record<string, string> = KEY): Promise<CliChild> {
  return own(await CliChild.start(["-a", "127.0.0.1", "-p", "-1", "-store", "file", "-dir", datastore, "-encrypt", ...extra], env));
}

async function client(port: number, id: string): Promise<Stan> {
  const sc = await stanConnect(port, id);
  open.push(sc);
  return sc;
}

/** Every file under `root` as bytes. */
function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, readFileSync(p));
    }
  };
  walk(root);
  return out;
}

/** Resolves once `c` has seen `n` distinct sequences above `seq`. */
function untilAbove(c: Collected, seq: number, n: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`resumed with ${c.seqs().join(",")}`)), 10_000);
    const check = () => {
      if (new Set(c.seqs().filter((s) => s > seq)).size === n) {
        clearTimeout(timer);
        resolve();
      }
    };
    c.sub.on("message", check);
    check();
  });
}

/** Every file under `root` as bytes, copied. */
const snapshot = (root: string): Map<string, Buffer> => new Map([...files(root)].map(([p, b]) => [p, Buffer.from(b)]));

for (const cipher of [[], ["-encryption_cipher", "CHACHA"], ["-encryption_cipher", "AES"]]) {
  test(`kill -9 with a durable mid-stream loses no acked message (${cipher.join(" ") || "default cipher"})`, async () => {
    dir = scratchDir("natsedge-stan-");
    const datastore = join(dir, "datastore");
    const first = await serve(datastore, cipher);
    const pub = await client(first.port, "publisher");
    const worker = await stanConnect(first.port, "worker");
    const durable = () => worker.subscriptionOptions().setDurableName("orders-worker").setDeliverAllAvailable().setManualAckMode(true);
    const before = await Collected.subscribe(worker, "orders", durable(), undefined, (m) => {
      if (m.getSequence() <= 20) m.ack();
    });
    const sent = Array.from({ length: 40 }, (_, i) => `secret-order-${i + 1}`);
    for (const t of sent) await stanPublish(pub, "orders", t);
    await before.until(40);
    await first.close();
    open.splice(0);

    const second = await serve(datastore, cipher);
    const again = await client(second.port, "worker");
    const after = await Collected.subscribe(again, "orders", again.subscriptionOptions().setDurableName("orders-worker").setManualAckMode(true), undefined, (m) => m.ack());
    // 21..40 were never acked: they come back (the request's start position, new only, is ignored); 1..20 may
    // too, since acks are written every 100 ms.
    await untilAbove(after, 20, 20);
    const reader = await client(second.port, "reader");
    const all = await Collected.subscribe(reader, "orders", reader.subscriptionOptions().setDeliverAllAvailable());
    await all.until(40);
    expect(all.texts()).toEqual(sent);

    for (const [path, bytes] of files(datastore)) {
      for (const needle of ["secret-order", "orders-worker", "orders", "worker"]) {
        expect(`${path}: ${bytes.includes(needle) ? needle : ""}`).toBe(`${path}: `);
      }
    }
  });
}

for (const cipher of [["-encryption_cipher", "CHACHA"], ["-encryption_cipher", "AES"]]) {
  test(`kill -9 with thousands of publishes in flight: every acked message is there after the restart (${cipher[1]})`, async () => {
    dir = scratchDir("natsedge-stan-");
    const datastore = join(dir, "datastore");
    const first = await serve(datastore, cipher);
    const pub = await stanConnect(first.port, "pipeliner");
    // The connection drops under the client at the kill: its publishes still in flight fail, which is expected.
    pub.on("error", () => {});
    const N = 10_000;
    const sent = Array.from({ length: N }, (_, i) => `pipelined-${i}`);
    const acked: number[] = [];
    let killedAt = -1;
    const killed = new Promise<void>((resolve) => {
      sent.forEach((t, i) =>
        pub.publish("flood", t, (err) => {
          if (err || killedAt >= 0) return;
          acked.push(i);
          // Killed while most of the publishes are still waiting for their acks (or not even sent).
          if (acked.length === 1_000) {
            killedAt = acked.length;
            first.signal("SIGKILL");
            resolve();
          }
        })
      );
    });
    await killed;
    await first.exited;

    const second = await serve(datastore, cipher);
    const reader = await client(second.port, "reader");
    const all = await Collected.subscribe(reader, "flood", reader.subscriptionOptions().setDeliverAllAvailable().setMaxInFlight(N + 1));
    const marker = await client(second.port, "marker");
    await stanPublish(marker, "flood", "end");
    await new Promise<void>((resolve) => {
      const check = () => all.texts().at(-1) === "end" && resolve();
      all.sub.on("message", check);
      check();
    });
    const stored = all.texts().slice(0, -1);
    expect(killedAt).toBe(1_000);
    // What was written is what was sent, in order, up to the kill; every ack came from within it.
    expect(stored).toEqual(sent.slice(0, stored.length));
    expect(stored.length).toBeGreaterThanOrEqual(Math.max(...acked) + 1);
  }, 60_000);
}

test("after a clean stop a durable's unacknowledged messages come first, flagged redelivered", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const first = await serve(datastore);
  const worker = await stanConnect(first.port, "worker");
  const opts = () => worker.subscriptionOptions().setDurableName("w").setDeliverAllAvailable().setManualAckMode(true);
  const before = await Collected.subscribe(worker, "jobs", opts(), undefined, (m) => {
    if (m.getSequence() === 1) m.ack();
  });
  for (const t of ["a", "b", "c"]) await stanPublish(worker, "jobs", t);
  await before.until(3);
  first.signal("SIGTERM");
  expect(await first.exited).toBe(0);
  const second = await serve(datastore);
  const again = await client(second.port, "worker");
  const after = await Collected.subscribe(again, "jobs", opts());
  await after.until(2);
  expect(after.msgs.map((m) => [String(m.getData()), m.isRedelivered()])).toEqual([["b", true], ["c", true]]);
});

test("acks are written within the persist window: after kill -9 only messages acked in the last window can come back", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const first = await serve(datastore);
  const worker = await stanConnect(first.port, "worker");
  const opts = () => worker.subscriptionOptions().setDurableName("w").setDeliverAllAvailable().setManualAckMode(true).setMaxInFlight(100);
  let ackUpTo = 20;
  const before = await Collected.subscribe(worker, "acks", opts(), undefined, (m) => {
    if (m.getSequence() <= ackUpTo) m.ack();
  });
  for (let i = 1; i <= 40; i++) await stanPublish(worker, "acks", `m${i}`);
  await before.until(40);
  // A publish on the same connection is answered after the acks sent before it have been handled.
  await stanPublish(worker, "other", "fence");
  // Acks are batched every 100 ms (channel.ts PERSIST_DELAY_MS); a second leaves room for a loaded machine.
  await sleep(1000);
  // Acked just before the kill: these may or may not be written yet.
  ackUpTo = 25;
  for (const m of before.msgs) if (m.getSequence() > 20 && m.getSequence() <= 25) m.ack();
  await stanPublish(worker, "other", "fence");
  await first.close();

  const second = await serve(datastore);
  const again = await client(second.port, "worker");
  const after = await Collected.subscribe(again, "acks", opts());
  await untilAbove(after, 25, 15);
  expect(after.seqs().filter((s) => s <= 20)).toEqual([]);
  expect(after.msgs.every((m) => m.isRedelivered())).toBe(true);
});

test("a client whose connection reconnects after kill -9 goes on publishing, and its durable, plain and queue subscriptions on delivering", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const port = String(await freePort());
  const args = ["-a", "127.0.0.1", "-p", port, "-store", "file", "-dir", datastore, "-encrypt"];
  const first = own(await CliChild.start(args, KEY));
  const sc = await stanConnect(first.port, "survivor", "test-cluster", { reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 50 } as never);
  open.push(sc);
  const sub = await Collected.subscribe(sc, "log", sc.subscriptionOptions().setDurableName("tail").setDeliverAllAvailable());
  const plain = await Collected.subscribe(sc, "log", sc.subscriptionOptions());
  const member = await Collected.subscribe(sc, "log", sc.subscriptionOptions(), "readers");
  await stanPublish(sc, "log", "before");
  await Promise.all([sub.until(1), plain.until(1), member.until(1)]);
  await first.close();
  const reconnected = new Promise<void>((resolve) => (sc as unknown as { nc: { once(e: string, f: () => void): void } }).nc.once("reconnect", () => resolve()));
  own(await CliChild.start(args, KEY));
  await reconnected;
  await stanPublish(sc, "log", "after");
  await Promise.all([sub.until(2), plain.until(2), member.until(2)]);
  for (const c of [sub, plain, member]) expect(c.texts().at(-1)).toBe("after");
});

test("a plaintext store opened with -encrypt is served, and AES and CHACHA records are read after each switch", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const runs: [string[], string][] = [[[], "plain"], [["-encrypt", "-encryption_cipher", "AES"], "aes"], [["-encrypt", "-encryption_cipher", "CHACHA"], "chacha"], [["-encrypt", "-encryption_cipher", "AES"], "aes-again"]];
  const written: string[] = [];
  for (const [flags, text] of runs) {
    const srv = own(await CliChild.start(["-a", "127.0.0.1", "-p", "-1", "-store", "file", "-dir", datastore, ...flags], KEY));
    const sc = await client(srv.port, `switch-${text}`);
    await stanPublish(sc, "mixed", text);
    written.push(text);
    const all = await Collected.subscribe(sc, "mixed", sc.subscriptionOptions().setDeliverAllAvailable());
    await all.until(written.length);
    expect(all.texts()).toEqual(written);
    await stanClose(open.pop()!);
    await srv.close();
  }
});

test("a wrong key: STAN starts and serves connects, logs what it cannot open, and the right key serves everything again", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const right = await serve(datastore);
  const sc = await stanConnect(right.port, "keeper");
  await stanPublish(sc, "vault", "kept");
  await stanClose(sc);
  await right.close();

  const before = snapshot(datastore);
  const wrong = await serve(datastore, [], { NATS_STREAMING_ENCRYPTION_KEY: "not-my-key" });
  expect(wrong.lines.some((l) => /\[ERR\] STREAM: Unable to recover channel .*authentication failed/.test(l))).toBe(true);
  const other = await client(wrong.port, "keeper");
  // Asked for by name, the sealed channel is found (salted names) but cannot be read: the lookup is logged as
  // nats-streaming-server logs it, the client is refused, and nothing is created over the channel.
  const refused = await Collected.subscribe(other, "vault", other.subscriptionOptions().setDeliverAllAvailable()).then(
    () => "subscribed",
    (e: Error) => e.message,
  );
  expect(refused).toMatch(/Error looking up message vault:1 \((cipher|chacha20poly1305): message authentication failed\)/);
  await expect(stanPublish(other, "vault", "lost?")).rejects.toThrow(/Error looking up message vault:1/);
  await stanPublish(other, "elsewhere", "fine");
  // The log comes on stderr, the refusal over TCP: either may be read first.
  await wrong.waitLog(/\[ERR\] STREAM: Error looking up message vault:1 \((cipher|chacha20poly1305): message authentication failed\)/);
  // A channel of another name is not blamed on the sealed one: its name would have found it.
  expect(wrong.lines.some((l) => /Error looking up channel "elsewhere"/.test(l))).toBe(false);
  await stanClose(open.pop()!);
  await wrong.close();

  // Nothing that was there is rewritten under the wrong key.
  const after = snapshot(datastore);
  for (const [path, bytes] of before) expect(`${path} ${after.get(path)?.equals(bytes)}`).toBe(`${path} true`);

  const again = await serve(datastore);
  const reader = await client(again.port, "keeper");
  const all = await Collected.subscribe(reader, "vault", reader.subscriptionOptions().setDeliverAllAvailable());
  await all.until(1);
  expect(all.texts()).toEqual(["kept"]);
});

test("a damaged block: its messages are logged as nats-streaming-server logs a failed lookup, the rest delivered, nothing rewritten", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const first = await serve(datastore);
  const sc = await stanConnect(first.port, "writer");
  const sent = Array.from({ length: 50 }, (_, i) => `${"x".repeat(1000)}-${i + 1}`);
  for (const t of sent) await stanPublish(sc, "orders", t);
  await stanClose(sc);
  await first.close();
  // The middle of the channel's one segment: one sealed block fails its authentication.
  const [segment, bytes] = [...files(datastore)].filter(([p]) => p.includes("/msgs/")).sort((a, b) => b[1].length - a[1].length)[0]!;
  bytes[bytes.length >> 1]! ^= 0xff;
  writeFileSync(segment, bytes);

  const second = await serve(datastore);
  const reader = await client(second.port, "reader");
  let sawNew: () => void = () => {};
  const newArrived = new Promise<void>((resolve) => (sawNew = resolve));
  const all = await Collected.subscribe(reader, "orders", reader.subscriptionOptions().setDeliverAllAvailable(), undefined, (m) => {
    if (String(m.getData()) === "new") sawNew();
  });
  await stanPublish(reader, "orders", "new");
  await newArrived;
  const missing = sent.map((_, i) => i + 1).filter((s) => !all.seqs().includes(s));
  expect(missing.length).toBeGreaterThan(0);
  expect(all.seqs().length).toBe(sent.length + 1 - missing.length);
  const line = await second.waitLog(/Error looking up message/);
  expect(line).toMatch(new RegExp(`\\[ERR\\] STREAM: Error looking up message orders:${missing[0]} \\((cipher|chacha20poly1305): message authentication failed\\) in segment 1 at offset \\d+`));
  expect(readFileSync(segment).subarray(0, bytes.length).equals(bytes)).toBe(true);
});

test("core NATS, JetStream and NATS Streaming in one process, their stores side by side under one directory", async () => {
  dir = scratchDir("natsedge-stan-");
  const datastore = join(dir, "datastore");
  const srv = own(await CliChild.start(["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", datastore, "-store", "file", "-dir", datastore, "-encrypt"], KEY));
  const { connect } = await import("@nats-io/transport-node");
  const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: `127.0.0.1:${srv.port}`, reconnect: false });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: "JS", subjects: ["js.>"] });
    expect((await jetstream(nc).publish("js.a", "j")).seq).toBe(1);
    const sc = await client(srv.port, "both");
    const sub = await Collected.subscribe(sc, "stan", sc.subscriptionOptions());
    await stanPublish(sc, "stan", "s");
    await sub.until(1);
    expect(readdirSync(datastore).sort()).toEqual(["jetstream", "streaming"]);
  } finally {
    await nc.close();
  }
});

test("-encrypt without any key does not start, and says how to give one", async () => {
  dir = scratchDir("natsedge-stan-");
  const r = spawnSync([...natsedgeCommand(), "-p", "-1", "-store", "file", "-dir", join(dir, "d"), "-encrypt"], {
    env: { ...process.env, NATS_STREAMING_ENCRYPTION_KEY: "" },
    stderr: "pipe",
    stdout: "pipe",
  });
  expect(r.exitCode).not.toBe(0);
  expect(r.stderr.toString()).toContain("NATS_STREAMING_ENCRYPTION_KEY");
});
