/**
 * `$JS.API.*` request routing: parses the subject and body, calls the engine and builds the response JSON
 * (`{"type":"io.nats.jetstream.api.v1.<kind>_response", ...}`), errors included, the way nats-server does.
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { checkName, type Json, normalizeConsumerConfig, normalizeStreamConfig, type OnUnknownField } from "./config.ts";
import { subjectsCollide } from "../subject/mod.ts";
import type { Consumer } from "./consumer.ts";
import { directGet, noResponders } from "./direct.ts";
import { JSErr, JSError, type JSErrorData, jsError } from "./errors.ts";
import type { JetStream } from "./engine.ts";
import type { Stream } from "./stream.ts";
import { parsePull, Status } from "./pull.ts";
import { rfc3339Nano } from "./time.ts";
import { interestSubjects } from "./stream_source.ts";
import { UNLIMITED_ACCOUNT } from "../config/_jetstream_account.ts";
import { consumerDefaults } from "./account_limits.ts";

const decoder = new TextDecoder();
const NAMES_LIMIT = 1024;
const LIST_LIMIT = 256;
const TYPE = "io.nats.jetstream.api.v1.";

type Response = Record<string, unknown>;

/** The response for one request, or null when the handler replied itself (CONSUMER.MSG.NEXT). */
export async function handleApi(js: JetStream, op: string, reply: string, data: Uint8Array): Promise<Response | null> {
  const t = op.split(".");
  const kind = responseKind(t);
  try {
    const r = await route(js, t, reply, data);
    return r === null ? null : { type: TYPE + kind, ...r };
  } catch (err) {
    if (!(err instanceof JSError)) throw err;
    return { type: TYPE + kind, error: err.data };
  }
}


/** The answer to any request from an account without JetStream, while the server has it. */
export function notEnabledResponse(op: string): Response {
  return { type: TYPE + responseKind(op.split(".")), error: JSErr.NotEnabledForAccount };
}

/**
 * The answer to a request whose handler failed unexpectedly (a store error, a bug): a 500 the client gets at
 * once, rather than a timeout. Its text is the error's own, which never holds a key or a secret.
 */
export function failureResponse(op: string, err: unknown): Response {
  const e = jsError(JSErr.StreamGeneral, { err: err instanceof Error ? err.message : String(err) });
  return { type: TYPE + responseKind(op.split(".")), error: e.data };
}

function responseKind(t: string[]): string {
  const [a, b, c] = t;
  if (a === "INFO") return "account_info_response";
  if (a === "STREAM" && b === "MSG") return `stream_msg_${(c ?? "").toLowerCase()}_response`;
  if ((a === "STREAM" || a === "CONSUMER") && b !== undefined) {
    const verb = b === "DURABLE" ? "CREATE" : b;
    return `${a.toLowerCase()}_${verb.toLowerCase()}_response`;
  }
  return "system_response"; // unknown requests
}

/**
 * The request's JSON object. An empty one is `{}` where the request is optional, and otherwise refused with
 * `ifEmpty`: nats-server decodes configs (an empty body is invalid JSON) but checks message requests first.
 */
