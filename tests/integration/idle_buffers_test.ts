// A connection gives its outbound buffer back at the ping timer once quiet (src/connection/outbound.ts);
// deliveries after each quiet spell, bigger than the first allocation, arrive whole and in order. The same
// wire exchange holds against nats-server 2.9.10 (NATSEDGE_REFERENCE_SERVER).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { client, RawConn, runServer, type TestServer } from "../_helpers/server.ts";

let srv: TestServer;
let pub: NatsConnection;
beforeAll(async () => {
  // A short ping interval: the server pings a quiet connection once per interval, when natsedge releases.
  srv = await runServer({ ping_interval: 100, ping_max: 1000 });
  pub = await client(srv);
});
afterAll(async () => {
  await pub.close();
  await srv.close();
});

const SIZE = 2048;
const COUNT = 64;
const payload = (round: number, i: number) => `${round}.${i}:`.padEnd(SIZE, String.fromCharCode(97 + (i % 26)));

test("after each quiet spell (a server PING), a burst of deliveries arrives whole and in order", async () => {
  const sub = await RawConn.open(srv.port);
  sub.send('CONNECT {"verbose":false,"pedantic":false}\r\nSUB idle.x 1\r\nPING\r\n');
  await sub.waitFor("PONG\r\n", 10_000);
  for (let round = 0; round < 3; round++) {
    sub.clear();
    await sub.waitFor("PING\r\n", 10_000);
    sub.send("PONG\r\n");
    for (let i = 0; i < COUNT; i++) pub.publish("idle.x", payload(round, i));
    await pub.flush();
    const text = await sub.waitUntil((t) => (t.match(/MSG idle\.x 1 /g) ?? []).length === COUNT && t.endsWith("\r\n"), `${COUNT} messages`, 10_000);
    const got = [...text.matchAll(/MSG idle\.x 1 (\d+)\r\n([^\r]*)\r\n/g)].map((m) => [Number(m[1]), m[2]]);
    expect(got).toEqual(Array.from({ length: COUNT }, (_, i) => [SIZE, payload(round, i)]));
  }
  sub.close();
});
