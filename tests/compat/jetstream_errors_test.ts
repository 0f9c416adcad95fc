// The same invalid JetStream API requests to natsedge and to nats-server 2.9.10, side by side: every
// answer's code, err_code and description must match (response type too), and where the answer is a status
// message rather than JSON (pull requests), its status line. The cases run in order on both
// servers, so the state each one sees (streams, consumers, messages made by earlier setup steps) is the same.
// There is no deliberate difference. Skipped without nats-server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { runServer, type TestServer } from "../_helpers/server.ts";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const HAVE_NATS_SERVER = spawnSync("nats-server", ["--version"]).status === 0;

type Req = [subject: string, body: unknown];
interface Case {
  name: string;
  /** Requests whose answers are not compared: they make the state the probe needs. */
  setup?: Req[];
  probe: Req;
}

const API = "$JS.API";
const stream = (name: string, cfg: Record<string, unknown> = {}): Req => [`${API}.STREAM.CREATE.${name}`, { name, subjects: [`${name.toLowerCase()}.>`], ...cfg }];
const consumer = (s: string, durable: string, cfg: Record<string, unknown> = {}): Req => [
  `${API}.CONSUMER.DURABLE.CREATE.${s}.${durable}`,
  { stream_name: s, config: { durable_name: durable, ack_policy: "explicit", ...cfg } },
];
const publish = (subject: string, data = "x"): Req => [subject, data];
const pull = (s: string, c: string, req: Record<string, unknown> | string): Req => [`${API}.CONSUMER.MSG.NEXT.${s}.${c}`, req];
const SECOND = 1_000_000_000;
const limited = (s: string) => consumer(s, "c", { max_batch: 5, max_expires: 1.5 * SECOND, max_bytes: 100 });

