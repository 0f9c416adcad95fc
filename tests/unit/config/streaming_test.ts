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
});
