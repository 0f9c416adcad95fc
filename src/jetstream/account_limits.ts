/**
 * An account's JetStream limits, checked where nats-server 2.9.10 checks them (jsAccount.checkLimits,
 * checkBytesLimits, wouldExceedLimits and addConsumer's max consumers), with its errors. A stream reserves
 * its max_bytes (at least one byte) of its storage; a message is refused once the account's usage with it
 * would pass the limit. -1 is no limit; null (the global account alone) is no limit at all.
 */
import type { JetStreamAccountLimits } from "../config/options.ts";
import type { StreamConfig } from "./config.ts";
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

/** A new stream `cfg` beside `streams`: max_streams, then its max_consumers, then the bytes it reserves. */
export function checkNewStream(limits: JetStreamAccountLimits | null, streams: ReadonlyMap<string, Limited>, cfg: StreamConfig): void {
  if (limits === null) return;
  if (limits.max_streams > 0 && streams.size >= limits.max_streams) throw jsError(JSErr.MaximumStreamsLimit);
  if (cfg.max_consumers > 0 && limits.max_consumers > 0 && cfg.max_consumers > limits.max_consumers) {
    throw jsError(JSErr.MaximumConsumersLimit);
  }
  checkBytes(limits, cfg, reserved(streams.values(), cfg.storage));
}

/** A stream's new config: the bytes it reserves now, beside what the others reserve. */
export function checkStreamUpdate(limits: JetStreamAccountLimits | null, streams: ReadonlyMap<string, Limited>, cfg: StreamConfig): void {
  if (limits === null) return;
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
 * Whether storing `size` more bytes of `storage` would take the account past its limit; `used` (the
 * account's bytes of that storage) is only asked for when there is a limit, keeping unlimited publishes cheap.
 */
export function wouldExceed(limits: JetStreamAccountLimits | null, storage: StreamConfig["storage"], used: () => number, size: number): boolean {
  if (limits === null) return false;
  const max = storage === "memory" ? limits.max_memory : limits.max_storage;
  return max >= 0 && used() + size > max;
}
