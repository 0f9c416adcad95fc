// Mirrors and sources across accounts, in the pattern nats-server's docs and its
// TestJetStreamCrossAccountMirrorsAndSources give: account JS exports its JetStream API (service) and the
// delivery subjects (stream), account IA imports the API under a prefix and sources or mirrors JS's stream
// with `external { api, deliver }`. The flow control replies go back through an imported `$JS.FC.>`. Run the
// same file against nats-server 2.9.10 with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { until } from "../_helpers/leaf.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-xacct-src-"));
let srv: TestServer;
const conns: NatsConnection[] = [];

function conf(): string {
  const file = join(dir, "xacct.conf");
  writeFileSync(file, `
jetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }
accounts {
  JS: {
    jetstream: enabled
    users: [ { user: rip, password: pass } ]
    exports: [
      { service: "$JS.API.>" }
      { service: "$JS.FC.>" }
      { stream: "RI.DELIVER.SYNC.>" }
    ]
  }
  IA: {
    jetstream: enabled
    users: [ { user: dlc, password: pass } ]
    imports: [
      { service: { account: JS, subject: "$JS.API.>" }, to: "RI.JS.API.>" }
      { service: { account: JS, subject: "$JS.FC.>" } }
      { stream: { account: JS, subject: "RI.DELIVER.SYNC.>" } }
    ]
  }
  $SYS: { users: [ { user: admin, password: admin } ] }
}
system_account: "$SYS"
`);
  return file;
}

async function as(user: string): Promise<NatsConnection> {
  const nc = await client(srv, { user, pass: "pass" });
  conns.push(nc);
  return nc;
}

beforeAll(async () => {
  srv = await runServerFromArgs(["-c", conf()]);
});

afterAll(async () => {
  for (const nc of conns.splice(0)) await nc.close();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

async function messages(jsm: JetStreamManager, name: string): Promise<number> {
  return (await jsm.streams.info(name)).state.messages;
}

const external = (deliver: string) => ({ api: "RI.JS.API", deliver });

test("a stream in another account is mirrored and sourced through its imported API and delivery subjects", async () => {
  const ncJS = await as("rip");
  const jsmJS = await jetstreamManager(ncJS);
  await jsmJS.streams.add({ name: "TEST", subjects: ["test.>"] });
  const js = jetstream(ncJS);
  for (let i = 1; i <= 100; i++) await js.publish(`test.${i % 3}`, String(i));

  const jsmIA = await jetstreamManager(await as("dlc"));
  const mirror = await jsmIA.streams.add({ name: "MY_MIRROR_TEST", mirror: { name: "TEST", external: external("RI.DELIVER.SYNC.MIRRORS") } });
  expect(mirror.config.mirror).toEqual({ name: "TEST", external: external("RI.DELIVER.SYNC.MIRRORS") });
  await jsmIA.streams.add({ name: "MY_SOURCE_TEST", sources: [{ name: "TEST", external: external("RI.DELIVER.SYNC.SOURCES"), filter_subject: "test.1" }] });
  await until(async () => (await messages(jsmIA, "MY_MIRROR_TEST")) === 100, "the mirror holding 100", 15_000);
  await until(async () => (await messages(jsmIA, "MY_SOURCE_TEST")) === 34, "the source holding test.1's 34", 15_000);

  // The mirror keeps the origin's sequences; a source marks each message with the origin and its sequence.
  const m = await jsmIA.streams.getMessage("MY_MIRROR_TEST", { seq: 50 });
  expect([m!.subject, m!.string()]).toEqual(["test.2", "50"]);
  const s = await jsmIA.streams.getMessage("MY_SOURCE_TEST", { seq: 2 });
  expect([s!.subject, s!.string()]).toEqual(["test.1", "4"]);
  expect(s!.header.get("Nats-Stream-Source")).toMatch(/^TEST:\S+ 4$/);

  // The links follow: new messages in JS arrive in IA.
  await js.publish("test.1", "101");
  await until(async () => (await messages(jsmIA, "MY_MIRROR_TEST")) === 101, "the mirror following", 15_000);
  await until(async () => (await messages(jsmIA, "MY_SOURCE_TEST")) === 35, "the source following", 15_000);
  const info = await jsmIA.streams.info("MY_MIRROR_TEST");
  expect(info.mirror).toMatchObject({ name: "TEST", external: external("RI.DELIVER.SYNC.MIRRORS"), lag: 0 });
  expect(info.state.last_seq).toBe(101);
  expect((await jsmIA.streams.info("MY_SOURCE_TEST")).sources).toMatchObject([{ name: "TEST", external: external("RI.DELIVER.SYNC.SOURCES"), lag: 0 }]);
  // The origin's consumers for the links are its own, hidden from its lists as nats-server hides them.
  expect((await jsmJS.streams.info("TEST")).state.consumer_count).toBe(0);
}, 60_000);

test("a backlog larger than the flow control window crosses accounts, answered through the imported $JS.FC.>", async () => {
  const ncJS = await as("rip");
  const jsmJS = await jetstreamManager(ncJS);
  await jsmJS.streams.add({ name: "BIG", subjects: ["big.>"] });
  const payload = new Uint8Array(1024);
  const js = jetstream(ncJS);
  const acks = [];
  for (let i = 0; i < 5000; i++) acks.push(js.publish("big.x", payload));
  await Promise.all(acks);
  const jsmIA = await jetstreamManager(await as("dlc"));
  await jsmIA.streams.add({ name: "BIGCOPY", sources: [{ name: "BIG", external: external("RI.DELIVER.SYNC.BIG") }] });
  await until(async () => (await messages(jsmIA, "BIGCOPY")) === 5000, "the 5000-message backlog sourced", 30_000);
}, 60_000);

test("an account's stream of the same name as the origin does not stand in for it: the source names the other account's", async () => {
  const ncJS = await as("rip");
  await (await jetstreamManager(ncJS)).streams.add({ name: "SAME", subjects: ["same.js"] });
  await jetstream(ncJS).publish("same.js", "from JS");
  const ncIA = await as("dlc");
  const jsmIA = await jetstreamManager(ncIA);
  await jsmIA.streams.add({ name: "SAME", subjects: ["same.ia"] });
  await jetstream(ncIA).publish("same.ia", "from IA");
  await jsmIA.streams.add({ name: "BOTH", sources: [{ name: "SAME" }, { name: "SAME", external: external("RI.DELIVER.SYNC.SAME") }] });
  await until(async () => (await messages(jsmIA, "BOTH")) === 2, "one message from each account's SAME", 15_000);
  const got = [1, 2].map(async (seq) => (await jsmIA.streams.getMessage("BOTH", { seq }))!.string());
  expect((await Promise.all(got)).sort()).toEqual(["from IA", "from JS"]);
  expect((await jsmIA.streams.info("BOTH")).sources!.length).toBe(2);
}, 60_000);
