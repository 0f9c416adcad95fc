/** Pull requests (`CONSUMER.MSG.NEXT`): parsing the body and the status replies nats-server sends. */
import { type ConsumerConfig, NS_PER_MS } from "./config.ts";
import { statusHeader } from "./headers.ts";
import { goDuration } from "./time.ts";

export interface PullRequest {
  readonly reply: string;
  /** Messages still wanted. */
  batch: number;
  /** Bytes still allowed; 0 = no limit. */
  maxBytes: number;
  readonly noWait: boolean;
  /** Messages delivered for this request so far. */
  delivered: number;
  expiryTimer?: ReturnType<typeof setTimeout>;
  heartbeatTimer?: ReturnType<typeof setInterval>;
}

export interface PullArgs {
  batch: number;
  maxBytes: number;
  noWait: boolean;
  expiresMs: number;
  heartbeatMs: number;
}

/** The body: empty (batch 1), a bare integer (batch n) or JSON. Returns an error status text when invalid. */
export function parsePull(data: Uint8Array): PullArgs | string {
  const text = new TextDecoder().decode(data).trim();
  const out: PullArgs = { batch: 1, maxBytes: 0, noWait: false, expiresMs: 0, heartbeatMs: 0 };
  if (text === "") return out;
  if (/^\d+$/.test(text)) {
    out.batch = Math.max(1, Number(text));
    return out;
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text);
  } catch {
    return "Bad Request";
  }
  if (typeof j !== "object" || j === null) return "Bad Request";
  const num = (v: unknown) => (typeof v === "number" && v > 0 ? v : 0);
  out.batch = Math.max(1, num(j.batch));
  out.maxBytes = num(j.max_bytes);
  out.noWait = j.no_wait === true;
  out.expiresMs = num(j.expires) / NS_PER_MS;
  out.heartbeatMs = num(j.idle_heartbeat) / NS_PER_MS;
  if (out.heartbeatMs > 0 && out.heartbeatMs * 2 > out.expiresMs) return "Bad Request - heartbeat value too large";
  return out;
}

export const Status = {
  noMessages: () => statusHeader(404, "No Messages"),
  timeout: (r: PullRequest) => statusHeader(408, "Request Timeout", pendingHeaders(r)),
  batchCompleted: (r: PullRequest) => statusHeader(409, "Batch Completed", pendingHeaders(r)),
  sizeExceeded: (r: PullRequest) => statusHeader(409, "Message Size Exceeds MaxBytes", pendingHeaders(r)),
  maxWaiting: () => statusHeader(409, "Exceeded MaxWaiting"),
  deleted: (r: PullRequest) => statusHeader(409, "Consumer Deleted", pendingHeaders(r)),
  badRequest: (text: string) => statusHeader(400, text),
  exceeded: (limit: string, value: string | number) => statusHeader(409, `Exceeded MaxRequest${limit} of ${value}`),
  heartbeat: (dseq: number, sseq: number) =>
    statusHeader(100, "Idle Heartbeat", [["Nats-Last-Consumer", dseq], ["Nats-Last-Stream", sseq]]),
};

/**
 * The 409 for a request asking more than the consumer's max_batch, max_expires or max_bytes allow (checked in
 * that order, as nats-server's processNextMsgRequest does), or null when it is within them.
 */
export function exceededLimit(cfg: ConsumerConfig, args: PullArgs): Uint8Array | null {
  if (cfg.max_batch !== undefined && cfg.max_batch > 0 && args.batch > cfg.max_batch) return Status.exceeded("Batch", cfg.max_batch);
  if (cfg.max_expires !== undefined && cfg.max_expires > 0 && args.expiresMs > cfg.max_expires / NS_PER_MS) {
    return Status.exceeded("Expires", goDuration(cfg.max_expires));
  }
  if (cfg.max_bytes !== undefined && cfg.max_bytes > 0 && args.maxBytes > cfg.max_bytes) return Status.exceeded("MaxBytes", cfg.max_bytes);
  return null;
}

function pendingHeaders(r: PullRequest): [string, number][] {
  return [["Nats-Pending-Messages", r.batch], ["Nats-Pending-Bytes", r.maxBytes]];
}
