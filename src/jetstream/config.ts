/**
 * Stream and consumer configurations: the JSON the API accepts, defaulted the way nats-server echoes it back
 * (clients compare the echoed config), and validated with nats-server's error codes.
 */
import { compile, isValidSubject, subjectIsSubsetMatch, subjectsCollide, validateMapping } from "../subject/mod.ts";
import { JSErr, jsError } from "./errors.ts";
import type { StreamSource } from "./stream_source.ts";

/** Durations in the API are integer nanoseconds. */
export const NS_PER_MS = 1_000_000;
const DEFAULT_DUPLICATE_WINDOW_NS = 120_000 * NS_PER_MS;
const DEFAULT_ACK_WAIT_NS = 30_000 * NS_PER_MS;
const DEFAULT_EPHEMERAL_INACTIVE_NS = 5_000 * NS_PER_MS;
const DEFAULT_MAX_ACK_PENDING = 1000;
const DEFAULT_MAX_WAITING = 512;

export type Json = Record<string, unknown>;

/** limits: kept until a limit removes them; interest: until every consumer acked; workqueue: until one did. */
export type Retention = "limits" | "interest" | "workqueue";

export interface StreamConfig {
  name: string;
  description?: string;
  subjects: string[];
  retention: Retention;
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size: number;
  discard: "old" | "new";
  storage: "file" | "memory";
  num_replicas: number;
  duplicate_window: number;
  allow_rollup_hdrs: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_direct: boolean;
  mirror_direct: boolean;
  sealed: boolean;
  republish?: RePublish;
  /** Applied to each message's subject as it is stored (2.10). */
  subject_transform?: SubjectTransformConfig;
  /** The first message gets this sequence (2.10). */
  first_seq?: number;
  /** Nats-TTL headers are honoured (2.11); echoed only when set. */
  allow_msg_ttl?: boolean;
  /** ns: max_age or a TTL emptying a subject leaves a marker that lives this long (2.11). */
  subject_delete_marker_ttl?: number;
  metadata?: Record<string, string>;
  mirror?: StreamSource;
  sources?: StreamSource[];
  [extra: string]: unknown;
}

export interface SubjectTransformConfig {
  src: string;
  dest: string;
}

/** nats-server's JSMaxMetadataLen: keys and values together. */
const MAX_METADATA_LEN = 128 * 1024;

/** Every stored message matching `src` is also published to `dest` (mapped), with headers saying where it is stored. */
export interface RePublish {
  src: string;
  dest: string;
  headers_only?: boolean;
}

/** Fields nats-server 2.9–2.12 clients send; others are dropped (and reported), as nats-server ignores them. */
const STREAM_FIELDS = new Set([
  "name", "description", "subjects", "retention", "max_consumers", "max_msgs", "max_bytes", "max_age",
  "max_msgs_per_subject", "max_msg_size", "discard", "discard_new_per_subject", "storage", "num_replicas",
  "no_ack", "template_owner", "duplicate_window", "placement", "mirror", "sources", "compression", "first_seq",
  "subject_transform", "republish", "allow_direct", "mirror_direct", "sealed", "deny_delete", "deny_purge",
  "allow_rollup_hdrs", "consumer_limits", "metadata", "allow_msg_ttl", "subject_delete_marker_ttl",
]);

const CONSUMER_FIELDS = new Set([
  "durable_name", "name", "description", "deliver_policy", "opt_start_seq", "opt_start_time", "ack_policy",
  "ack_wait", "max_deliver", "backoff", "filter_subject", "filter_subjects", "replay_policy", "rate_limit_bps",
  "sample_freq", "max_waiting", "max_ack_pending", "flow_control", "headers_only", "max_batch", "max_expires",
  "max_bytes", "deliver_subject", "deliver_group", "idle_heartbeat", "inactive_threshold", "num_replicas",
  "mem_storage", "metadata", "direct",
]);

/** Called with each field a request carries that nats-server does not know either. */
export type OnUnknownField = (field: string) => void;

