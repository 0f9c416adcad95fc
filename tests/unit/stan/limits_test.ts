/** Per-channel limits: the most specific matching entry that sets a limit, then the global value, then the default. */
import { expect, test } from "bun:test";
import { channelLimits, DEFAULT_LIMITS } from "../../../src/stan/limits.ts";

test("a limit comes from the closest matching entry that sets it, then the global one, then the default", () => {
  const o = {
    max_msgs: 100,
    channels: { "foo.>": { max_msgs: 10, max_bytes: 999 }, "foo.bar.*": { max_msgs: 5 }, "foo.bar.baz": { max_age: 1000 }, "x": { max_msgs: -1 } },
  };
  expect(channelLimits(o, "foo.bar.baz")).toMatchObject({ max_msgs: 5, max_bytes: 999, max_age: 1000, max_subs: DEFAULT_LIMITS.max_subs });
  expect(channelLimits(o, "foo.qux")).toMatchObject({ max_msgs: 10, max_bytes: 999, max_age: 0 });
  expect(channelLimits(o, "other")).toMatchObject({ max_msgs: 100, max_bytes: DEFAULT_LIMITS.max_bytes });
  expect(channelLimits(o, "x").max_msgs).toBe(0);
  expect(channelLimits(undefined, "any").max_msgs).toBe(DEFAULT_LIMITS.max_msgs);
});
