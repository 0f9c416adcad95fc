/**
 * Per-message TTL as nats-server 2.11 has it: allow_msg_ttl, the Nats-TTL header ("30s", a number of
 * seconds, "never"), its errors (10165 invalid, 10166 disabled), expiry at the TTL, "never" outliving
 * max_age (memory and file, plain and encrypted, across a restart), subject_delete_marker_ttl markers, and
 * the nats.js KV paths (bucket markerTTL, per-key TTL on create) plus a nats-py-style raw bucket create.
 *
 * No reference mode: nats-server 2.9.10 (the reference here) has no per-message TTL and ignores the fields,
 * so these tests are skipped there; what they expect is taken from nats-server 2.11's stream.go
 * (checkStreamCfg, processJetStreamMsg, parseMessageTTL), filestore.go (expireMsgs, handleRemovalOrSdm) and
 * server/errors.json.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager, type JetStreamApiError } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { client, runServer, type TestServer } from "../_helpers/server.ts";
import { nanos } from "../_helpers/jetstream.ts";
import { REFERENCE_SERVER } from "../_helpers/reference_server.ts";

const SECOND = 1_000_000_000;
const td = new TextDecoder();

/** Resolves once `check` holds, polling the server (expiry has no event a client can wait on). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function api(nc: NatsConnection, subject: string, body: unknown): Promise<Record<string, unknown>> {
  const m = await nc.request(subject, JSON.stringify(body), { timeout: 5000 });
  return JSON.parse(td.decode(m.data)) as Record<string, unknown>;
}

/** Publishes with the given Nats-TTL and returns the PubAck JSON (errors included). */
async function publishTTL(nc: NatsConnection, subject: string, ttl: string | null, data = "x"): Promise<Record<string, unknown>> {
  const h = headers();
  if (ttl !== null) h.set("Nats-TTL", ttl);
  const m = await nc.request(subject, data, { headers: h, timeout: 5000 });
  return JSON.parse(td.decode(m.data)) as Record<string, unknown>;
}

async function present(nc: NatsConnection, stream: string, seq: number): Promise<boolean> {
  const r = await api(nc, `$JS.API.STREAM.MSG.GET.${stream}`, { seq });
  return r.error === undefined;
}