/** `obj` without the fields outside `known`, each reported: Go's JSON decoding drops them silently. */
function knownFields(obj: Json, known: Set<string>, onUnknown: OnUnknownField): Json {
  let out = obj;
  for (const k of Object.keys(obj)) {
    if (known.has(k)) continue;
    onUnknown(k);
    if (out === obj) out = { ...obj };
    delete out[k];
  }
  return out;
}

/** Stream/consumer names: non-empty, ≤255 chars, none of whitespace `.` `*` `>`; path separators have their own code. */
export function checkName(name: string, kind: "stream" | "consumer"): void {
  if (name.includes("/") || name.includes("\\")) {
    throw jsError(kind === "stream" ? JSErr.StreamNameContainsPathSeparators : JSErr.ConsumerNameContainsPathSeparators);
  }
  if (!isValidName(name)) {
    throw kind === "stream"
      ? jsError(JSErr.StreamInvalidConfig, { err: "invalid name" })
      : jsError(JSErr.ConsumerCreate, { err: "consumer name is invalid" });
  }
}

export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[\s.*>\\/]/.test(name);
}

function int(v: unknown, dflt: number, field: string): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw jsError(JSErr.InvalidJSON, { err: `json: cannot unmarshal ${typeof v} into field ${field} of type int64` });
  }
  return v === 0 ? dflt : v;
}

/** A list of nanosecond durations; absent or null is empty. Values are taken as given, as nats-server does. */
function durations(v: unknown, field: string): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw jsError(JSErr.InvalidJSON, { err: `json: cannot unmarshal ${typeof v} into field ${field} of type []time.Duration` });
  for (const d of v) {
    if (typeof d !== "number" || !Number.isInteger(d)) {
      throw jsError(JSErr.InvalidJSON, { err: `json: cannot unmarshal ${typeof d} into field ${field} of type time.Duration` });
    }
  }
  return v as number[];
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], dflt: T, field: string): T {
  if (v === undefined || v === null || v === "") return dflt;
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  throw jsError(JSErr.InvalidJSON, { err: `can not unmarshal ${JSON.stringify(v)} into ${field}` });
}

function invalid(err: string) {
  return jsError(JSErr.StreamInvalidConfig, { err });
}

