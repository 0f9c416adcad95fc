/**
 * A channel's limits (nats-streaming-server's StoreLimits.Build and per-channel inheritance): each limit
 * comes from the most specific `channels` entry matching the channel that sets it, else the global value,
 * else nats-streaming-server's default. -1 (an explicit 0 in a per-channel block) and 0 mean unlimited.
 */
import type { ChannelLimits, StoreLimitsOptions } from "../config/options.ts";
import { matchLiteral, numTokens, subjectHasWildcard } from "../subject/subject.ts";

export const DEFAULT_LIMITS = {
  max_channels: 100,
  max_subs: 1000,
  max_msgs: 1_000_000,
  max_bytes: 1_000_000 * 1024,
  max_age: 0,
  max_inactivity: 0,
} as const;

export interface ResolvedLimits {
  readonly max_subs: number;
  readonly max_msgs: number;
  readonly max_bytes: number;
  /** ms */
  readonly max_age: number;
  /** ms */
  readonly max_inactivity: number;
}

const FIELDS = ["max_subs", "max_msgs", "max_bytes", "max_age", "max_inactivity"] as const;

/** Literal entries first, then wildcards with more tokens before fewer (`foo.bar.*` before `foo.>`). */
function specificity(pattern: string): number {
  return (subjectHasWildcard(pattern) ? 0 : 1_000_000) + numTokens(pattern) * 10 - (pattern.endsWith(">") ? 1 : 0);
}

export function channelLimits(o: StoreLimitsOptions | undefined, channel: string): ResolvedLimits {
  const entries = Object.entries(o?.channels ?? {})
    .filter(([pattern]) => matchLiteral(channel, pattern))
    .sort((a, b) => specificity(b[0]) - specificity(a[0]))
    .map(([, l]) => l);
  const out: Record<string, number> = {};
  for (const f of FIELDS) {
    const v = entries.find((l: ChannelLimits) => l[f] !== undefined)?.[f] ?? o?.[f] ?? DEFAULT_LIMITS[f];
    out[f] = v <= 0 ? 0 : v;
  }
  return out as unknown as ResolvedLimits;
}

export function maxChannels(o: StoreLimitsOptions | undefined): number {
  return o?.max_channels ?? DEFAULT_LIMITS.max_channels;
}
