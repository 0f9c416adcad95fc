/**
 * An account's JetStream limits, checked where nats-server 2.9.10 checks them (jsAccount.checkLimits,
 * checkBytesLimits, wouldExceedLimits and addConsumer's max consumers), with its errors. A stream reserves
 * its max_bytes (at least one byte) of its storage; a message is refused once the account's usage with it
 * would pass the limit. -1 is no limit; null (the global account alone) is no limit at all.
 */
import type { JetStreamAccountLimits } from "../config/options.ts";
import type { ConsumerConfig, Json, StreamConfig } from "./config.ts";
import { JSErr, jsError } from "./errors.ts";

interface Limited {
  readonly config: StreamConfig;
  readonly consumers: { readonly size: number };
}

/** The bytes a stream reserves: its max_bytes, or one byte when it has none (nats-server's checkBytesLimits). */
function reserves(cfg: StreamConfig): number {
  return cfg.max_bytes > 0 ? cfg.max_bytes : 1;
}

/** What the streams other than `except` reserve of `storage`: the max_bytes they set. */
function reserved(streams: Iterable<Limited>, storage: StreamConfig["storage"], except?: string): number {
  let n = 0;
  for (const s of streams) if (s.config.name !== except && s.config.storage === storage && s.config.max_bytes > 0) n += s.config.max_bytes;
  return n;
}

function checkBytes(limits: JetStreamAccountLimits, cfg: StreamConfig, current: number): void {
  const max = cfg.storage === "memory" ? limits.max_memory : limits.max_storage;
  if (max >= 0 && current + reserves(cfg) > max) {
    throw jsError(cfg.storage === "memory" ? JSErr.MemoryResourcesExceeded : JSErr.StorageResourcesExceeded);
  }
}

/** nats-server's checkStreamCfg: a stream's max_bytes within the account's per-stream limit, and set if required. */
function checkStreamBytes(limits: JetStreamAccountLimits, cfg: StreamConfig): void {
  const max = cfg.storage === "memory" ? limits.memory_max_stream_bytes : limits.storage_max_stream_bytes;
  if (max > 0 && cfg.max_bytes > max) throw jsError(JSErr.StreamMaxStreamBytesExceeded);
  if (limits.max_bytes_required && cfg.max_bytes <= 0) throw jsError(JSErr.StreamMaxBytesRequired);
}

/** A new stream `cfg` beside `streams`: its max_bytes, max_streams, its max_consumers, then the bytes it reserves. */
export function checkNewStream(limits: JetStreamAccountLimits | null, streams: ReadonlyMap<string, Limited>, cfg: StreamConfig): void {
  if (limits === null) return;
  checkStreamBytes(limits, cfg);
  if (limits.max_streams > 0 && streams.size >= limits.max_streams) throw jsError(JSErr.MaximumStreamsLimit);
  if (cfg.max_consumers > 0 && limits.max_consumers > 0 && cfg.max_consumers > limits.max_consumers) {
    throw jsError(JSErr.MaximumConsumersLimit);
  }
  checkBytes(limits, cfg, reserved(streams.values(), cfg.storage));
}

/** A stream's new config: the bytes it reserves now, beside what the others reserve. */
export function checkStreamUpdate(limits: JetStreamAccountLimits | null, streams: ReadonlyMap<string, Limited>, cfg: StreamConfig): void {
  if (limits === null) return;
  checkStreamBytes(limits, cfg);
  checkBytes(limits, cfg, reserved(streams.values(), cfg.storage, cfg.name));
}

/** One more consumer on `stream`: the stream's max_consumers, or the account's when that is lower or the only one. */
export function checkNewConsumer(limits: JetStreamAccountLimits | null, stream: Limited): void {
  let max = stream.config.max_consumers;
  const account = limits?.max_consumers ?? -1;
  if (max <= 0 || (account > 0 && account < max)) max = account;
  if (max > 0 && stream.consumers.size >= max) throw jsError(JSErr.MaximumConsumersLimit);
}

/**
 * A consumer config within the account's max_ack_pending, which is also the default for a consumer that acks
 * and asks for none (nats-server's setConsumerConfigDefaults and checkConsumerCfg); `raw` is the request's.
 */
export function consumerDefaults(limits: JetStreamAccountLimits | null, raw: Json, cfg: ConsumerConfig): ConsumerConfig {
  const max = limits?.max_ack_pending ?? -1;
  if (max <= 0) return cfg;
  const asked = typeof raw.max_ack_pending === "number" && raw.max_ack_pending !== 0;
  const out = !asked && cfg.ack_policy !== "none" ? { ...cfg, max_ack_pending: max } : cfg;
  if (out.max_ack_pending > max) throw jsError(JSErr.ConsumerMaxAckPendingExcess, { limit: max });
  return out;
}

/**
 * Whether storing `size` more bytes of `storage` would take the account past its limit; `used` (the
 * account's bytes of that storage) is only asked for when there is a limit, keeping unlimited publishes cheap.
 */
export function wouldExceed(limits: JetStreamAccountLimits | null, storage: StreamConfig["storage"], used: () => number, size: number): boolean {
  if (limits === null) return false;
  const max = storage === "memory" ? limits.max_memory : limits.max_storage;
  return max >= 0 && used() + size > max;
}