/** The stream config with nats-server's defaults applied; throws JSError when it is not acceptable. */
export function normalizeStreamConfig(request: Json, onUnknown: OnUnknownField = () => {}): StreamConfig {
  const raw = knownFields(request, STREAM_FIELDS, onUnknown);
  const hasSubjects = Array.isArray(raw.subjects) && raw.subjects.length > 0;
  const hasMirror = raw.mirror !== undefined && raw.mirror !== null;
  if (hasMirror && hasSubjects) throw jsError(JSErr.MirrorWithSubjects);
  const hasSources = Array.isArray(raw.sources) && raw.sources.length > 0;
  if (hasMirror && hasSources) throw jsError(JSErr.MirrorWithSources);
  const name = typeof raw.name === "string" ? raw.name : "";
  checkName(name, "stream");
  const retention = oneOf(raw.retention, ["limits", "interest", "workqueue"] as const, "limits", "retention");
  const replicas = int(raw.num_replicas, 1, "num_replicas");
  if (replicas > 5 || replicas < 1) throw invalid("replicas > 5 not supported");
  if (replicas > 1) throw jsError(JSErr.StreamReplicasNotSupported);
  // nats-server 2.9.10's checkStreamCfg order: the duplicates window (defaulted from max_age, so a negative
  // max_age shows as a negative window), then the subjects.
  const maxAge = int(raw.max_age, 0, "max_age");
  let dupWindow = int(raw.duplicate_window, 0, "duplicate_window");
  // A mirror dedupes nothing (it stores the origin's copies), so nats-server gives it no default window.
  if (dupWindow === 0 && !hasMirror) dupWindow = maxAge !== 0 && maxAge < DEFAULT_DUPLICATE_WINDOW_NS ? maxAge : DEFAULT_DUPLICATE_WINDOW_NS;
  if (dupWindow < 0) throw invalid("duplicates window can not be negative");
  if (maxAge !== 0 && dupWindow > maxAge) throw invalid("duplicates window can not be larger then max age");
  if (maxAge < 0) throw invalid("max age needs to be >= 0");
  // Only a stream that takes nothing from other streams listens on its own name by default.
  const dflt = hasMirror || hasSources ? [] : [name];
  const subjects = hasSubjects || (raw.subjects !== undefined && raw.subjects !== null && !Array.isArray(raw.subjects)) ? raw.subjects : dflt;
  if (!Array.isArray(subjects) || subjects.some((s) => typeof s !== "string")) throw jsError(JSErr.InvalidJSON);
  const seen = new Set<string>();
  for (const s of subjects as string[]) {
    if (seen.has(s)) throw invalid("duplicate subjects detected");
    if (subjectIsSubsetMatch(s, "$JS.API.>")) throw invalid("subjects overlap with jetstream api");
    if (!isValidSubject(s)) throw invalid("invalid subject");
    seen.add(s);
  }
  for (const s of seen) {
    for (const o of seen) if (o !== s && subjectsCollide(o, s)) throw invalid(`subject ${JSON.stringify(s)} overlaps with ${JSON.stringify(o)}`);
  }
  const discard = oneOf(raw.discard, ["old", "new"] as const, "old", "discard");
  const maxPerSubject = int(raw.max_msgs_per_subject, -1, "max_msgs_per_subject");
  if (raw.discard_new_per_subject === true) {
    if (discard !== "new") throw invalid("discard new per subject requires discard new policy to be set");
    if (maxPerSubject <= 0) throw invalid("discard new per subject requires max msgs per subject > 0");
  }
  if (raw.sealed === true) throw invalid("stream configuration for create can not be sealed");
  let allowRollup = raw.allow_rollup_hdrs === true;
  let denyPurge = raw.deny_purge === true;
  if (denyPurge && allowRollup) throw invalid("roll-ups require the purge permission");
  // nats-server 2.11: markers need TTLs (they carry one) and roll-ups (they replace the subject's messages);
  // outside pedantic mode it switches both on rather than refusing.
  let allowTTL = raw.allow_msg_ttl === true;
  const markerTTL = int(raw.subject_delete_marker_ttl, 0, "subject_delete_marker_ttl");
  if (markerTTL > 0) {
    if (markerTTL < 1000 * NS_PER_MS) throw invalid("subject delete marker TTL must be at least 1 second");
    allowTTL = true;
    if (!allowRollup) [allowRollup, denyPurge] = [true, false];
  } else if (markerTTL < 0) throw invalid("subject delete marker TTL must not be negative");
  const firstSeq = int(raw.first_seq, 0, "first_seq");
  if (hasMirror && firstSeq > 0) throw jsError(JSErr.MirrorWithFirstSeq);
  if (hasMirror && markerTTL > 0) throw invalid("subject delete markers forbidden on mirrors");
  const metadata = metadataOf(raw.metadata, "stream");
  const republish = republishConfig(raw.republish, subjects as string[]);
  const transform = subjectTransformConfig(raw.subject_transform);
  const mirror = hasMirror ? streamSource(raw.mirror, "mirror") : undefined;
  const sources = hasSources ? (raw.sources as unknown[]).map((x) => streamSource(x, "sources")) : undefined;
  if ((mirror?.name === name && mirror.external === undefined) || sources?.some((x) => x.name === name && x.external === undefined)) throw invalid("detected cycle");
  const cfg: StreamConfig = {
    ...raw,
    name,
    subjects: subjects as string[],
    retention,
    max_consumers: int(raw.max_consumers, -1, "max_consumers"),
    max_msgs: int(raw.max_msgs, -1, "max_msgs"),
    max_bytes: int(raw.max_bytes, -1, "max_bytes"),
    max_age: maxAge,
    max_msgs_per_subject: maxPerSubject,
    max_msg_size: int(raw.max_msg_size, -1, "max_msg_size"),
    discard,
    storage: oneOf(raw.storage, ["file", "memory"] as const, "file", "storage"),
    num_replicas: replicas,
    duplicate_window: dupWindow,
    allow_rollup_hdrs: allowRollup,
    deny_delete: raw.deny_delete === true,
    deny_purge: denyPurge,
    allow_direct: raw.allow_direct === true,
    mirror_direct: raw.mirror_direct === true,
    sealed: false,
  };
  if (raw.description === undefined) delete cfg.description;
  if (republish !== undefined) cfg.republish = republish;
  else delete cfg.republish;
  if (transform !== undefined) cfg.subject_transform = transform;
  else delete cfg.subject_transform;
  if (firstSeq > 0) cfg.first_seq = firstSeq;
  else delete cfg.first_seq;
  if (allowTTL) cfg.allow_msg_ttl = true;
  else delete cfg.allow_msg_ttl;
  if (markerTTL > 0) cfg.subject_delete_marker_ttl = markerTTL;
  else delete cfg.subject_delete_marker_ttl;
  if (metadata !== undefined) cfg.metadata = metadata;
  else delete cfg.metadata;
  if (mirror !== undefined) cfg.mirror = mirror;
  else delete cfg.mirror;
  if (sources !== undefined) cfg.sources = sources;
  else delete cfg.sources;
  return cfg;
}

