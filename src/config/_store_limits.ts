/**
 * nats-streaming-server's store limits (stores/limits.go, server/conf.go): the `store_limits {}` block with
 * per-channel overrides, and the -mc/-msu/-mm/-mb/-ma/-mi flags. In a per-channel block an explicit 0 means
 * unlimited (kept as -1) while an omitted key inherits; in the global block 0 is unlimited too.
 */
import type { ChannelLimits, StoreLimitsOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, fail, type Handler, int, kindName, map, str } from "./_read.ts";
import { parseGoDuration } from "./_duration.ts";

const SIZE_SHIFT: Record<string, number> = { K: 10, KB: 10, M: 20, MB: 20, G: 30, GB: 30, T: 40, TB: 40 };

/** `-mb 10MB`: an integer or one with a K/M/G/T (or KB/...) suffix, powers of two. */
export function parseSize(value: string): number {
  const m = /^(\d+)\s*([KMGT]B?)?$/i.exec(value.trim());
  if (m === null) throw new Error(`invalid size ${JSON.stringify(value)}`);
  return Number(m[1]) * 2 ** (m[2] === undefined ? 0 : SIZE_SHIFT[m[2].toUpperCase()]!);
}

function duration(n: ConfNode, k: string): number {
  if (n.kind !== "string") throw fail(n, k, `parameter ${JSON.stringify(k)} value is expected to be string, got ${kindName(n)}`);
  try {
    return parseGoDuration(n.value);
  } catch (e) {
    throw fail(n, k, (e as Error).message);
  }
}

function size(n: ConfNode, k: string): number {
  if (n.kind === "int") return n.value;
  try {
    return parseSize(str(n, k));
  } catch (e) {
    throw fail(n, k, (e as Error).message);
  }
}

function channelHandlers(into: Record<string, number>, perChannel: boolean): Record<string, Handler> {
  const set = (field: keyof ChannelLimits, read: (n: ConfNode, k: string) => number): Handler => (n, k) => {
    const v = read(n, k);
    if (v < 0) throw fail(n, k, `${field} limit cannot be negative (${v})`);
    into[field] = perChannel && v === 0 ? -1 : v;
  };
  return {
    ...aliases(["msu", "max_subs", "max_subscriptions", "maxsubscriptions"], set("max_subs", int)),
    ...aliases(["mm", "max_msgs", "maxmsgs", "max_count", "maxcount"], set("max_msgs", int)),
    ...aliases(["mb", "max_bytes", "maxbytes"], set("max_bytes", size)),
    ...aliases(["ma", "max_age", "maxage"], set("max_age", duration)),
    ...aliases(["mi", "max_inactivity", "maxinactivity"], set("max_inactivity", duration)),
  };
}

function walkLimits(m: Map<string, ConfNode> | Iterable<[string, ConfNode]>, handlers: Record<string, Handler>): void {
  for (const [k, n] of m) {
    const lower = k.toLowerCase();
    if (Object.hasOwn(handlers, lower)) handlers[lower]!(n, k);
  }
}

export function storeLimitsFromConf(node: ConfNode, key: string, current: StoreLimitsOptions | undefined): StoreLimitsOptions {
  const out: Record<string, number> = {};
  let channels: Record<string, ChannelLimits> | undefined = current?.channels;
  walkLimits(map(node, key), {
    ...channelHandlers(out, false),
    ...aliases(["mc", "max_channels", "maxchannels"], (n, k) => {
      const v = int(n, k);
      if (v < 0) throw fail(n, k, `max_channels limit cannot be negative (${v})`);
      out.max_channels = v;
    }),
    ...aliases(["channels", "channels_limits", "channelslimits", "per_channel", "per_channel_limits"], (n, k) => {
      channels = {};
      for (const [name, cn] of map(n, k)) {
        const cl: Record<string, number> = {};
        walkLimits(map(cn, name), channelHandlers(cl, true));
        channels[name] = cl;
      }
    }),
  });
  const limits: StoreLimitsOptions = { ...current, ...out, ...(channels !== undefined && { channels }) };
  const literal = Object.keys(limits.channels ?? {}).filter((c) => !c.includes("*") && !c.includes(">")).length;
  const max = limits.max_channels;
  if (max !== undefined && max > 0 && literal > max) {
    throw fail(node, key, `too many channels defined (${literal}). The max channels limit is set to ${max}`);
  }
  return limits;
}