const CASES: Case[] = [
  // Stream create.
  { name: "stream name in subject and body differ", probe: [`${API}.STREAM.CREATE.A1`, { name: "B1", subjects: ["a1"] }] },
  { name: "discard_new_per_subject without max_msgs_per_subject", probe: stream("A2", { discard: "new", discard_new_per_subject: true }) },
  { name: "discard_new_per_subject without discard new", probe: stream("A3", { max_msgs_per_subject: 1, discard_new_per_subject: true }) },
  { name: "subjects overlap another stream", setup: [stream("A4")], probe: [`${API}.STREAM.CREATE.A4B`, { name: "A4B", subjects: ["a4.x"] }] },
  { name: "same name, other config", setup: [stream("A5")], probe: stream("A5", { max_msgs: 5 }) },
  { name: "duplicate window over max age", probe: stream("A6", { max_age: 1_000_000_000, duplicate_window: 2_000_000_000 }) },
  { name: "duplicate subjects", probe: [`${API}.STREAM.CREATE.A7`, { name: "A7", subjects: ["a7", "a7"] }] },
  { name: "invalid subject", probe: [`${API}.STREAM.CREATE.A8`, { name: "A8", subjects: ["a8..x"] }] },
  { name: "subject overlaps the JetStream API", probe: [`${API}.STREAM.CREATE.A9`, { name: "A9", subjects: ["$JS.API.>"] }] },
  { name: "replicas over one without a cluster", probe: stream("A10", { num_replicas: 3 }) },
  { name: "sealed on create", probe: stream("A11", { sealed: true }) },
  { name: "mirror with subjects", setup: [stream("A12")], probe: stream("A12M", { mirror: { name: "A12" } }) },
  { name: "mirror with sources", setup: [stream("A17")], probe: [`${API}.STREAM.CREATE.A17M`, { name: "A17M", mirror: { name: "A17" }, sources: [{ name: "A17" }] }] },
  { name: "mirror of itself", probe: [`${API}.STREAM.CREATE.A18`, { name: "A18", mirror: { name: "A18" } }] },
  { name: "source of itself", probe: [`${API}.STREAM.CREATE.A19`, { name: "A19", sources: [{ name: "A19" }] }] },
  { name: "source filter that is not a subject", setup: [stream("A20")], probe: [`${API}.STREAM.CREATE.A20S`, { name: "A20S", sources: [{ name: "A20", filter_subject: "x.." }] }] },
  {
    name: "update changes the mirror",
    setup: [stream("A21"), [`${API}.STREAM.CREATE.A21M`, { name: "A21M", mirror: { name: "A21" } }]],
    probe: [`${API}.STREAM.UPDATE.A21M`, { name: "A21M", mirror: { name: "A21", opt_start_seq: 5 } }],
  },
  {
    name: "update removes the mirror",
    setup: [stream("A22"), [`${API}.STREAM.CREATE.A22M`, { name: "A22M", mirror: { name: "A22" } }]],
    probe: [`${API}.STREAM.UPDATE.A22M`, { name: "A22M" }],
  },
  { name: "negative max_age", probe: stream("A13", { max_age: -1 }) },
  { name: "subjects overlapping each other", probe: [`${API}.STREAM.CREATE.A14`, { name: "A14", subjects: ["a14.*", "a14.x"] }] },
  { name: "empty request", probe: [`${API}.STREAM.CREATE.A15`, ""] },
  { name: "create without a name in the body", probe: [`${API}.STREAM.CREATE.A16`, { subjects: ["a16"] }] },
  // Stream update.
  { name: "update a stream that does not exist", probe: [`${API}.STREAM.UPDATE.U1`, { name: "U1", subjects: ["u1"] }] },
  { name: "update with another name in the body", setup: [stream("U2")], probe: [`${API}.STREAM.UPDATE.U2`, { name: "U2X", subjects: ["u2.>"] }] },
  { name: "update changes storage", setup: [stream("U3")], probe: [`${API}.STREAM.UPDATE.U3`, { name: "U3", subjects: ["u3.>"], storage: "memory" }] },
  { name: "update changes retention", setup: [stream("U4")], probe: [`${API}.STREAM.UPDATE.U4`, { name: "U4", subjects: ["u4.>"], retention: "workqueue" }] },
  {
    name: "update unseals",
    setup: [stream("U5"), [`${API}.STREAM.UPDATE.U5`, { name: "U5", subjects: ["u5.>"], sealed: true }]],
    probe: [`${API}.STREAM.UPDATE.U5`, { name: "U5", subjects: ["u5.>"], sealed: false }],
  },
  { name: "update to overlap another stream", setup: [stream("U6"), stream("U7")], probe: [`${API}.STREAM.UPDATE.U7`, { name: "U7", subjects: ["u6.x"] }] },
  // Stream info, delete, purge, names.
  { name: "info of a missing stream", probe: [`${API}.STREAM.INFO.NOPE`, ""] },
  { name: "delete a missing stream", probe: [`${API}.STREAM.DELETE.NOPE`, ""] },
  { name: "purge a missing stream", probe: [`${API}.STREAM.PURGE.NOPE`, ""] },
  { name: "purge with both seq and keep", setup: [stream("P1")], probe: [`${API}.STREAM.PURGE.P1`, { seq: 5, keep: 1 }] },
  { name: "purge a sealed stream", setup: [stream("P2"), [`${API}.STREAM.UPDATE.P2`, { name: "P2", subjects: ["p2.>"], sealed: true }]], probe: [`${API}.STREAM.PURGE.P2`, ""] },
  // Direct message get and delete.
  { name: "get from a missing stream", probe: [`${API}.STREAM.MSG.GET.NOPE`, { seq: 1 }] },
  { name: "get a sequence never stored", setup: [stream("G1")], probe: [`${API}.STREAM.MSG.GET.G1`, { seq: 7 }] },
  { name: "get by a subject never stored", setup: [stream("G2")], probe: [`${API}.STREAM.MSG.GET.G2`, { last_by_subj: "g2.none" }] },
  { name: "get with both seq and last_by_subj", setup: [stream("G3")], probe: [`${API}.STREAM.MSG.GET.G3`, { seq: 1, last_by_subj: "g3.a" }] },
  { name: "get with an empty request", setup: [stream("G4")], probe: [`${API}.STREAM.MSG.GET.G4`, ""] },
  { name: "delete a deleted sequence (file)", setup: [stream("D1"), publish("d1.a"), publish("d1.a"), [`${API}.STREAM.MSG.DELETE.D1`, { seq: 1 }]], probe: [`${API}.STREAM.MSG.DELETE.D1`, { seq: 1 }] },
  { name: "delete past the last sequence (file)", setup: [stream("D2"), publish("d2.a")], probe: [`${API}.STREAM.MSG.DELETE.D2`, { seq: 9 }] },
  { name: "delete past the last sequence (memory)", setup: [stream("D3", { storage: "memory" }), publish("d3.a")], probe: [`${API}.STREAM.MSG.DELETE.D3`, { seq: 9 }] },
  { name: "delete a deleted sequence (memory)", setup: [stream("D6", { storage: "memory" }), publish("d6.a"), publish("d6.a"), [`${API}.STREAM.MSG.DELETE.D6`, { seq: 1 }]], probe: [`${API}.STREAM.MSG.DELETE.D6`, { seq: 1 }] },
  { name: "delete with an empty request", setup: [stream("D7"), publish("d7.a")], probe: [`${API}.STREAM.MSG.DELETE.D7`, ""] },
  { name: "stream update with an empty request", setup: [stream("U8")], probe: [`${API}.STREAM.UPDATE.U8`, ""] },
  { name: "stream create with invalid JSON", probe: [`${API}.STREAM.CREATE.A17`, "{nope"] },
  { name: "stream names with invalid JSON", probe: [`${API}.STREAM.NAMES`, "{nope"] },
  { name: "delete from a sealed stream", setup: [stream("D4"), publish("d4.a"), [`${API}.STREAM.UPDATE.D4`, { name: "D4", subjects: ["d4.>"], sealed: true }]], probe: [`${API}.STREAM.MSG.DELETE.D4`, { seq: 1 }] },
  { name: "delete from a deny_delete stream", setup: [stream("D5", { deny_delete: true }), publish("d5.a")], probe: [`${API}.STREAM.MSG.DELETE.D5`, { seq: 1 }] },
  // Consumers.
  { name: "consumer on a missing stream", probe: consumer("NOPE", "c") },
  { name: "durable name in subject and body differ", setup: [stream("C1")], probe: [`${API}.CONSUMER.DURABLE.CREATE.C1.x`, { stream_name: "C1", config: { durable_name: "y", ack_policy: "explicit" } }] },
  { name: "consumer's stream name in subject and body differ", setup: [stream("C2")], probe: [`${API}.CONSUMER.DURABLE.CREATE.C2.x`, { stream_name: "OTHER", config: { durable_name: "x", ack_policy: "explicit" } }] },
  { name: "by_start_sequence without opt_start_seq", setup: [stream("C3")], probe: consumer("C3", "c", { deliver_policy: "by_start_sequence" }) },
  { name: "opt_start_seq with deliver all", setup: [stream("C4")], probe: consumer("C4", "c", { opt_start_seq: 5 }) },
  { name: "by_start_time without opt_start_time", setup: [stream("C5")], probe: consumer("C5", "c", { deliver_policy: "by_start_time" }) },
  { name: "push consumer with max_waiting", setup: [stream("C6")], probe: consumer("C6", "c", { deliver_subject: "deliver.c6", max_waiting: 10 }) },
  { name: "filter subject outside the stream", setup: [stream("C7")], probe: consumer("C7", "c", { filter_subject: "other.x" }) },
  { name: "second unfiltered consumer on a work queue", setup: [stream("C8", { retention: "workqueue" }), consumer("C8", "a")], probe: consumer("C8", "b") },
  { name: "work queue consumer not deliver all", setup: [stream("C9", { retention: "workqueue" })], probe: consumer("C9", "c", { deliver_policy: "new" }) },
  { name: "pull consumer with rate limit", setup: [stream("C10")], probe: consumer("C10", "c", { rate_limit_bps: 1000 }) },
  { name: "pull consumer with idle heartbeat", setup: [stream("C11")], probe: consumer("C11", "c", { idle_heartbeat: 1_000_000_000 }) },
  { name: "pull consumer with flow control", setup: [stream("C12")], probe: consumer("C12", "c", { flow_control: true }) },
  { name: "deliver subject inside the stream", setup: [stream("C13")], probe: consumer("C13", "c", { deliver_subject: "c13.out" }) },
  { name: "backoff longer than max_deliver", setup: [stream("C14")], probe: consumer("C14", "c", { max_deliver: 2, backoff: [1_000_000_000, 2_000_000_000] }) },
  { name: "ack none with max_ack_pending", setup: [stream("C15")], probe: consumer("C15", "c", { ack_policy: "none", max_ack_pending: 10, deliver_subject: "c15d" }) },
  { name: "info of a missing consumer", setup: [stream("C16")], probe: [`${API}.CONSUMER.INFO.C16.nope`, ""] },
  { name: "delete a missing consumer", setup: [stream("C17")], probe: [`${API}.CONSUMER.DELETE.C17.nope`, ""] },
  { name: "work queue consumer without explicit ack", setup: [stream("C18", { retention: "workqueue" })], probe: consumer("C18", "c", { ack_policy: "none" }) },
  { name: "update a consumer's deliver policy", setup: [stream("C19"), consumer("C19", "c")], probe: consumer("C19", "c", { deliver_policy: "new" }) },
  { name: "overlapping filtered consumers on a work queue", setup: [stream("C20", { retention: "workqueue" }), consumer("C20", "a", { filter_subject: "c20.>" })], probe: consumer("C20", "b", { filter_subject: "c20.x" }) },
  { name: "push heartbeat under 100ms", setup: [stream("C21")], probe: consumer("C21", "c", { deliver_subject: "deliver.c21", idle_heartbeat: 50_000_000 }) },
  { name: "flow control without heartbeats", setup: [stream("C22")], probe: consumer("C22", "c", { deliver_subject: "deliver.c22", flow_control: true }) },
  { name: "update changes max_consumers", setup: [stream("U9")], probe: [`${API}.STREAM.UPDATE.U9`, { name: "U9", subjects: ["u9.>"], max_consumers: 3 }] },
  { name: "ephemeral create with a durable name", setup: [stream("C24")], probe: [`${API}.CONSUMER.CREATE.C24`, { stream_name: "C24", config: { durable_name: "d", ack_policy: "explicit" } }] },
  { name: "consumer create with an empty request", setup: [stream("C25")], probe: [`${API}.CONSUMER.DURABLE.CREATE.C25.c`, ""] },
  { name: "consumer create with invalid JSON", setup: [stream("C26")], probe: [`${API}.CONSUMER.DURABLE.CREATE.C26.c`, "{nope"] },
  { name: "durable create without a durable name", setup: [stream("C27")], probe: [`${API}.CONSUMER.DURABLE.CREATE.C27.c`, { stream_name: "C27", config: { ack_policy: "explicit" } }] },
  { name: "last_per_subject with opt_start_seq", setup: [stream("C28")], probe: consumer("C28", "c", { deliver_policy: "last_per_subject", opt_start_seq: 2 }) },
  { name: "by_start_sequence with opt_start_time too", setup: [stream("C29")], probe: consumer("C29", "c", { deliver_policy: "by_start_sequence", opt_start_seq: 2, opt_start_time: "2024-01-01T00:00:00Z" }) },
  { name: "consumer list of a missing stream", probe: [`${API}.CONSUMER.NAMES.NOPE`, ""] },
  { name: "negative max_batch", setup: [stream("C30")], probe: consumer("C30", "c", { max_batch: -1 }) },
  { name: "max_expires under 1ms", setup: [stream("C31")], probe: consumer("C31", "c", { max_expires: 500_000 }) },
  // Republish.
  { name: "republish destination inside the stream", probe: stream("R1", { republish: { src: "r1.>", dest: "r1.copy.>" } }) },
  { name: "republish source outside the stream", probe: stream("R2", { republish: { src: "other.>", dest: "out.>" } }) },
  { name: "republish source outside the stream and a cycle", probe: stream("R3", { republish: { src: "other.>", dest: "r3.x" } }) },
  { name: "republish destination not using the wildcard", probe: stream("R4", { republish: { src: "r4.*", dest: "out" } }) },
  { name: "republish destination with a *", probe: stream("R5", { republish: { src: "r5.*", dest: "out.*" } }) },
  { name: "republish > destination without > source", probe: stream("R6", { republish: { src: "r6.*", dest: "out.>" } }) },
  { name: "republish without a destination", probe: stream("R7", { republish: { src: "r7.>" } }) },
  { name: "republish with an unknown mapping function", probe: stream("R8", { republish: { src: "r8.*", dest: "out.{{foo(1)}}" } }) },
  { name: "republish referring past the source's wildcards", probe: stream("R9", { republish: { src: "r9.*", dest: "out.$2" } }) },
  { name: "republish placeholder inside a token", probe: stream("R10", { republish: { src: "r10.*", dest: "out.$1x" } }) },
  { name: "republish invalid source", probe: stream("R11", { republish: { src: "r11..x", dest: "out.>" } }) },
  {
    name: "update changes republish",
    setup: [stream("R12", { republish: { src: "r12.*", dest: "out12.$1" } })],
    probe: [`${API}.STREAM.UPDATE.R12`, { name: "R12", subjects: ["r12.>"], republish: { src: "r12.*", dest: "other12.$1" } }],
  },
  { name: "update drops republish", setup: [stream("R13", { republish: { dest: "out13.>" } })], probe: [`${API}.STREAM.UPDATE.R13`, { name: "R13", subjects: ["r13.>"] }] },
  // Pull requests above the consumer's limits: answered with 409 status messages.
  { name: "pull above max_batch", setup: [stream("L1"), limited("L1")], probe: pull("L1", "c", { batch: 10 }) },
  { name: "pull above max_batch as a bare number", setup: [stream("L2"), limited("L2")], probe: pull("L2", "c", "6") },
  { name: "pull above max_expires", setup: [stream("L3"), limited("L3")], probe: pull("L3", "c", { batch: 2, expires: 3 * SECOND }) },
  { name: "pull above max_expires in minutes", setup: [stream("L4"), consumer("L4", "c", { max_expires: 90.5 * SECOND })], probe: pull("L4", "c", { expires: 100 * SECOND }) },
  { name: "pull above max_expires in milliseconds", setup: [stream("L5"), consumer("L5", "c", { max_expires: 1_234_567 })], probe: pull("L5", "c", { expires: SECOND }) },
  { name: "pull above max_bytes", setup: [stream("L6"), limited("L6")], probe: pull("L6", "c", { batch: 2, max_bytes: 200, no_wait: true }) },
  { name: "pull above every limit", setup: [stream("L7"), limited("L7")], probe: pull("L7", "c", { batch: 10, expires: 3 * SECOND, max_bytes: 200 }) },
  { name: "pull from a push consumer", setup: [stream("L9"), consumer("L9", "c", { deliver_subject: "deliver.l9" })], probe: pull("L9", "c", { batch: 1 }) },
  { name: "pull with a heartbeat over half the expiry", setup: [stream("L11"), consumer("L11", "c")], probe: pull("L11", "c", { expires: SECOND, idle_heartbeat: SECOND }) },
  { name: "pull with a heartbeat and no expiry", setup: [stream("L12"), consumer("L12", "c")], probe: pull("L12", "c", { idle_heartbeat: SECOND }) },
  { name: "pull no_wait from an empty stream", setup: [stream("L13"), consumer("L13", "c")], probe: pull("L13", "c", { batch: 1, no_wait: true }) },
  { name: "pull no_wait with an expiry from an empty stream", setup: [stream("L14"), consumer("L14", "c")], probe: pull("L14", "c", { batch: 5, no_wait: true, expires: SECOND / 2 }) },
  // Pull request bodies nats-server decodes with Go's encoding/json: its syntax and type errors, word for word.
  { name: "pull with invalid JSON", setup: [stream("Q1"), consumer("Q1", "c")], probe: pull("Q1", "c", "{nope") },
  { name: "pull with a string batch", setup: [stream("Q2"), consumer("Q2", "c")], probe: pull("Q2", "c", '{"batch":"x"}') },
  { name: "pull with a trailing comma", setup: [stream("Q3"), consumer("Q3", "c")], probe: pull("Q3", "c", '{"batch":1,}') },
  { name: "pull with an unterminated object", setup: [stream("Q4"), consumer("Q4", "c")], probe: pull("Q4", "c", '{"batch":1') },
  { name: "pull with text after the object", setup: [stream("Q5"), consumer("Q5", "c")], probe: pull("Q5", "c", '{"batch":1} x') },
  { name: "pull with a misspelt literal", setup: [stream("Q6"), consumer("Q6", "c")], probe: pull("Q6", "c", '{"no_wait":tru}') },
  { name: "pull with a leading zero", setup: [stream("Q7"), consumer("Q7", "c")], probe: pull("Q7", "c", '{"batch":01}') },
  { name: "pull no_wait with a negative expiry", setup: [stream("Q8"), consumer("Q8", "c")], probe: pull("Q8", "c", '{"batch":1, "no_wait": true, "expires": -1}') },
  { name: "pull with a bad string escape", setup: [stream("Q9"), consumer("Q9", "c")], probe: pull("Q9", "c", '{"no_wait":true, "x": "\\q"}') },
  { name: "pull no_wait with batch 0", setup: [stream("Q12"), consumer("Q12", "c")], probe: pull("Q12", "c", '{"batch":0,"no_wait":true}') },
  { name: "pull no_wait with a negative batch", setup: [stream("Q13"), consumer("Q13", "c")], probe: pull("Q13", "c", '{"batch":-3,"no_wait":true}') },
  { name: "pull with a negative expiry", setup: [stream("Q14"), consumer("Q14", "c")], probe: pull("Q14", "c", '{"expires":-1}') },
  { name: "pull with a fractional batch in another case", setup: [stream("Q15"), consumer("Q15", "c")], probe: pull("Q15", "c", '{"Batch":1.5}') },
  { name: "pull with a number for no_wait", setup: [stream("Q16"), consumer("Q16", "c")], probe: pull("Q16", "c", '{"no_wait":1}') },
  { name: "pull with a string expiry", setup: [stream("Q17"), consumer("Q17", "c")], probe: pull("Q17", "c", '{"expires":"1s"}') },
  { name: "pull with NO_WAIT in capitals", setup: [stream("Q18"), consumer("Q18", "c")], probe: pull("Q18", "c", '{"NO_WAIT":true}') },
  { name: "pull with an array batch", setup: [stream("Q19"), consumer("Q19", "c")], probe: pull("Q19", "c", '{"batch":[1],"expires":{}}') },
  { name: "pull with a bad unicode escape", setup: [stream("Q20"), consumer("Q20", "c")], probe: pull("Q20", "c", String.raw`{"x":"\u12g4"}`) },
  { name: "pull with a number ending in a point", setup: [stream("Q21"), consumer("Q21", "c")], probe: pull("Q21", "c", '{"x":1.e5}') },
  { name: "pull with a lone minus", setup: [stream("Q22"), consumer("Q22", "c")], probe: pull("Q22", "c", '{"x":-}') },
  { name: "pull with array elements missing a comma", setup: [stream("Q23"), consumer("Q23", "c")], probe: pull("Q23", "c", '{"x":[1 2]}') },
  { name: "pull with an empty exponent", setup: [stream("Q24"), consumer("Q24", "c")], probe: pull("Q24", "c", '{"x":1e}') },
  { name: "pull with a key missing its colon", setup: [stream("Q25"), consumer("Q25", "c")], probe: pull("Q25", "c", '{"x" 1}') },
  { name: "pull with a non-ASCII character outside a string", setup: [stream("Q28"), consumer("Q28", "c")], probe: pull("Q28", "c", '{"a":é}') },
  { name: "pull with a tab inside a string", setup: [stream("Q29"), consumer("Q29", "c")], probe: pull("Q29", "c", '{"a":"\t"}') },
  { name: "pull with a quote character", setup: [stream("Q30"), consumer("Q30", "c")], probe: pull("Q30", "c", "{'a':1}") },
  { name: "pull with a batch past int64", setup: [stream("Q26"), consumer("Q26", "c")], probe: pull("Q26", "c", '{"batch":99999999999999999999,"no_wait":true}') },
  { name: "pull no_wait with negative max_bytes", setup: [stream("Q27"), consumer("Q27", "c")], probe: pull("Q27", "c", '{"max_bytes":-5,"no_wait":true}') },
  { name: "pull above max_expires and max_bytes", setup: [stream("L8"), limited("L8")], probe: pull("L8", "c", { batch: 2, expires: 3 * SECOND, max_bytes: 200 }) },
];