/** nats-server 2.9.10's republish checks, last in checkStreamCfg: source, cycle, then the transform. */
function republishConfig(v: unknown, subjects: readonly string[]): RePublish | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw jsError(JSErr.InvalidJSON);
  const r = v as Json;
  const src = typeof r.src === "string" && r.src !== "" ? r.src : ">";
  const dest = typeof r.dest === "string" ? r.dest : "";
  if (!subjects.some((s) => subjectsCollide(src, s))) throw invalid("stream configuration for republish source is not valid subset of subjects");
  if (subjects.some((s) => subjectsCollide(dest, s))) throw invalid("stream configuration for republish destination forms a cycle");
  try {
    compile(src, dest, { useAllWildcards: true });
  } catch {
    throw invalid("stream configuration for republish not valid");
  }
  return { src, dest, ...(r.headers_only === true ? { headers_only: true } : {}) };
}

/** nats-server 2.10's subject_transform checks: the source a subject ("" is all), the mapping valid. */
function subjectTransformConfig(v: unknown): SubjectTransformConfig | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw jsError(JSErr.InvalidJSON, { err: "json: cannot unmarshal into field subject_transform" });
  const r = v as Json;
  const src = typeof r.src === "string" ? r.src : "";
  const dest = typeof r.dest === "string" ? r.dest : "";
  if (src !== "" && !isValidSubject(src)) throw jsError(JSErr.StreamTransformInvalidSource, { err: `invalid subject ${src}` });
  try {
    validateMapping(src, dest);
  } catch (err) {
    throw jsError(JSErr.StreamTransformInvalidDestination, { err: err instanceof Error ? err.message : String(err) });
  }
  return { src, dest };
}

/** `metadata`: a JSON object of strings, at most 128 KiB of keys and values (nats-server's JSMaxMetadataLen). */
export function metadataOf(v: unknown, kind: "stream" | "consumer"): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
    throw jsError(JSErr.InvalidJSON, { err: "json: cannot unmarshal into field metadata of type map[string]string" });
  }
  const m = v as Record<string, string>;
  let len = 0;
  for (const [k, x] of Object.entries(m)) len += k.length + x.length;
  if (len > MAX_METADATA_LEN) {
    throw kind === "stream"
      ? invalid(`stream metadata exceeds maximum size of ${MAX_METADATA_LEN} bytes`)
      : jsError(JSErr.ConsumerMetadataLength, { limit: `${MAX_METADATA_LEN / 1024}KB` });
  }
  return Object.keys(m).length === 0 ? undefined : m;
}

