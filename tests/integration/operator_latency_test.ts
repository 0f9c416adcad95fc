// Service latency on the exports of JWT accounts, as nats-server 2.9.10 has it (run against it with
// NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): an export's `service_latency` claim (`sampling` a
// percentage or "headers", `results` the subject) publishes a ServiceLatency measure in the exporting account
// for requests that come through an import; a claim jwt's validation refuses makes the account JWT not valid.
// Modelled on nats-server's test/service_latency_test.go (TestServiceLatencyWithJWT).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Export, ServiceLatency } from "@nats-io/jwt";
import { credsAuthenticator, headers, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { type JwtAccount, OperatorSetup, credsConnections } from "../_helpers/operator.ts";
import { LatencyMeasures } from "../_helpers/latency_measures.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-jwt-latency-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

/** jwt's SamplingRate goes on the wire as a number or "headers"; the TypeScript type only has strings. */
const latency = (sampling: number | "headers", results: string) => ({ sampling, results }) as unknown as ServiceLatency;

describe("service latency of a JWT account's export", () => {
  let srv: TestServer;
  let setup: OperatorSetup;
  let exporter: JwtAccount;
  let importer: JwtAccount;
  let responder: NatsConnection;
  const bad: JwtAccount[] = [];
  const measures = new LatencyMeasures();
  const { open, closeAll } = credsConnections(() => srv);

  beforeAll(async () => {
    setup = await OperatorSetup.create();
    const svc = (subject: string, l: ServiceLatency): Partial<Export> => ({ name: subject, subject, type: "service", service_latency: l });
    exporter = await setup.account("E", {
      exports: [svc("svc.>", latency(100, "lat.svc")), svc("hdr.>", latency("headers", "lat.hdr"))] as Export[],
    });
    const imp = (subject: string, share = false) => ({ name: subject, subject, account: exporter.pub, type: "service" as const, ...(share ? { share } : {}) });
    importer = await setup.account("I", { imports: [imp("svc.>", true), imp("hdr.>")] });
    for (const [name, e] of [
      ["ZERO", svc("z.>", latency(101, "lat.z"))],
      ["WILD", svc("w.>", latency(50, "lat.*"))],
      ["STREAM", { name: "s", subject: "s.>", type: "stream", service_latency: latency(50, "lat.s") }],
    ] as const) bad.push(await setup.account(name, { exports: [e as Export] }));
    const file = join(dir, "server.conf");
    writeFileSync(file, setup.conf("memory"));
    srv = await runServerFromArgs(["-c", file]);
    responder = await open((await setup.user(exporter)).creds);
    responder.subscribe("svc.>", { callback: (_e, m) => void m.respond("pong") });
    responder.subscribe("hdr.>", { callback: (_e, m) => void m.respond("pong") });
    responder.subscribe("lat.*", { callback: measures.take });
    await responder.flush();
  });
  afterAll(async () => {
    await closeAll();
    await srv.close();
  });

  test("a request through the import is measured on the results subject; share names the requestor", async () => {
    const nc = await open((await setup.user(importer)).creds);
    const got = await measures.during(async () => void (await nc.request("svc.a", "ping", { timeout: 3000 })));
    expect(got.map((m) => m.subject)).toEqual(["lat.svc"]);
    const m = got[0]!.body;
    expect(m).toMatchObject({ type: "io.nats.server.metric.v1.service_latency", status: 200 });
    expect((m.requestor as Json).acc).toBe(importer.pub);
    expect((m.requestor as Json).kind).toBe("Client");
    expect((m.responder as Json).acc).toBe(exporter.pub);
    for (const k of ["service", "system", "total"]) expect(Number.isInteger(m[k])).toBe(true);
  });

  test("sampling \"headers\" measures only requests whose trace headers ask", async () => {
    const nc = await open((await setup.user(importer)).creds);
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const h = headers();
    h.set("traceparent", parent);
    const got = await measures.during(async () => {
      await nc.request("hdr.plain", "ping", { timeout: 3000 });
      await nc.request("hdr.traced", "ping", { timeout: 3000, headers: h });
    });
    expect(got.map((m) => m.subject)).toEqual(["lat.hdr"]);
    expect(got[0]!.body.header).toEqual({ Traceparent: [parent] });
  });

  test("a sampling out of 1-100, a results subject with wildcards or latency on a stream make the JWT not valid", async () => {
    for (const a of bad) {
      await expect(client(srv, { authenticator: credsAuthenticator((await setup.user(a)).creds) })).rejects.toThrow(/authorization violation/i);
    }
  });
});
