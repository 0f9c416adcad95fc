/** nats-streaming-server's command line and `streaming {}` block as natsedge reads them. */
import { expect, test } from "bun:test";
import { loadOptions } from "../../../src/config/load.ts";

const noFile = (): string => {
  throw new Error("no file");
};
const load = (argv: string[], env: Record<string, string> = {}, conf?: string) =>
  loadOptions(conf === undefined ? argv : ["-c", "s.conf", ...argv], env, () => conf ?? noFile()).options.streaming;

test("the seed's command line: file store, the key from the environment, the default cipher", () => {
  const s = load(["-store", "file", "-dir", "datastore", "-encrypt"], { NATS_STREAMING_ENCRYPTION_KEY: "mykey" });
  expect(s).toEqual({ cluster_id: "test-cluster", store: "file", dir: "datastore", encrypt: true, encryption_key: "mykey" });
});

test("-encryption_cipher is case-insensitive and checked", () => {
  const env = { NATS_STREAMING_ENCRYPTION_KEY: "k" };
  expect(load(["-store", "file", "-dir", "d", "-encrypt", "-encryption_cipher", "CHACHA"], env)?.encryption_cipher).toBe("chacha");
  expect(load(["-encrypt", "-encryption_cipher", "aes"], env)?.encryption_cipher).toBe("aes");
  expect(() => load(["-encrypt", "-encryption_cipher", "DES"], env)).toThrow('unknown encryption cipher "DES"');
});

test("the environment's key wins over encryption_key; a key alone turns encryption on", () => {
  const conf = `streaming { store: FILE, dir: "d", encryption_key: "fromfile" }`;
  expect(load([], { NATS_STREAMING_ENCRYPTION_KEY: "fromenv" }, conf)).toMatchObject({ encrypt: true, encryption_key: "fromenv" });
  expect(load([], {}, conf)).toMatchObject({ encrypt: true, encryption_key: "fromfile" });
});

test("-encrypt without a key, and a file store without a directory, do not start", () => {
  expect(() => load(["-encrypt"])).toThrow("NATS_STREAMING_ENCRYPTION_KEY");
  expect(() => load(["-store", "file"])).toThrow("for FILE stores, root directory must be specified");
  expect(() => load(["-store", "sql"])).toThrow("SQL store is not supported");
  expect(() => load(["-store", "disk"])).toThrow("unknown store type: disk");
});

test("the streaming block: nats-streaming-server's keys and aliases, durations as strings only, ft_group refused", () => {
  const conf = `streaming {\n  id: "edge"\n  store_type: file\n  datastore: "/var/stan"\n  hb_interval: "10s"\n  hbt: "2s"\n  hbf: 3\n}`;
  expect(load([], {}, conf)).toEqual({
    cluster_id: "edge",
    store: "file",
    dir: "/var/stan",
    encrypt: false,
    hb_interval: 10_000,
    hb_timeout: 2_000,
    hb_fail_count: 3,
  });
  expect(() => load([], {}, `streaming { hb_interval: 10 }`)).toThrow('parameter "hb_interval" value is expected to be string');
  expect(() => load([], {}, `streaming { ft_group: "g" }`)).toThrow("ft_group");
});

test("flags win over the streaming block; no streaming flag or block, no NATS Streaming", () => {
  expect(load(["-cid", "flagged"], {}, `streaming { cluster_id: "filed" }`)?.cluster_id).toBe("flagged");
  expect(load(["-p", "4222"])).toBeUndefined();
  expect(load(["--replace_durable"])?.replace_durable).toBe(true);
  expect(load([], {}, `streaming { replace_duplicate_durables: true }`)?.replace_durable).toBe(true);
});

test("store_limits: global keys and aliases, sizes and durations, per-channel 0 as unlimited, inheritance left to the server", () => {
  const conf = `streaming {
  store_limits {
    max_channels: 10
    msu: 5
    max_msgs: 100
    mb: "1MB"
    max_age: "1h"
    channels {
      "orders.*": { max_msgs: 0 }
      "logs": { maxage: "10s", max_bytes: 2048 }
    }
  }
}`;
  expect(load([], {}, conf)?.store_limits).toEqual({
    max_channels: 10,
    max_subs: 5,
    max_msgs: 100,
    max_bytes: 1024 * 1024,
    max_age: 3_600_000,
    channels: { "orders.*": { max_msgs: -1 }, logs: { max_age: 10_000, max_bytes: 2048 } },
  });
  expect(() => load([], {}, `streaming { store_limits { max_msgs: -1 } }`)).toThrow("max_msgs limit cannot be negative (-1)");
  expect(() => load([], {}, `streaming { store_limits { mc: 1, channels { a: {}, b: {} } } }`)).toThrow(
    "too many channels defined (2). The max channels limit is set to 1",
  );
});

test("the limit flags: -mc -msu -mm -mb -ma -mi, over the file's", () => {
  const s = load(["-mc", "3", "-msu", "4", "-mm", "50", "-mb", "10KB", "-ma", "1m", "-mi", "30s"], {}, `streaming { store_limits { max_msgs: 7, max_subs: 9 } }`);
  expect(s?.store_limits).toEqual({ max_channels: 3, max_subs: 4, max_msgs: 50, max_bytes: 10 * 1024, max_age: 60_000, max_inactivity: 30_000 });
});