/** A mirror or source as given: the origin's name, where to start, a filter, and another domain's prefixes. */
function streamSource(v: unknown, field: string): StreamSource {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw jsError(JSErr.InvalidJSON, { err: `json: cannot unmarshal into field ${field}` });
  const r = v as Json;
  const out: StreamSource = { name: typeof r.name === "string" ? r.name : "" };
  const seq = int(r.opt_start_seq, 0, "opt_start_seq");
  if (seq > 0) out.opt_start_seq = seq;
  if (typeof r.opt_start_time === "string" && r.opt_start_time !== "") out.opt_start_time = r.opt_start_time;
  if (typeof r.filter_subject === "string" && r.filter_subject !== "") {
    if (!isValidSubject(r.filter_subject)) {
      throw invalid(`source ${JSON.stringify(out.name).replace(/"/g, "'")} filter subject ${JSON.stringify(r.filter_subject).replace(/"/g, "'")} does not overlap with any origin stream subject`);
    }
    out.filter_subject = r.filter_subject;
  }
  if (typeof r.external === "object" && r.external !== null) {
    const e = r.external as Json;
    out.external = { api: typeof e.api === "string" ? e.api : "", deliver: typeof e.deliver === "string" ? e.deliver : "" };
  }
  return out;
}

export type DeliverPolicy = "all" | "last" | "new" | "by_start_sequence" | "by_start_time" | "last_per_subject";
export type AckPolicy = "none" | "all" | "explicit";

export interface ConsumerConfig {
  name: string;
  durable_name?: string;
  deliver_policy: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: AckPolicy;
  ack_wait: number;
  max_deliver: number;
  /** Redelivery delays (ns): the Nth delivery is redelivered after backoff[min(N-1, len-1)] instead of ack_wait. */
  backoff?: number[];
  filter_subject?: string;
  filter_subjects?: string[];
  /** original: messages go out spaced as they were stored (nats-server's ReplayOriginal). */
  replay_policy: "instant" | "original";
  max_waiting?: number;
  max_ack_pending: number;
  inactive_threshold?: number;
  num_replicas: number;
  /** Push consumers: where messages are sent, and the queue group expected to receive them. */
  deliver_subject?: string;
  deliver_group?: string;
  flow_control?: boolean;
  idle_heartbeat?: number;
  headers_only?: boolean;
  /** Pull consumers: the largest batch, expiry (ns) and max_bytes a request may ask for; absent = any. */
  max_batch?: number;
  max_expires?: number;
  max_bytes?: number;
  [extra: string]: unknown;
}

const MIN_HEARTBEAT_NS = 100 * NS_PER_MS;

/**
 * The consumer config with nats-server's defaults applied (pull and push). `filterScope` is what a filter must
 * fall within (a mirror's or source's origin subjects too, see interestSubjects); null: anything.
 */
