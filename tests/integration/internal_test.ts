import { afterAll, beforeAll, expect, test } from "bun:test";
import { headers } from "@nats-io/transport-node";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import type { InternalMsg } from "../../src/routing/internal.ts";

let srv: TestServer;
beforeAll(async () => {
  srv = await runServer();
});
afterAll(async () => {
  await srv.close();
});

test("a server-side subscription answers a client's request through the router", async () => {
  const internal = srv.server.internal;
  const sub = internal.subscribe("svc.echo", null, (m) => internal.publish(m.reply!, null, null, m.data));
  const nc = await client(srv);
  try {
    const r = await nc.request("svc.echo", "ping", { timeout: 5000 });
    expect(r.string()).toBe("ping");
  } finally {
    internal.removeSub(sub);
    await nc.close();
  }
});

test("a client's headers reach a server-side subscriber, and a server publish with headers reaches clients", async () => {
  const internal = srv.server.internal;
  const seen: InternalMsg[] = [];
  const sub = internal.subscribe("in.>", null, (m) => seen.push(m));
  const nc = await client(srv);
  try {
    const out = nc.subscribe("out.x", { max: 1 });
    const h = headers();
    h.set("X-Test", "1");
    nc.publish("in.a", "body", { headers: h });
    await nc.flush();
    await Promise.resolve();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.subject).toBe("in.a");
    expect(seen[0]!.reply).toBeNull();
    expect(new TextDecoder().decode(seen[0]!.hdr!)).toBe("NATS/1.0\r\nX-Test: 1\r\n\r\n");
    expect(new TextDecoder().decode(seen[0]!.data)).toBe("body");

    internal.publish("out.x", null, new TextEncoder().encode("NATS/1.0\r\nK: v\r\n\r\n"), new TextEncoder().encode("hi"));
    for await (const m of out) {
      expect(m.string()).toBe("hi");
      expect(m.headers?.get("K")).toBe("v");
    }
  } finally {
    internal.removeSub(sub);
    await nc.close();
  }
});

test("a server-side handler that throws is logged and leaves the server serving", async () => {
  const internal = srv.server.internal;
  const sub = internal.subscribe("boom", null, () => {
    throw new Error("handler exploded");
  });
  const nc = await client(srv);
  try {
    nc.publish("boom", "x");
    await nc.flush();
    await Promise.resolve();
    expect(srv.logs.some((l) => l.includes('[ERR] internal handler for "boom" failed: handler exploded'))).toBe(true);
    const echo = nc.subscribe("still.alive", { max: 1 });
    nc.publish("still.alive", "yes");
    for await (const m of echo) expect(m.string()).toBe("yes");
  } finally {
    internal.removeSub(sub);
    await nc.close();
  }
});
