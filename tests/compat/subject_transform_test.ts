// src/subject/transform.ts against nats-server 2.9.10 itself: the same mappings configured as account
// subject mappings on a real nats-server, a subject published through each, and the subject it arrives on
// compared with compile(src, dest).apply(subject). Partition must hash as nats-server does (FNV-1a 32 over
// the selected tokens, concatenated). Skipped without nats-server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { compile } from "../../src/subject/mod.ts";

const HAVE_NATS_SERVER = spawnSync("nats-server", ["--version"]).status === 0;

const MAPPINGS: [src: string, dest: string, subjects: string[]][] = [
  ["part.*.*", "p1.{{partition(7,1,2)}}.{{wildcard(1)}}", ["part.a.b", "part.order-17.eu", "part.ключ.x", "part.1.2"]],
  ["pone.*", "p2.{{partition(3,1)}}", ["pone.alpha", "pone.beta", "pone.gamma", "pone.delta"]],
  ["spl.*", "s1.{{split(1,-)}}", ["spl.-abc-def--ghi-", "spl.nodash"]],
  ["sfl.*", "s2.{{splitFromLeft(1,2)}}", ["sfl.12345", "sfl.1"]],
  ["sfr.*", "s3.{{SplitFromRight(1,2)}}", ["sfr.12345"]],
  ["slf.*", "s4.{{sliceFromLeft(1,2)}}", ["slf.1234567", "slf.123456"]],
  ["slr.*", "s5.{{sliceFromRight(1,3)}}", ["slr.1234567"]],
  ["sw.*.*.>", "s6.$2.{{wildcard(1)}}.>", ["sw.a.b.c.d"]],
];

describe.skipIf(!HAVE_NATS_SERVER)("subject transforms map as nats-server 2.9.10's mappings do", () => {
  let ref: NatsServerProcess;
  let nc: NatsConnection;

  beforeAll(async () => {
    const conf = `mappings = {\n${MAPPINGS.map(([s, d]) => `  "${s}": "${d}"`).join("\n")}\n}`;
    ref = await startNatsServer(conf);
    nc = await connect({ servers: `127.0.0.1:${ref.port}`, reconnect: false });
  });
  afterAll(async () => {
    await nc?.close();
    await ref?.close();
  });

  for (const [src, dest, subjects] of MAPPINGS) {
    test(`${src} -> ${dest}`, async () => {
      const t = compile(src, dest);
      const got: string[] = [];
      const sub = nc.subscribe(">", { callback: (_e, m) => void got.push(m.subject) });
      for (const s of subjects) nc.publish(s, "x");
      await nc.flush();
      sub.unsubscribe();
      expect(got).toEqual(subjects.map((s) => t.apply(s)!));
    });
  }
});