export function normalizeConsumerConfig(
  request: Json,
  streamSubjects: readonly string[],
  onUnknown: OnUnknownField = () => {},
  filterScope: readonly string[] | null = streamSubjects,
): ConsumerConfig {
  const raw = knownFields(request, CONSUMER_FIELDS, onUnknown);
  const bad = (err: string) => jsError(JSErr.ConsumerInvalidPolicy, { err });
  const deliverSubject = typeof raw.deliver_subject === "string" && raw.deliver_subject !== "" ? raw.deliver_subject : undefined;
  const push = deliverSubject !== undefined;
  if (push && !isValidSubject(deliverSubject)) throw bad(`invalid deliver subject ${JSON.stringify(deliverSubject)}`);
  if (push && /(^|\.)[*>](\.|$)/.test(deliverSubject)) throw bad("consumer deliver subject has wildcards");
  // Delivering into the stream's own subjects would store every delivery again.
  if (push && streamSubjects.some((s) => subjectsCollide(s, deliverSubject))) throw jsError(JSErr.ConsumerDeliverCycle);
  const heartbeat = int(raw.idle_heartbeat, 0, "idle_heartbeat");
  // A pull consumer asks for heartbeats per request, not in its config; nats-server checks this first.
  if (heartbeat > 0 && !push) throw jsError(JSErr.ConsumerHBRequiresPush);
  if (heartbeat > 0 && heartbeat < MIN_HEARTBEAT_NS) throw jsError(JSErr.ConsumerSmallHeartbeat);
  if (raw.flow_control === true) {
    if (!push) throw jsError(JSErr.ConsumerFCRequiresPush);
    if (heartbeat <= 0) throw jsError(JSErr.ConsumerFlowControlNeedsHeartbeats);
  }
  if (!push) checkRequestLimits(raw);
  if (push && raw.max_waiting !== undefined && raw.max_waiting !== 0) throw jsError(JSErr.ConsumerPushMaxWaiting);
  if (!push && typeof raw.rate_limit_bps === "number" && raw.rate_limit_bps > 0) throw jsError(JSErr.ConsumerPullWithRateLimit);
  const durable = typeof raw.durable_name === "string" && raw.durable_name !== "" ? raw.durable_name : undefined;
  const deliver = oneOf(raw.deliver_policy === "undefined" ? "all" : raw.deliver_policy,
    ["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"] as const, "all", "deliver_policy");
  const startSeq = int(raw.opt_start_seq, 0, "opt_start_seq");
  const startTime = typeof raw.opt_start_time === "string" && raw.opt_start_time !== "" ? raw.opt_start_time : undefined;
  if (startTime !== undefined && Number.isNaN(Date.parse(startTime))) throw jsError(JSErr.InvalidJSON);
  checkStartPolicy(deliver, startSeq > 0, startTime !== undefined);
  const ack = oneOf(raw.ack_policy, ["none", "all", "explicit"] as const, "none", "ack_policy");
  if (ack === "none" && typeof raw.max_ack_pending === "number" && raw.max_ack_pending > 0) throw jsError(JSErr.ConsumerMaxPendingAckPolicyRequired);
  const filters = consumerFilters(raw, filterScope);
  const maxDeliver = int(raw.max_deliver, -1, "max_deliver");
  const ackWait = int(raw.ack_wait, DEFAULT_ACK_WAIT_NS, "ack_wait");
  const backoff = durations(raw.backoff, "backoff");
  // -1 (unlimited) fails too: nats-server 2.9 insists on a finite max_deliver beyond the backoff list.
  if (backoff.length > 0 && maxDeliver <= backoff.length) throw jsError(JSErr.ConsumerMaxDeliverBackoff);
  const cfg: ConsumerConfig = {
    ...raw,
    name: typeof raw.name === "string" && raw.name !== "" ? raw.name : durable ?? "",
    deliver_policy: deliver,
    ack_policy: ack,
    // nats-server lets backoff[0] override any ack_wait given, without an error.
    ack_wait: backoff[0] ?? ackWait,
    max_deliver: maxDeliver,
    replay_policy: oneOf(raw.replay_policy, ["instant", "original"] as const, "instant", "replay_policy"),
    max_ack_pending: int(raw.max_ack_pending, ack === "none" ? -1 : DEFAULT_MAX_ACK_PENDING, "max_ack_pending"),
    num_replicas: int(raw.num_replicas, 0, "num_replicas"),
  };
  const metadata = metadataOf(raw.metadata, "consumer");
  if (metadata !== undefined) cfg.metadata = metadata;
  else delete cfg.metadata;
  if (push) {
    delete cfg.max_waiting;
    cfg.deliver_subject = deliverSubject;
  } else {
    cfg.max_waiting = int(raw.max_waiting, DEFAULT_MAX_WAITING, "max_waiting");
  }
  if (backoff.length > 0) cfg.backoff = backoff;
  else delete cfg.backoff;
  if (heartbeat > 0) cfg.idle_heartbeat = heartbeat;
  else delete cfg.idle_heartbeat;
  delete cfg.filter_subject;
  delete cfg.filter_subjects;
  if (filters.single !== undefined) cfg.filter_subject = filters.single;
  if (filters.many !== undefined) cfg.filter_subjects = filters.many;
  if (durable === undefined) {
    delete cfg.durable_name;
    cfg.inactive_threshold = int(raw.inactive_threshold, DEFAULT_EPHEMERAL_INACTIVE_NS, "inactive_threshold");
  }
  if (startSeq === 0) delete cfg.opt_start_seq;
  if (startTime === undefined) delete cfg.opt_start_time;
  // Zero means no limit, and nats-server omits it from the echoed config.
  for (const f of ["max_batch", "max_expires", "max_bytes"] as const) if (cfg[f] === 0) delete cfg[f];
  return cfg;
}

