import { afterAll, beforeAll, expect, test } from "bun:test";
import { client, runServer, type TestServer } from "../_helpers/server.ts";

let srv: TestServer;
beforeAll(async () => {
  srv = await runServer();
});
afterAll(async () => {
  await srv.close();
});

test("a real client connects, publishes and receives its own message", async () => {
  const nc = await client(srv);
  const sub = nc.subscribe("smoke.>", { max: 1 });
  nc.publish("smoke.a", "hello");
  for await (const m of sub) {
    expect(m.subject).toBe("smoke.a");
    expect(m.string()).toBe("hello");
  }
  await nc.close();
});
