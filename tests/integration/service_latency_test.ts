// Service latency tracking as nats-server 2.9.10 has it (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): an export's `latency: {sampling, subject}` publishes a
// ServiceLatency measure in the exporting account for requests that come through a service import, naming
// the requestor only when the import shares it; requests from inside the account are not measured; bad
// `latency` settings stop the server with nats-server's words at their position. Modelled on nats-server's
// test/service_latency_test.go (TestServiceLatencySingleServerConnect, TestServiceLatencyNoSubsLeak) and
// server/opts_test.go's latency cases.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs, startupError } from "../_helpers/conf_server.ts";
import { LatencyMeasures } from "../_helpers/latency_measures.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-latency-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

function confFile(text: string): string {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  return file;
}

const CLIENT_INFO_KEYS = ["acc", "client_type", "host", "id", "kind", "lang", "name", "server", "start", "user", "ver"];

describe("service latency of an exported service", () => {
  let srv: TestServer;
  let responder: NatsConnection;
  const measures: Msg[] = [];
  let waiting: (() => void) | null = null;
  beforeAll(async () => {
    srv = await runServerFromArgs(["-c", confFile(`
accounts {
  A: { users: [ {user: a, password: a} ], exports: [ {service: "svc.>", latency: { sampling: 100, subject: "lat.svc" }} ] }
  B: { users: [ {user: b, password: b} ], imports: [ {service: {account: A, subject: "svc.>"}} ] }
  C: { users: [ {user: c, password: c} ], imports: [ {service: {account: A, subject: "svc.>"}, share: true} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`)]);
    responder = await client(srv, { user: "a", pass: "a", name: "responder" });
    responder.subscribe("svc.>", { callback: (_e, m) => void m.respond("pong") });
    responder.subscribe("lat.svc", {
      callback: (_e, m) => {
        measures.push(m);
        waiting?.();
      },
    });
    await responder.flush();
  });
  afterAll(async () => {
    await responder.close();
    await srv.close();
  });

  /** The next measure published on lat.svc. */
  async function nextMeasure(): Promise<Json> {
    const seen = measures.length;
    while (measures.length === seen) await new Promise<void>((r) => (waiting = r));
    return measures[seen]!.json<Json>();
  }

  test("a request through an import is measured; the requestor is only its account without share", async () => {
    const b = await client(srv, { user: "b", pass: "b", name: "requestor-b" });
    try {
      const measured = nextMeasure();
      expect((await b.request("svc.x", "ping", { timeout: 3000 })).string()).toBe("pong");
      const m = await measured;
      expect(Object.keys(m).sort()).toEqual(["id", "requestor", "responder", "service", "start", "status", "system", "timestamp", "total", "type"]);
      expect(m).toMatchObject({ type: "io.nats.server.metric.v1.service_latency", status: 200 });
      // Only the account and the client's RTT (nanoseconds, as the total counts it).
      expect(Object.keys(m.requestor as Json)).toEqual(["acc", "rtt"]);
      expect((m.requestor as Json).acc).toBe("B");
      const resp = m.responder as Json;
      expect(Object.keys(resp).sort()).toEqual([...CLIENT_INFO_KEYS, "rtt"].sort());
      expect(m.total as number).toBeGreaterThanOrEqual(((m.requestor as Json).rtt as number) + (m.service as number));
      expect(resp).toMatchObject({ acc: "A", user: "a", name: "responder", kind: "Client", client_type: "nats" });
      for (const k of ["service", "system", "total"]) expect(Number.isInteger(m[k])).toBe(true);
      expect(m.total as number).toBeGreaterThan(0);
      expect(Date.parse(m.start as string)).toBeLessThanOrEqual(Date.parse(m.timestamp as string));
    } finally {
      await b.close();
    }
  });

  test("an import with share: true names the requestor in full", async () => {
    const c = await client(srv, { user: "c", pass: "c", name: "requestor-c" });
    try {
      const measured = nextMeasure();
      await c.request("svc.y", "ping", { timeout: 3000 });
      const req = (await measured).requestor as Json;
      expect(Object.keys(req).filter((k) => k !== "rtt").sort()).toEqual(CLIENT_INFO_KEYS);
      expect(req).toMatchObject({ acc: "C", user: "c", name: "requestor-c" });
    } finally {
      await c.close();
    }
  });

  test("a request from inside the exporting account is not measured", async () => {
    const c = await client(srv, { user: "c", pass: "c" });
    try {
      const before = measures.length;
      await responder.request("svc.self", "ping", { timeout: 3000 });
      // A measured request after it: had the first been measured, its measure would have come first.
      const measured = nextMeasure();
      await c.request("svc.after", "ping", { timeout: 3000 });
      await measured;
      expect(measures.length).toBe(before + 1);
      expect((measures[before]!.json<Json>().requestor as Json).acc).toBe("C");
    } finally {
      await c.close();
    }
  });
});

