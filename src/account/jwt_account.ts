/**
 * An account JWT's exports, imports and mappings as the AccountOptions the registry links (nats-server's
 * updateAccountClaimsWithRefresh). An export that requires an activation token admits only imports whose
 * token checks out against the exporter's claims (activation.ts).
 */
import type { AccountClaims } from "../auth/jwt_verify.ts";
import type { AccountExport, AccountImport, AccountOptions, JetStreamAccountLimits } from "../config/options.ts";
import { checkActivation } from "./activation.ts";
import { isValidSubject, subjectHasWildcard } from "../subject/subject.ts";

type ResponseType = NonNullable<AccountExport["response_type"]>;
const RESPONSE_TYPES: Record<string, ResponseType> = { singleton: "singleton", stream: "stream", chunked: "chunked" };

export interface JwtAccountOptions {
  options: AccountOptions;
  /** When the first of its activation tokens expires (ms since the epoch), or null. */
  activationsExpire: number | null;
  /** Why imports' tokens were not accepted, for the log. */
  refused: string[];
}

/** `exporterOf`: the claims of an account imported from (loaded before the importer is linked). */
export function accountOptionsOf(c: AccountClaims, exporterOf: (pub: string) => AccountClaims | undefined = () => undefined): JwtAccountOptions {
  const refused: string[] = [];
  let activationsExpire: number | null = null;
  const exports: AccountExport[] = (c.nats.exports ?? []).map((e) => {
    const out: AccountExport = e.type === "stream" ? { stream: e.subject } : { service: e.subject };
    if (e.token_req) out.token_req = true;
    if (e.type === "service") {
      out.response_type = RESPONSE_TYPES[(e.response_type ?? "singleton").toLowerCase()] ?? "singleton";
      // Go durations are nanoseconds.
      if (e.response_threshold) out.response_threshold = e.response_threshold / 1e6;
      const latency = latencyOf(e.service_latency);
      // TrackServiceExportWithSampling refuses a non-singleton export; nats-server logs it at debug and
      // keeps the export without latency.
      if (latency !== null && out.response_type === "singleton") out.latency = latency;
    }
    return out;
  });
  const imports: AccountImport[] = (c.nats.imports ?? []).map((i) => {
    const ref = { account: i.account, subject: i.subject };
    let activated = false;
    const exporter = i.token ? exporterOf(i.account) : undefined;
    if (exporter !== undefined) {
      const act = checkActivation(i, c.sub, exporter);
      if (typeof act === "string") refused.push(act);
      else {
        activated = true;
        if (act.exp) activationsExpire = Math.min(activationsExpire ?? Infinity, act.exp * 1000);
      }
    }
    const token = activated ? { activated } : {};
    if (i.type === "stream") {
      return { stream: ref, ...token, ...(i.local_subject ? { to: i.local_subject } : i.to ? { prefix: i.to } : {}) };
    }
    const to = i.local_subject || i.to;
    return { service: ref, ...token, ...(to ? { to } : {}), ...(i.share ? { share: true } : {}) };
  });
  // JWT v2 mappings: source → [{ subject, weight, cluster }]; a weight of 0 means 100 (jwt's GetWeight).
  type Weighted = { subject: string; weight?: number; cluster?: string };
  const raw = (c.nats as { mappings?: Record<string, Weighted[]> }).mappings ?? {};
  const mappings = Object.entries(raw).map(([subject, list]) => ({
    subject,
    dests: list.map((m) => ({ destination: m.subject, weight: m.weight || 100, ...(m.cluster ? { cluster: m.cluster } : {}) })),
  }));
  return { options: { name: c.sub, exports, imports, mappings, jetstream: jetStreamOf(c) }, activationsExpire, refused };
}

/**
 * An export's `service_latency` claim as the config's `latency`: jwt's SamplingRate is "headers" (0) or a
 * percentage, `results` the subject measures go to. Null when absent or not valid (latencyProblem).
 */
export function latencyOf(l: { sampling?: unknown; results?: unknown } | undefined): { sampling: number; subject: string } | null {
  if (l === undefined || latencyProblem(l) !== null) return null;
  // TrackServiceExportWithSampling's IsValidPublishSubject: the JWT stays valid, the export untracked.
  if (!isValidSubject(String(l.results))) return null;
  return { sampling: l.sampling === "headers" ? 0 : Number(l.sampling), subject: String(l.results) };
}

/** jwt's ServiceLatency.Validate: the error that makes the account JWT not valid, or null. */
export function latencyProblem(l: { sampling?: unknown; results?: unknown }): string | null {
  const s = l.sampling;
  if (s !== "headers" && s !== 0 && !(typeof s === "number" && Number.isInteger(s) && s >= 1 && s <= 100)) {
    return "sampling percentage needs to be between 1-100";
  }
  const r = typeof l.results === "string" ? l.results : "";
  if (r === "") return "subject cannot be empty";
  if (r.includes(" ")) return `subject ${JSON.stringify(r)} cannot have spaces`;
  if (subjectHasWildcard(r)) return "results subject can not contain wildcards";
  return null;
}

/**
 * The account's JetStream limits (nats-server's updateAccountClaimsWithRefresh): it has JetStream when its
 * memory or disk storage is not 0; a limit the JWT leaves out is 0, which for streams and consumers is none.
 */
function jetStreamOf(c: AccountClaims): JetStreamAccountLimits | null {
  const l = c.nats.limits ?? {};
  const mem = l.mem_storage ?? 0;
  const disk = l.disk_storage ?? 0;
  if (mem === 0 && disk === 0) return null;
  return {
    max_memory: mem,
    max_storage: disk,
    max_streams: l.streams ?? 0,
    max_consumers: l.consumer ?? 0,
    max_ack_pending: l.max_ack_pending ?? 0,
    memory_max_stream_bytes: l.mem_max_stream_bytes ?? 0,
    storage_max_stream_bytes: l.disk_max_stream_bytes ?? 0,
    max_bytes_required: l.max_bytes_required ?? false,
  };
}

/** The accounts a JWT imports from. */
export function importedAccounts(c: AccountClaims): string[] {
  return [...new Set((c.nats.imports ?? []).map((i) => i.account))];
}