async function withServer<T>(opts: { key?: string; dir?: string }, fn: (nc: NatsConnection, srv: TestServer, dir: string) => Promise<T>): Promise<T> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "natsedge-ttl-"));
  const srv = await runServer({ jetstream: { enabled: true, store_dir: dir, ...(opts.key ? { key: opts.key } : {}) } });
  const nc = await client(srv);
  try {
    return await fn(nc, srv, dir);
  } finally {
    await nc.close();
    await srv.close();
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(REFERENCE_SERVER !== "")("per-message TTL (nats-server 2.11; 2.9.10 has none)", () => {
  test("a nats-py style create with allow_msg_ttl and zero-valued 2.11 fields is accepted and echoed", async () => {
    await withServer({}, async (nc) => {
      const r = await api(nc, "$JS.API.STREAM.CREATE.KV_py", {
        name: "KV_py", subjects: ["$KV.py.>"], max_msgs_per_subject: 1, discard: "new", allow_rollup_hdrs: true,
        deny_delete: true, allow_direct: true, allow_msg_ttl: true, subject_delete_marker_ttl: 0, max_age: 0,
        num_replicas: 1, duplicate_window: 2 * 60 * SECOND, storage: "file", metadata: null,
      });
      expect(r.error).toBeUndefined();
      const cfg = r.config as Record<string, unknown>;
      expect(cfg.allow_msg_ttl).toBe(true);
      expect(cfg.subject_delete_marker_ttl).toBeUndefined();
    });
  });

  test("Nats-TTL errors: disabled on a stream without allow_msg_ttl, invalid values refused", async () => {
    await withServer({}, async (nc) => {
      await api(nc, "$JS.API.STREAM.CREATE.NOTTL", { name: "NOTTL", subjects: ["nottl"] });
      expect((await publishTTL(nc, "nottl", "5s")).error).toEqual({ code: 400, err_code: 10166, description: "per-message TTL is disabled" });
      // A value that does not parse is 0 for the disabled check, so it is reported as invalid even here.
      expect((await publishTTL(nc, "nottl", "soon")).error).toEqual({ code: 400, err_code: 10165, description: "invalid per-message TTL" });
      await api(nc, "$JS.API.STREAM.CREATE.TTL", { name: "TTL", subjects: ["ttl"], allow_msg_ttl: true });
      for (const bad of ["soon", "500ms", "0", "-1", "-5s", ""]) {
        expect((await publishTTL(nc, "ttl", bad)).error, bad).toEqual({ code: 400, err_code: 10165, description: "invalid per-message TTL" });
      }
      for (const good of ["1h", "30", "NEVER", "1.5s"]) expect((await publishTTL(nc, "ttl", good)).error, good).toBeUndefined();
    });
  });

  test("subject_delete_marker_ttl: validated as 2.11 does, and it switches allow_msg_ttl and roll-ups on", async () => {
    await withServer({}, async (nc) => {
      const small = await api(nc, "$JS.API.STREAM.CREATE.S1", { name: "S1", subject_delete_marker_ttl: SECOND / 2 });
      expect(small.error).toEqual({ code: 500, err_code: 10052, description: "subject delete marker TTL must be at least 1 second" });
      const neg = await api(nc, "$JS.API.STREAM.CREATE.S2", { name: "S2", subject_delete_marker_ttl: -SECOND });
      expect(neg.error).toEqual({ code: 500, err_code: 10052, description: "subject delete marker TTL must not be negative" });
      const ok = await api(nc, "$JS.API.STREAM.CREATE.S3", { name: "S3", subject_delete_marker_ttl: 5 * SECOND });
      const cfg = ok.config as Record<string, unknown>;
      expect([cfg.allow_msg_ttl, cfg.allow_rollup_hdrs, cfg.subject_delete_marker_ttl]).toEqual([true, true, 5 * SECOND]);
      const off = await api(nc, "$JS.API.STREAM.UPDATE.S3", { name: "S3", allow_msg_ttl: false });
      expect(off.error).toEqual({ code: 500, err_code: 10052, description: "message TTL status can not be disabled" });
      const mirror = await api(nc, "$JS.API.STREAM.CREATE.S3M", { name: "S3M", mirror: { name: "S3" }, subject_delete_marker_ttl: 5 * SECOND });
      expect(mirror.error).toEqual({ code: 500, err_code: 10052, description: "subject delete markers forbidden on mirrors" });
      const first = await api(nc, "$JS.API.STREAM.CREATE.S3F", { name: "S3F", mirror: { name: "S3" }, first_seq: 10 });
      expect(first.error).toEqual({ code: 400, err_code: 10143, description: "stream mirrors can not have first sequence configured" });
    });
  });

  for (const [storage, key] of [["memory", undefined], ["file", undefined], ["file", "ttl-secret-key"]] as const) {
    test(`${storage}${key ? " (encrypted)" : ""}: messages expire at their TTL and "never" outlives max_age`, async () => {
      await withServer({ key }, async (nc) => {
        await api(nc, "$JS.API.STREAM.CREATE.EXP", { name: "EXP", subjects: ["exp.>"], storage, allow_msg_ttl: true, max_age: nanos(1500) });
        const never = (await publishTTL(nc, "exp.keep", "never")).seq as number;
        const short = (await publishTTL(nc, "exp.short", "1")).seq as number;
        const long = (await publishTTL(nc, "exp.long", "1h")).seq as number;
        const plain = (await publishTTL(nc, "exp.plain", null)).seq as number;
        // The 1s TTL goes before max_age (1.5s) takes the others; the 1h TTL does not outlive max_age.
        await eventually(async () => !(await present(nc, "EXP", short)));
        expect(await present(nc, "EXP", plain)).toBe(true);
        await eventually(async () => !(await present(nc, "EXP", plain)) && !(await present(nc, "EXP", long)));
        expect(await present(nc, "EXP", never)).toBe(true);
      });
    });
  }

  for (const key of [undefined, "ttl-restart-key"]) test(`file store${key ? " (encrypted)" : ""}: TTLs and never survive a restart`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "natsedge-ttl-restart-"));
    try {
      const seqs = await withServer({ dir, key }, async (nc) => {
        await api(nc, "$JS.API.STREAM.CREATE.RS", { name: "RS", subjects: ["rs.>"], allow_msg_ttl: true, max_age: nanos(3000) });
        return {
          never: (await publishTTL(nc, "rs.keep", "never")).seq as number,
          ttl: (await publishTTL(nc, "rs.ttl", "1s")).seq as number,
          plain: (await publishTTL(nc, "rs.plain", null)).seq as number,
        };
      });
      await withServer({ dir, key }, async (nc) => {
        // The TTL index is rebuilt from the stored headers: the 1s message goes long before max_age (3s).
        await eventually(async () => !(await present(nc, "RS", seqs.ttl)));
        expect(await present(nc, "RS", seqs.plain)).toBe(true);
        await eventually(async () => !(await present(nc, "RS", seqs.plain)));
        expect(await present(nc, "RS", seqs.never)).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const storage of ["file", "memory"]) test(`${storage}: max_age emptying a subject leaves 2.11's delete marker, which expires after subject_delete_marker_ttl`, async () => {
    await withServer({}, async (nc) => {
      await api(nc, "$JS.API.STREAM.CREATE.SDM", { name: "SDM", subjects: ["sdm.>"], storage, max_age: nanos(1000), subject_delete_marker_ttl: 2 * SECOND });
      await publishTTL(nc, "sdm.a", null, "one");
      await publishTTL(nc, "sdm.a", null, "two");
      await eventually(async () => {
        const r = await api(nc, "$JS.API.STREAM.MSG.GET.SDM", { last_by_subj: "sdm.a" });
        const m = r.message as { hdrs?: string } | undefined;
        return m?.hdrs !== undefined;
      });
      const r = await api(nc, "$JS.API.STREAM.MSG.GET.SDM", { last_by_subj: "sdm.a" });
      const m = r.message as { seq: number; hdrs: string; data?: string };
      expect(m.seq).toBe(3);
      expect(atob(m.hdrs)).toBe("NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: 2s\r\nNats-Rollup: sub\r\n\r\n");
      expect(m.data ?? "").toBe("");
      const info = await api(nc, "$JS.API.STREAM.INFO.SDM", {});
      expect((info.state as Record<string, number>).messages).toBe(1);
      // The marker is a marker: its own expiry leaves nothing behind.
      await eventually(async () => ((await api(nc, "$JS.API.STREAM.INFO.SDM", {})).state as Record<string, number>).messages === 0);
      expect(((await api(nc, "$JS.API.STREAM.INFO.SDM", {})).state as Record<string, number>).last_seq).toBe(3);
    });
  });

  test("with delete markers, a TTL shorter than the marker's is raised to it", async () => {
    await withServer({}, async (nc) => {
      await api(nc, "$JS.API.STREAM.CREATE.RAISE", { name: "RAISE", subjects: ["raise.>"], subject_delete_marker_ttl: 2 * SECOND });
      const start = Date.now();
      const seq = (await publishTTL(nc, "raise.a", "1s")).seq as number;
      await eventually(async () => !(await present(nc, "RAISE", seq)));
      expect(Date.now() - start).toBeGreaterThanOrEqual(1900);
    });
  });

  test("nats.js KV: per-key TTL on create, and the limit marker a watcher sees as PURGE", async () => {
    await withServer({}, async (nc) => {
      const kv = await new Kvm(nc).create("ttlb", { markerTTL: 2000 });
      const st = await kv.status();
      expect(st.markerTTL).toBe(2000);
      const seen: string[] = [];
      const w = await kv.watch({ key: "k" });
      const purged = (async () => {
        for await (const e of w) {
          seen.push(`${e.operation}:${e.string()}`);
          if (e.operation === "PURGE") break;
        }
      })();
      await kv.create("k", "v", "1s");
      await purged;
      expect(seen).toEqual(["PUT:v", "PURGE:"]);
      expect(await kv.get("k").then((e) => e?.operation)).toBe("PURGE");
      // A purge with a TTL goes when it is due, and as a purge marker it leaves no limit marker behind.
      await kv.put("p", "v");
      await kv.purge("p", { ttl: "1s" });
      await eventually(async () => (await kv.get("p")) === null);
      const after = await jetstreamManager(nc).then((m) => m.streams.getMessage("KV_ttlb", { last_by_subj: "$KV.ttlb.p" }).catch(() => null));
      expect(after).toBeNull();
      // A bucket without markers refuses a per-key TTL, as nats-server 2.11 does.
      const plain = await new Kvm(nc).create("plainb");
      const err = await plain.create("k", "v", "1s").catch((e: JetStreamApiError) => e);
      expect((err as JetStreamApiError).code).toBe(10166);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info("KV_ttlb")).config.allow_msg_ttl).toBe(true);
    });
  });
});