describe("latency sampled by trace headers", () => {
  let srv: TestServer;
  let responder: NatsConnection;
  let requestor: NatsConnection;
  const measures = new LatencyMeasures();
  beforeAll(async () => {
    srv = await runServerFromArgs(["-c", confFile(`
accounts {
  A: {
    users: [ {user: a, password: a} ]
    exports: [ {service: "hdr.>", latency: { sampling: headers, subject: "lat.hdr" }} ]
  }
  B: { users: [ {user: b, password: b} ], imports: [ {service: {account: A, subject: "hdr.>"}} ] }
  SYS: { users: [ {user: sys, password: sys} ] }
}
system_account: SYS`)]);
    responder = await client(srv, { user: "a", pass: "a" });
    responder.subscribe("hdr.>", { callback: (_e, m) => void m.respond("pong") });
    responder.subscribe("lat.*", { callback: measures.take });
    await responder.flush();
    requestor = await client(srv, { user: "b", pass: "b" });
  });
  afterAll(async () => {
    await requestor.close();
    await responder.close();
    await srv.close();
  });

  const traced = (name: string, value: string) => {
    const h = headers();
    h.set(name, value);
    return h;
  };
  const ask = (subject: string, h?: ReturnType<typeof headers>) => requestor.request(subject, "ping", { timeout: 3000, ...(h && { headers: h }) });

  test("a request is measured when its trace headers say it is sampled, and the measure carries them", async () => {
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const got = await measures.during(async () => {
      await ask("hdr.none");
      await ask("hdr.unsampled", traced("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
      await ask("hdr.denied", traced("X-B3-Sampled", "0"));
      await ask("hdr.sampled", traced("traceparent", parent));
    });
    expect(got.map((m) => m.subject)).toEqual(["lat.hdr"]);
    expect(got[0]!.body.header).toEqual({ Traceparent: [parent] });
  });

  test("B3 and Uber trace headers sample too", async () => {
    const b3 = await measures.during(async () => void await ask("hdr.b3", traced("X-B3-TraceId", "80f198ee56343ba864fe8b2a57d3eff7")));
    expect(b3[0]!.body.header).toEqual({ "X-B3-Traceid": ["80f198ee56343ba864fe8b2a57d3eff7"] });
    const uber = "479fefe9525eddb:5adb976bfc1f95c1:479fefe9525eddb:1";
    const u = await measures.during(async () => void await ask("hdr.uber", traced("uber-trace-id", uber)));
    expect(u[0]!.body.header).toEqual({ "Uber-Trace-Id": [uber] });
  });
});

describe("bad latency settings", () => {
  // nats-server reports column 0 for a token on the first line; a comment first keeps that quirk out of these.
  const LEAD = "# latency settings\n";
  const exportWith = (latency: string, extra = "") => confFile(
    `${LEAD}${extra}accounts {\n  A: { users: [ {user: a, password: a} ], exports: [\n    {service: "svc.>", latency: ${latency}} ] }\n}\n`,
  );

  test("stop the server with nats-server's errors at their position", async () => {
    const cases: [string, RegExp][] = [
      ['{ sampling: 0, subject: "l" }', /:4:35: bad sampling percentage, should be 1-100/],
      ['{ sampling: 101, subject: "l" }', /:4:35: bad sampling percentage, should be 1-100/],
      ['{ sampling: "abc", subject: "l" }', /:4:35: Failed to parse latency sample: strconv\.Atoi: parsing "abc": invalid syntax/],
      ["{ sampling: 50 }", /:4:24: Latency subject required, but missing/],
      ["{ sampling: 50, subject: 5 }", /:4:49: Expected latency subject to be a string, got string/],
      ["5", /:4:24: Expected latency entry to be a map\/struct or string, got int64/],
      ['{ sampling: true, subject: "l" }', /:4:35: Expected latency sample to be a string or map\/struct, got bool/],
      ['{ subject: "l.*" }', /:2:1: Error adding service latency sampling for "svc\.>" on subject "l\.\*": invalid publish subject/],
      ['{ subject: "svc.x" }', /:2:1: Error adding service latency sampling for "svc\.>" on subject "svc\.x": invalid publish subject/],
      ['{ subject: "l" }, response_type: stream', /:2:1: Error adding service latency sampling for "svc\.>" on subject "l": bad service response type/],
    ];
    for (const [latency, want] of cases) expect(await startupError(["-c", exportWith(latency)])).toMatch(want);
  });

  test("accept a percentage string and a subject alone", async () => {
    expect(await startupError(["-c", exportWith('{ sampling: "50%", subject: "l" }')])).toBeNull();
    expect(await startupError(["-c", exportWith('"lat.x"')])).toBeNull();
  });

  test("refuse latency on a stream export, and without a system account", async () => {
    const stream = confFile(LEAD + 'accounts {\n  A: { users: [ {user: a, password: a} ], exports: [\n    {stream: "s.>", latency: "l"} ] }\n}\n');
    expect(await startupError(["-c", stream])).toMatch(/:4:21: Detected latency directive on non-service/);
    const noSys = confFile(LEAD + 'no_system_account: true\naccounts {\n  A: { users: [ {user: a, password: a} ], exports: [\n    {service: "s.>", latency: "l"} ] }\n}\n');
    expect(await startupError(["-c", noSys])).toMatch(/:3:1: Error adding service latency sampling for "s\.>": system account not setup/);
  });
});
