// nats-server 2.10 stream and consumer fields — metadata, first_seq, subject_transform, filter_subjects — sent
// as raw API requests to natsedge and to nats-server 2.9.10 side by side. 2.9.10 decodes JSON into its 2.9
// structs and so drops fields it does not know: it stores and echoes none of them and behaves as if they were
// absent. natsedge implements them as nats-server 2.10 does. Each case asserts both, which documents the
// difference (README, JetStream). Skipped without nats-server.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import type { NatsConnection } from "@nats-io/transport-node";
import { sideBySide } from "../_helpers/side_by_side.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const HAVE_NATS_SERVER = spawnSync("nats-server", ["--version"]).status === 0;
const td = new TextDecoder();
type Json = Record<string, unknown>;

describe.skipIf(!HAVE_NATS_SERVER || REFERENCE_SERVER !== "")("2.10 fields: natsedge implements them, nats-server 2.9.10 ignores them", () => {
  const fx = sideBySide("210");

  async function both(subject: string, body: unknown): Promise<[Json, Json]> {
    const ask = async (nc: NatsConnection) => JSON.parse(td.decode((await nc.request(subject, JSON.stringify(body), { timeout: 5000 })).data)) as Json;
    return [await ask(fx.ne), await ask(fx.nr)];
  }
  const pubBoth = (subject: string) => both(subject, "x");

  test("metadata is stored and returned for streams and consumers", async () => {
    const md = { owner: "team-a", tier: "gold" };
    const [e, r] = await both("$JS.API.STREAM.CREATE.MD", { name: "MD", subjects: ["md"], metadata: md });
    expect((e.config as Json).metadata).toEqual(md);
    expect((r.config as Json).metadata).toBeUndefined();
    const [ei, ri] = await both("$JS.API.STREAM.INFO.MD", {});
    expect((ei.config as Json).metadata).toEqual(md);
    expect((ri.config as Json).metadata).toBeUndefined();
    const [ec, rc] = await both("$JS.API.CONSUMER.DURABLE.CREATE.MD.c", { stream_name: "MD", config: { durable_name: "c", ack_policy: "explicit", metadata: md } });
    expect((ec.config as Json).metadata).toEqual(md);
    expect((rc.config as Json).metadata).toBeUndefined();
  });

  test("first_seq: the first message gets it", async () => {
    const [e, r] = await both("$JS.API.STREAM.CREATE.FS", { name: "FS", subjects: ["fs"], first_seq: 100 });
    expect((e.config as Json).first_seq).toBe(100);
    expect((r.config as Json).first_seq).toBeUndefined();
    const [ea, ra] = await pubBoth("fs");
    expect([ea.seq, ra.seq]).toEqual([100, 1]);
  });

  test("subject_transform: subjects are mapped as messages are stored", async () => {
    const cfg = { name: "TR", subjects: ["tr.>"], subject_transform: { src: "tr.*.*", dest: "tr.$2.{{wildcard(1)}}" } };
    const [e, r] = await both("$JS.API.STREAM.CREATE.TR", cfg);
    expect((e.config as Json).subject_transform).toEqual(cfg.subject_transform);
    expect((r.config as Json).subject_transform).toBeUndefined();
    await pubBoth("tr.a.b");
    const [em, rm] = await both("$JS.API.STREAM.MSG.GET.TR", { seq: 1 });
    expect([(em.message as Json).subject, (rm.message as Json).subject]).toEqual(["tr.b.a", "tr.a.b"]);
    const [eb] = await both("$JS.API.STREAM.CREATE.TRB", { name: "TRB", subjects: ["trb.>"], subject_transform: { src: "trb.*", dest: "x.{{nope(1)}}" } });
    expect(eb.error).toEqual({ code: 400, err_code: 10156, description: "stream transform: invalid mapping destination: unknown function in {{nope(1)}}" });
  });

  test("filter_subjects: a consumer takes only its filters' messages", async () => {
    await both("$JS.API.STREAM.CREATE.FL", { name: "FL", subjects: ["fl.>"] });
    for (const s of ["fl.a", "fl.b", "fl.c"]) await pubBoth(s);
    const cc = { stream_name: "FL", config: { durable_name: "c", ack_policy: "explicit", filter_subjects: ["fl.a", "fl.c"] } };
    const [e, r] = await both("$JS.API.CONSUMER.DURABLE.CREATE.FL.c", cc);
    expect((e.config as Json).filter_subjects).toEqual(["fl.a", "fl.c"]);
    expect((r.config as Json).filter_subjects).toBeUndefined();
    expect([e.num_pending, r.num_pending]).toEqual([2, 3]);
  });
});