interface Answer {
  type?: string;
  error?: { code: number; err_code?: number; description: string };
  /** A status message's code and description, as `409 Exceeded MaxWaiting`. */
  status?: string;
}

async function ask(nc: NatsConnection, [subject, body]: Req): Promise<Answer | string> {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  if (!subject.startsWith("$JS.")) {
    nc.publish(subject, payload);
    await nc.flush();
    return "published";
  }
  try {
    const m = await nc.request(subject, payload, { timeout: 3000 });
    if (m.data.length === 0 && m.headers?.hasError) return { status: `${m.headers.code} ${m.headers.description}` };
    const a = m.json<Answer>();
    return { ...(a.type !== undefined && { type: a.type }), ...(a.error !== undefined && { error: a.error }) };
  } catch (e) {
    return `no answer: ${String(e)}`;
  }
}

describe.skipIf(!HAVE_NATS_SERVER || REFERENCE_SERVER !== "")("JetStream API errors, natsedge vs nats-server 2.9.10", () => {
  let ours: TestServer, theirs: NatsServerProcess;
  let a: NatsConnection, b: NatsConnection;
  const dirs: string[] = [];
  const answers = new Map<string, [Answer | string, Answer | string]>();

  beforeAll(async () => {
    const d1 = mkdtempSync(join(tmpdir(), "natsedge-jserr-"));
    const d2 = mkdtempSync(join(tmpdir(), "natsedge-jserr-ref-"));
    dirs.push(d1, d2);
    ours = await runServer({ jetstream: { enabled: true, store_dir: d1 } });
    theirs = await startNatsServer(`jetstream { store_dir: ${JSON.stringify(d2)} }`);
    a = await connect({ servers: ours.url, reconnect: false });
    b = await connect({ servers: `127.0.0.1:${theirs.port}`, reconnect: false });
    for (const c of CASES) {
      for (const r of c.setup ?? []) {
        await ask(a, r);
        await ask(b, r);
      }
      answers.set(c.name, [await ask(a, c.probe), await ask(b, c.probe)]);
    }
  }, 120_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await ours?.close();
    await theirs?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("covers at least 40 invalid requests, each refused by nats-server", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    const refused = (a: Answer | string) => typeof a === "object" && (a.error !== undefined || a.status !== undefined);
    const accepted = CASES.filter((c) => !refused(answers.get(c.name)![1]));
    expect(accepted.map((c) => c.name)).toEqual([]);
  });

  for (const c of CASES) {
    test(c.name, () => {
      const [natsedge, natsServer] = answers.get(c.name)!;
      expect(natsedge).toEqual(natsServer);
    });
  }
});