function body(data: Uint8Array, ifEmpty: JSErrorData | null): Json {
  const text = decoder.decode(data).trim();
  if (text === "") {
    if (ifEmpty !== null) throw jsError(ifEmpty);
    return {};
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw jsError(JSErr.InvalidJSON);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw jsError(JSErr.InvalidJSON);
  return v as Json;
}

/** Logs, at debug level, a config field nats-server ignores too (a newer client's feature, or a typo). */
function unknownField(js: JetStream, what: string): OnUnknownField {
  return (field) => js.log.debugf(`JetStream: ${what}: ignoring unknown config field ${JSON.stringify(field)}`);
}

function noBody(data: Uint8Array): void {
  if (decoder.decode(data).trim() !== "") throw jsError(JSErr.NotEmptyRequest);
}

async function route(js: JetStream, t: string[], reply: string, data: Uint8Array): Promise<Response | null> {
  const [a, b] = t;
  if (a === "INFO" && t.length === 1) return accountInfo(js);
  if (a === "DIRECT" && b === "GET" && t.length >= 3) {
    const s = directStream(js, t[2]!);
    const r = s === null ? noResponders() : directGet(s, t.length > 3 ? t.slice(3).join(".") : undefined, data);
    js.sendMsg(reply, r.hdr, r.data);
    return null;
  }
  if (a === "STREAM") {
    if (b === "NAMES" || b === "LIST") return streamList(js, b, body(data, null));
    if (b === "MSG" && t.length === 4) return msgOp(js, t[2]!, t[3]!, data);
    if (t.length === 3) return streamOp(js, b!, t[2]!, data);
  }
  if (a === "CONSUMER") {
    if (b === "CREATE" && t.length >= 3) return consumerCreate(js, t, data);
    if (b === "DURABLE" && t[2] === "CREATE" && t.length === 5) return consumerCreate(js, t, data);
    if ((b === "NAMES" || b === "LIST") && t.length === 3) return consumerList(js, b, t[2]!, body(data, null));
    if (b === "MSG" && t[2] === "NEXT" && t.length === 5) return pullNext(js, t[3]!, t[4]!, reply, data);
    if ((b === "INFO" || b === "DELETE") && t.length === 4) return consumerOp(js, b, t[2]!, t[3]!, data);
  }
  throw jsError(JSErr.BadRequest);
}

/**
 * Who answers `$JS.API.DIRECT.GET.<name>`: the stream of that name with allow_direct, else a mirror of it with
 * mirror_direct (nats-server subscribes those to the origin's direct get subject, so an edge reads a hub
 * stream from its own mirror); null: nobody subscribes, no responders.
 */
function directStream(js: JetStream, name: string): Stream | null {
  const s = js.streams.get(name);
  if (s !== undefined) return s.config.allow_direct ? s : null;
  for (const m of js.streams.values()) if (m.config.mirror_direct && m.config.mirror?.name === name) return m;
  return null;
}

function accountInfo(js: JetStream): Response {
  const u = js.usage();
  return {
    ...u,
    ...(js.domain ? { domain: js.domain } : {}),
    // The global account alone is limited by the server's max_mem and max_file only, reported as its limits.
    limits: js.account.limits ?? { ...UNLIMITED_ACCOUNT, max_memory: js.maxMemory, max_storage: js.maxStore },
    api: { total: js.apiTotal, errors: js.apiErrors },
  };
}

async function streamOp(js: JetStream, verb: string, name: string, data: Uint8Array): Promise<Response> {
  switch (verb) {
    case "CREATE":
    case "UPDATE": {
      const raw = body(data, JSErr.InvalidJSON);
      if (raw.name !== name) throw jsError(JSErr.StreamMismatch);
      // normalizeStreamConfig refuses `sealed` as nats-server does on create; on update it seals the stream.
      const sealed = verb === "UPDATE" && raw.sealed === true;
      const cfg = normalizeStreamConfig({ ...raw, ...(sealed ? { sealed: false } : {}) }, unknownField(js, `stream ${name}`));
      if (verb === "UPDATE") return (await js.updateStream({ ...cfg, sealed })).info();
      const { stream, created } = await js.createStream(cfg);
      return { ...stream.info(), did_create: created };
    }
    case "INFO": {
      checkName(name, "stream");
      const req = body(data, null);
      const s = js.stream(name);
      const info = s.info();
      if (req.deleted_details === true) {
        const deleted = s.store.deleted();
        if (deleted.length > 0) (info.state as Json).deleted = deleted;
      }
      if (typeof req.subjects_filter === "string" && req.subjects_filter !== "") {
        const subjects = Object.fromEntries(s.store.subjectCounts(req.subjects_filter));
        (info.state as Json).subjects = subjects;
        return { ...info, total: Object.keys(subjects).length, offset: 0, limit: 100_000 };
      }
      return info;
    }
    case "DELETE":
      noBody(data);
      await js.deleteStream(js.stream(name).name);
      return { success: true };
    case "PURGE": {
      const req = body(data, null);
      const s = js.stream(name);
      if (s.config.sealed) throw jsError(JSErr.StreamSealed);
      if (s.config.deny_purge) throw jsError(JSErr.StreamPurgeFailed, { err: "stream purge not permitted" });
      if (typeof req.seq === "number" && req.seq > 0 && typeof req.keep === "number" && req.keep > 0) throw jsError(JSErr.BadRequest);
      const purged = await s.purge({
        filter: typeof req.filter === "string" ? req.filter : undefined,
        seq: typeof req.seq === "number" ? req.seq : undefined,
        keep: typeof req.keep === "number" ? req.keep : undefined,
      });
      return { success: true, purged };
    }
    default:
      throw jsError(JSErr.BadRequest);
  }
}

function streamList(js: JetStream, verb: string, req: Json): Response {
  const offset = typeof req.offset === "number" && req.offset > 0 ? req.offset : 0;
  const subject = typeof req.subject === "string" ? req.subject : "";
  const all = [...js.streams.values()]
    .filter((s) => subject === "" || s.config.subjects.some((x) => subjectsCollide(x, subject)))
    .sort((x, y) => (x.name < y.name ? -1 : 1));
  const limit = verb === "NAMES" ? NAMES_LIMIT : LIST_LIMIT;
  const page = all.slice(offset, offset + limit);
  const base = { total: all.length, offset, limit };
  if (verb === "NAMES") return { ...base, streams: page.map((s) => s.name) };
  const offline = Object.fromEntries(js.unavailable);
  return { ...base, streams: page.map((s) => s.info()), ...(js.unavailable.size > 0 ? { offline } : {}) };
}

async function msgOp(js: JetStream, verb: string, name: string, data: Uint8Array): Promise<Response> {
  const s = js.stream(name);
  const req = body(data, JSErr.BadRequest);
  if (verb === "GET") {
    const m = s.getMsg(req);
    const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64");
    // nats-server leaves out empty hdrs and data (Go's omitempty): a KV delete marker has no data field, and
    // libnats refuses an empty one ("base64 content cannot be empty").
    return {
      message: {
        subject: m.subject,
        seq: m.seq,
        ...(m.hdr.length > 0 ? { hdrs: b64(m.hdr) } : {}),
        ...(m.payload.length > 0 ? { data: b64(m.payload) } : {}),
        time: rfc3339Nano(m.ts),
      },
    };
  }
  if (verb === "DELETE") {
    if (s.config.sealed) throw jsError(JSErr.StreamSealed);
    if (s.config.deny_delete) throw jsError(JSErr.StreamMsgDeleteFailed, { err: "message delete not permitted" });
    if (typeof req.seq !== "number") throw jsError(JSErr.BadRequest);
    const ok = await s.removeMsg(req.seq, req.no_erase !== true);
    // nats-server's words depend on its store: the memory store names the sequence, the file store says
    // whether it was never written or is gone.
    if (!ok && s.config.storage === "memory") throw jsError(JSErr.SequenceNotFound, { seq: req.seq });
    if (!ok) throw jsError(JSErr.StreamMsgDeleteFailed, { err: req.seq > s.store.lastSeq() ? "stream store EOF" : "no message found" });
    return { success: true };
  }
  throw jsError(JSErr.BadRequest);
}

/**
 * `CONSUMER.CREATE.<s>` (ephemeral), `CONSUMER.CREATE.<s>.<c>[.<filter>]` and `CONSUMER.DURABLE.CREATE.<s>.<c>`,
 * with nats-server's checks that the subject and the request agree.
 */
async function consumerCreate(js: JetStream, t: string[], data: Uint8Array): Promise<Response> {
  const durableForm = t[1] === "DURABLE";
  const streamName = durableForm ? t[3]! : t[2]!;
  const nameInSubject = durableForm ? t[4] : t[3];
  const filterInSubject = !durableForm && t.length > 4 ? t.slice(4).join(".") : undefined;
  const req = body(data, JSErr.InvalidJSON);
  if (req.stream_name !== undefined && req.stream_name !== streamName) throw jsError(JSErr.StreamMismatch);
  const raw = (typeof req.config === "object" && req.config !== null ? req.config : {}) as Json;
  const durable = typeof raw.durable_name === "string" && raw.durable_name !== "" ? raw.durable_name : undefined;
  const named = typeof raw.name === "string" && raw.name !== "" ? raw.name : undefined;
  if (durableForm) {
    if (durable === undefined) throw jsError(JSErr.ConsumerDurableNameNotSet);
    if (durable !== nameInSubject) throw jsError(JSErr.ConsumerDurableNameNotMatchSubject);
  } else if (nameInSubject === undefined) {
    if (durable !== undefined) throw jsError(JSErr.ConsumerEphemeralWithDurableName);
  } else {
    if (durable !== undefined && durable !== nameInSubject) throw jsError(JSErr.ConsumerDurableNameNotMatchSubject);
    if (named !== undefined && named !== nameInSubject) throw jsError(JSErr.ConsumerCreate, { err: "consumer name in subject does not match name in request" });
    if (filterInSubject !== undefined && raw.filter_subject !== filterInSubject) throw jsError(JSErr.ConsumerFilterMismatch);
  }
  if (durable !== undefined && named !== undefined && durable !== named) throw jsError(JSErr.ConsumerDurableAndNameMismatch);
  const stream = js.stream(streamName);
  const name = nameInSubject ?? named ?? ephemeralName();
  checkName(name, "consumer");
  const scope = interestSubjects(stream.config, (n) => js.streams.get(n)?.config);
  const cfg = consumerDefaults(js.account.limits, raw, normalizeConsumerConfig({ ...raw, name }, stream.config.subjects, unknownField(js, `consumer ${streamName} > ${name}`), scope));
  const action = typeof req.action === "string" ? req.action : "";
  const c = await js.addConsumer(stream, cfg, action);
  return consumerInfo(js, c);
}

async function consumerOp(js: JetStream, verb: string, streamName: string, name: string, data: Uint8Array): Promise<Response> {
  noBody(data);
  const c = js.stream(streamName).consumers.get(name);
  if (c === undefined) throw jsError(JSErr.ConsumerNotFound);
  if (verb === "INFO") return consumerInfo(js, c);
  await js.deleteConsumer(c);
  return { success: true };
}

function consumerList(js: JetStream, verb: string, streamName: string, req: Json): Response {
  const offset = typeof req.offset === "number" && req.offset > 0 ? req.offset : 0;
  // Direct consumers (a mirror's or source's link) are not listed, as nats-server's getPublicConsumers.
  const all = [...js.stream(streamName).consumers.values()].filter((c) => c.config.direct !== true).sort((x, y) => (x.name < y.name ? -1 : 1));
  const limit = verb === "NAMES" ? NAMES_LIMIT : LIST_LIMIT;
  const page = all.slice(offset, offset + limit);
  const base = { total: all.length, offset, limit };
  return verb === "NAMES" ? { ...base, consumers: page.map((c) => c.name) } : { ...base, consumers: page.map((c) => consumerInfo(js, c)) };
}

/**
 * A consumer's info with nats-server's `push_bound: true` while a push consumer's deliver subject has a
 * subscriber (omitted otherwise). nats.go reads it to refuse a second plain subscription to a bound durable
 * ("consumer is already bound to a subscription") instead of splitting its deliveries between two subscribers.
 */
function consumerInfo(js: JetStream, c: Consumer): Response {
  const ds = c.config.deliver_subject;
  const { ts, ...info } = c.info();
  return ds !== undefined && js.hasInterest(ds) ? { ...info, push_bound: true, ts } : { ...info, ts };
}

/** Pull requests answer with messages and status headers, never JSON (nats-server replies 404/409 statuses). */
function pullNext(js: JetStream, streamName: string, name: string, reply: string, data: Uint8Array): null {
  const c = js.streams.get(streamName)?.consumers.get(name);
  if (c === undefined) {
    js.status(reply, Status.noMessages());
    return null;
  }
  const args = parsePull(data);
  if (typeof args === "string") js.status(reply, Status.badRequest(args));
  else c.pull(reply, args);
  return null;
}

/** nats-server's ephemeral names: 8 base62 characters. */
function ephemeralName(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return [...randomBytes(8)].map((b) => alphabet[b % 62]).join("");
}