/** A pull consumer's limits on the requests it takes; nats-server checks max_bytes only when a request comes. */
function checkRequestLimits(raw: Json): void {
  if (int(raw.max_batch, 0, "max_batch") < 0) throw jsError(JSErr.ConsumerMaxRequestBatchNegative);
  const maxExpires = int(raw.max_expires, 0, "max_expires");
  if (maxExpires !== 0 && maxExpires < NS_PER_MS) throw jsError(JSErr.ConsumerMaxRequestExpiresTooSmall);
}

/** nats-server's checkConsumerCfg: each deliver policy needs its own start option and no other. */
function checkStartPolicy(deliver: DeliverPolicy, hasSeq: boolean, hasTime: boolean): void {
  const bad = (err: string) => jsError(JSErr.ConsumerInvalidPolicy, { err });
  switch (deliver) {
    case "by_start_sequence":
      if (!hasSeq) throw bad("consumer delivery policy is deliver by start sequence, but optional start sequence is not set");
      if (hasTime) throw bad("consumer delivery policy is deliver by start sequence, but optional start time is also set");
      break;
    case "by_start_time":
      if (!hasTime) throw bad("consumer delivery policy is deliver by start time, but optional start time is not set");
      if (hasSeq) throw bad("consumer delivery policy is deliver by start time, but optional start sequence is also set");
      break;
    default:
      // nats-server's DeliverPolicy.String(): "all", "last", "new", "last per subject".
      if (hasSeq) throw bad(`consumer delivery policy is deliver ${deliver.replace(/_/g, " ")}, but optional start sequence is also set`);
      if (hasTime) throw bad(`consumer delivery policy is deliver ${deliver.replace(/_/g, " ")}, but optional start time is also set`);
  }
}

/** `filter_subject` or `filter_subjects` (not both), each a valid subset of `scope` (null: any), none overlapping. */
function consumerFilters(raw: Json, scope: readonly string[] | null): { single?: string; many?: string[] } {
  const single = typeof raw.filter_subject === "string" && raw.filter_subject !== "" && raw.filter_subject !== ">" ? raw.filter_subject : undefined;
  const list = Array.isArray(raw.filter_subjects) ? raw.filter_subjects : [];
  if (list.some((f) => typeof f !== "string" || f === "")) throw jsError(JSErr.ConsumerEmptyFilter);
  if (single !== undefined && list.length > 0) throw jsError(JSErr.ConsumerDuplicateFilterSubjects);
  const all = single !== undefined ? [single] : (list as string[]);
  for (const f of all) {
    if (!isValidSubject(f)) throw jsError(JSErr.ConsumerInvalidPolicy, { err: `invalid filter subject ${JSON.stringify(f)}` });
    if (scope !== null && !scope.some((s) => subjectsCollide(s, f))) throw jsError(JSErr.ConsumerFilterNotSubset);
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (subjectIsSubsetMatch(all[i]!, all[j]!) || subjectIsSubsetMatch(all[j]!, all[i]!)) throw jsError(JSErr.ConsumerOverlappingSubjectFilters);
    }
  }
  if (single !== undefined) return { single };
  return list.length > 0 ? { many: list as string[] } : {};
}

/** A consumer's subject filters; empty = the whole stream. */
export function filtersOf(cfg: ConsumerConfig): string[] {
  if (cfg.filter_subjects !== undefined) return cfg.filter_subjects.includes(">") ? [] : cfg.filter_subjects;
  return cfg.filter_subject !== undefined ? [cfg.filter_subject] : [];
}
