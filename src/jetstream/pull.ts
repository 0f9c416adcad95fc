/** Pull requests (`CONSUMER.MSG.NEXT`): parsing the body and the status replies nats-server sends. */
import { type ConsumerConfig, NS_PER_MS } from "./config.ts";
import { GoJsonError, goDecodeStruct, type GoFieldType } from "./go_json.ts";
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
  /** 0 = no expiry; below 0 = expired already. */
  expiresMs: number;
  heartbeatMs: number;
}

/** JSApiConsumerGetNextRequest, the struct nats-server decodes a JSON pull request into. */
const NEXT_REQUEST: Record<string, GoFieldType> = {
  expires: "time.Duration",
  batch: "int",
  max_bytes: "int",
  no_wait: "bool",
  idle_heartbeat: "time.Duration",
};

/**
 * The body as nats-server 2.9.10's nextReqFromMsg reads it: empty is a batch of 1, `{...}` is decoded as Go
 * decodes it (its errors come back as the status text), anything else is a batch size if Atoi takes it and a
 * batch of 1 if not. A negative `expires` has expired already. Returns an error status text when invalid.
 */
export function parsePull(data: Uint8Array): PullArgs | string {
  const text = new TextDecoder().decode(data).trim();
  const out: PullArgs = { batch: 1, maxBytes: 0, noWait: false, expiresMs: 0, heartbeatMs: 0 };
  if (text === "") return out;
  if (!text.startsWith("{")) {
    if (/^[+-]?\d+$/.test(text)) out.batch = Math.max(1, Number(text));
    return out;
  }
  let j: Record<string, number | boolean>;
  try {
    j = goDecodeStruct(new TextEncoder().encode(text), "JSApiConsumerGetNextRequest", NEXT_REQUEST);
  } catch (err) {
    if (err instanceof GoJsonError) return `Bad Request - ${err.message}`;
    throw err;
  }
  const num = (v: number | boolean | undefined) => (typeof v === "number" ? v : 0);
  const expires = num(j.expires);
  const heartbeat = num(j.idle_heartbeat);
  if (heartbeat > 0 && heartbeat * 2 > expires) return "Bad Request - heartbeat value too large";
  out.batch = Math.max(1, num(j.batch));
  out.maxBytes = Math.max(0, num(j.max_bytes));
  out.noWait = j.no_wait === true;
  out.expiresMs = expires / NS_PER_MS;
  out.heartbeatMs = Math.max(0, heartbeat) / NS_PER_MS;
  return out;
}

export const Status = {
  noMessages: () => statusHeader(404, "No Messages"),
  timeout: (r: PullRequest) => statusHeader(408, "Request Timeout", pendingHeaders(r)),
  requestsPending: () => statusHeader(408, "Requests Pending"),
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
