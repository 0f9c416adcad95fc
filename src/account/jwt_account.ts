/**
 * An account JWT's exports, imports and mappings as the AccountOptions the registry links (nats-server's
 * updateAccountClaimsWithRefresh). An export that requires an activation token admits no importer, since
 * natsedge does not check activations yet; an import that carries a token is skipped for the same reason.
 */
import type { AccountClaims } from "../auth/jwt_verify.ts";
import type { AccountExport, AccountImport, AccountOptions, JetStreamAccountLimits } from "../config/options.ts";

type ResponseType = NonNullable<AccountExport["response_type"]>;
const RESPONSE_TYPES: Record<string, ResponseType> = { singleton: "singleton", stream: "stream", chunked: "chunked" };

export function accountOptionsOf(c: AccountClaims): AccountOptions {
  const exports: AccountExport[] = (c.nats.exports ?? []).map((e) => {
    const out: AccountExport = e.type === "stream" ? { stream: e.subject } : { service: e.subject };
    if (e.token_req) out.accounts = [];
    if (e.type === "service") {
      out.response_type = RESPONSE_TYPES[(e.response_type ?? "singleton").toLowerCase()] ?? "singleton";
      // Go durations are nanoseconds.
      if (e.response_threshold) out.response_threshold = e.response_threshold / 1e6;
    }
    return out;
  });
  const imports: AccountImport[] = (c.nats.imports ?? []).filter((i) => !i.token).map((i) => {
    const ref = { account: i.account, subject: i.subject };
    if (i.type === "stream") {
      return { stream: ref, ...(i.local_subject ? { to: i.local_subject } : i.to ? { prefix: i.to } : {}) };
    }
    const to = i.local_subject || i.to;
    return { service: ref, ...(to ? { to } : {}), ...(i.share ? { share: true } : {}) };
  });
  // JWT v2 mappings: source → [{ subject, weight, cluster }]; a weight of 0 means 100 (jwt's GetWeight).
  type Weighted = { subject: string; weight?: number; cluster?: string };
  const raw = (c.nats as { mappings?: Record<string, Weighted[]> }).mappings ?? {};
  const mappings = Object.entries(raw).map(([subject, list]) => ({
    subject,
    dests: list.map((m) => ({ destination: m.subject, weight: m.weight || 100, ...(m.cluster ? { cluster: m.cluster } : {}) })),
  }));
  return { name: c.sub, exports, imports, mappings, jetstream: jetStreamOf(c) };
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
