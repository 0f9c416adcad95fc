/**
 * The StreamStore conformance suite: every implementation runs these cases (hono's common.case.test.ts
 * pattern). `reopen`, when given, closes the store and opens it again from its files, so the persistent
 * implementations also prove that every change survives a restart.
 */
import { describe, expect, test } from "bun:test";
import { StoreClosedError, StoreLimitError } from "../../../src/store/mod.ts";
import type { StreamLimits, StreamStore } from "../../../src/store/mod.ts";

export interface StoreFactory {
  open(limits?: StreamLimits): Promise<StreamStore>;
  reopen?(store: StreamStore, limits?: StreamLimits): Promise<StreamStore>;
  /** Called after each test with the stores it opened. */
  cleanup(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

async function fill(s: StreamStore, subjects: string[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const [i, subject] of subjects.entries()) seqs.push((await s.append(subject, null, bytes(`m${i + 1}`))).seq);
  return seqs;
}

export function storeConformance(name: string, f: StoreFactory): void {
  const it = (title: string, fn: () => Promise<void>) =>
    test(title, async () => {
      try {
        await fn();
      } finally {
        await f.cleanup();
      }
    });
  /** Runs `check` on the open store and, for persistent stores, again after a reopen. */
  const both = async (s: StreamStore, check: (s: StreamStore) => void, limits?: StreamLimits): Promise<StreamStore> => {
    check(s);
    if (f.reopen === undefined) return s;
    const again = await f.reopen(s, limits);
    check(again);
    return again;
  };

  describe(`StreamStore conformance: ${name}`, () => {
    it("append() assigns sequences from 1 and load() returns the same subject, headers, payload and time", async () => {
      const s = await f.open();
      const hdr = bytes("NATS/1.0\r\nA: b\r\n\r\n");
      const a = await s.append("orders.new", hdr, bytes("hello"));
      const b = await s.append("orders.old", null, new Uint8Array(0), 1234.5);
      expect(a.seq).toBe(1);
      expect(b).toEqual({ seq: 2, ts: 1234.5 });
      await both(s, (s) => {
        const m = s.load(1)!;
        expect(m.subject).toBe("orders.new");
        expect(dec.decode(m.hdr)).toBe("NATS/1.0\r\nA: b\r\n\r\n");
        expect(dec.decode(m.payload)).toBe("hello");
        expect(m.ts).toBe(a.ts);
        expect(s.load(2)!.hdr.length).toBe(0);
        expect(s.load(2)!.ts).toBe(1234.5);
        expect(s.load(0)).toBeNull();
        expect(s.load(3)).toBeNull();
        const st = s.state();
        expect([st.msgs, st.first_seq, st.last_seq, st.num_subjects, st.num_deleted]).toEqual([2, 1, 2, 2, 0]);
        expect(st.first_ts).toBe(a.ts);
        expect(st.last_ts).toBe(1234.5);
        expect(st.bytes).toBe((22 + 10 + 4 + hdr.length + 5 + 8) + (22 + 10 + 8));
      });
    });

    it("append() copies its buffers, so the caller may reuse them", async () => {
      const s = await f.open();
      const buf = bytes("abc");
      await s.append("a", null, buf);
      buf[0] = 0x7a;
      expect(dec.decode(s.load(1)!.payload)).toBe("abc");
    });

    it("loadLast() finds the newest message for a literal, a wildcard and the full wildcard", async () => {
      const s = await f.open();
      await fill(s, ["a.1", "b.1", "a.2", "a.1", "b.2"]);
      await both(s, (s) => {
        expect(s.loadLast("a.1")!.seq).toBe(4);
        expect(s.loadLast("a.*")!.seq).toBe(4);
        expect(s.loadLast("b.>")!.seq).toBe(5);
        expect(s.loadLast(">")!.seq).toBe(5);
        expect(s.loadLast("")!.seq).toBe(5);
        expect(s.loadLast("c")).toBeNull();
      });
    });

    it("loadLast() skips removed messages of the subject", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "a", "b", "a"]);
      await s.remove(5);
      await s.remove(4);
      await both(s, (s) => {
        expect(s.loadLast("a")!.seq).toBe(3);
        expect(s.loadLast(">")!.seq).toBe(3);
        expect(s.loadLast("b")!.seq).toBe(2);
      });
    });

    it("loadNext() returns the first match at or after a sequence, for literal and wildcard filters", async () => {
      const s = await f.open();
      await fill(s, ["a.x", "b.x", "a.y", "b.y", "a.x"]);
      await both(s, (s) => {
        expect(s.loadNext("a.x", 1)!.seq).toBe(1);
        expect(s.loadNext("a.x", 2)!.seq).toBe(5);
        expect(s.loadNext("*.y", 0)!.seq).toBe(3);
        expect(s.loadNext("b.>", 3)!.seq).toBe(4);
        expect(s.loadNext(">", 4)!.seq).toBe(4);
        expect(s.loadNext("", 2)!.seq).toBe(2);
        expect(s.loadNext("a.x", 6)).toBeNull();
        expect(s.loadNext("c", 1)).toBeNull();
      });
    });

    it("remove() deletes one message, counts interior deletes and moves first_seq when the first goes", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "c", "d"]);
      expect(await s.remove(2)).toBe(true);
      expect(await s.remove(2)).toBe(false);
      expect(await s.remove(99)).toBe(false);
      expect(await s.remove(1)).toBe(true);
      const s2 = await both(s, (s) => {
        const st = s.state();
        expect([st.msgs, st.first_seq, st.last_seq, st.num_deleted, st.num_subjects]).toEqual([2, 3, 4, 0, 2]);
        expect(s.load(2)).toBeNull();
        expect(s.loadNext(">", 1)!.seq).toBe(3);
      });
      await s2.remove(4);
      const st = s2.state();
      expect([st.msgs, st.first_seq, st.last_seq]).toEqual([1, 3, 4]);
    });

    it("remove() with erase removes the message like a plain remove", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "c"]);
      expect(await s.remove(2, { erase: true })).toBe(true);
      await both(s, (s) => {
        expect(s.load(2)).toBeNull();
        expect(dec.decode(s.load(3)!.payload)).toBe("m3");
        expect(s.state().num_deleted).toBe(1);
      });
    });

    it("removing every message leaves first_seq = last_seq + 1 and keeps counting from there", async () => {
      const s = await f.open();
      await fill(s, ["a", "b"]);
      await s.remove(1);
      await s.remove(2);
      expect(s.state()).toMatchObject({ msgs: 0, bytes: 0, first_seq: 3, last_seq: 2, num_deleted: 0 });
      const s2 = f.reopen ? await f.reopen(s) : s;
      expect(s2.state()).toMatchObject({ msgs: 0, first_seq: 3, last_seq: 2 });
      expect((await s2.append("c", null, bytes("x"))).seq).toBe(3);
    });

    it("purge() with no options removes everything and keeps the sequence", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "c"]);
      expect(await s.purge()).toBe(3);
      await both(s, (s) => {
        expect(s.state()).toMatchObject({ msgs: 0, bytes: 0, first_seq: 4, last_seq: 3, num_subjects: 0 });
        expect(s.loadLast(">")).toBeNull();
      });
      const s2 = f.reopen ? await f.reopen(s) : s;
      expect((await s2.append("a", null, bytes("x"))).seq).toBe(4);
      expect(s2.state()).toMatchObject({ msgs: 1, first_seq: 4, last_seq: 4 });
    });

    it("purge() by filter, by filter with keep, by filter below a sequence", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "a", "b", "a", "b", "a"]);
      expect(await s.purge({ filter: "a", keep: 1 })).toBe(3);
      expect(s.subjectCounts()).toEqual(new Map([["a", 1], ["b", 3]]));
      expect(await s.purge({ filter: "b", seq: 5 })).toBe(2);
      const s2 = await both(s, (s) => {
        expect(s.state()).toMatchObject({ msgs: 2, first_seq: 6, last_seq: 7 });
        expect(s.load(7)!.subject).toBe("a");
        expect(s.load(6)!.subject).toBe("b");
      });
      expect(await s2.purge({ filter: "a", keep: 5 })).toBe(0);
      expect(await s2.purge({ filter: "*" })).toBe(2);
      expect(s2.state()).toMatchObject({ msgs: 0, first_seq: 8, last_seq: 7 });
    });

    it("purge() by sequence and by keep on the whole stream compacts", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "c", "d", "e", "f"]);
      expect(await s.purge({ seq: 3 })).toBe(2);
      expect(s.state()).toMatchObject({ msgs: 4, first_seq: 3 });
      expect(await s.purge({ keep: 2 })).toBe(2);
      const s2 = await both(s, (s) => expect(s.state()).toMatchObject({ msgs: 2, first_seq: 5, last_seq: 6 }));
      expect(await s2.purge({ keep: 10 })).toBe(0);
      await expect(s2.purge({ seq: 2, keep: 1 })).rejects.toThrow("mutually exclusive");
    });

    it("compact() removes everything below a sequence, and past the end moves the sequence on", async () => {
      const s = await f.open();
      await fill(s, ["a", "b", "c", "d"]);
      await s.remove(3);
      expect(await s.compact(3)).toBe(2);
      const s2 = await both(s, (s) => {
        expect(s.state()).toMatchObject({ msgs: 1, first_seq: 4, last_seq: 4, num_deleted: 0 });
      });
      expect(await s2.compact(10)).toBe(1);
      const s3 = await both(s2, (s) => expect(s.state()).toMatchObject({ msgs: 0, first_seq: 10, last_seq: 9 }));
      expect((await s3.append("x", null, bytes("y"))).seq).toBe(10);
    });

    it("subjectCounts() counts per subject, filtered by a wildcard", async () => {
      const s = await f.open();
      await fill(s, ["a.1", "a.2", "a.1", "b.1"]);
      await both(s, (s) => {
        expect(s.subjectCounts()).toEqual(new Map([["a.1", 2], ["a.2", 1], ["b.1", 1]]));
        expect(s.subjectCounts("a.*")).toEqual(new Map([["a.1", 2], ["a.2", 1]]));
        expect(s.state().num_subjects).toBe(3);
      });
    });

    it("max_msgs with discard old drops the oldest", async () => {
      const s = await f.open({ max_msgs: 3 });
      await fill(s, ["a", "b", "c", "d", "e"]);
      await both(s, (s) => expect(s.state()).toMatchObject({ msgs: 3, first_seq: 3, last_seq: 5 }), { max_msgs: 3 });
    });

    it("max_bytes with discard old drops the oldest until the stream fits", async () => {
      const one = 22 + 1 + 2 + 8; // subject "a", payload "mN"
      const s = await f.open({ max_bytes: one * 2 + 5 });
      await fill(s, ["a", "a", "a", "a"]);
      expect(s.state()).toMatchObject({ msgs: 2, bytes: one * 2, first_seq: 3 });
    });

    it("max_msgs_per_subject keeps the newest per subject", async () => {
      const s = await f.open({ max_msgs_per_subject: 2 });
      await fill(s, ["k.1", "k.2", "k.1", "k.1", "k.2", "k.1"]);
      await both(s, (s) => {
        expect(s.subjectCounts()).toEqual(new Map([["k.1", 2], ["k.2", 2]]));
        expect(s.loadNext("k.1", 0)!.seq).toBe(4);
        expect(s.state()).toMatchObject({ msgs: 4, first_seq: 2, num_deleted: 1 });
      }, { max_msgs_per_subject: 2 });
    });

    it("discard new rejects with nats-server's texts and a typed kind", async () => {
      const s = await f.open({ max_msgs: 2, discard: "new" });
      await fill(s, ["a", "b"]);
      const err = await s.append("c", null, bytes("x")).catch((e) => e);
      expect(err).toBeInstanceOf(StoreLimitError);
      expect(err.kind).toBe("MaxMsgs");
      expect(err.message).toBe("maximum messages exceeded");
      expect(s.state().last_seq).toBe(2);

      const b = await f.open({ max_bytes: 100, discard: "new" });
      await b.append("a", null, new Uint8Array(40));
      await expect(b.append("a", null, new Uint8Array(70))).rejects.toThrow("maximum bytes exceeded");

      const p = await f.open({ max_msgs_per_subject: 1, discard: "new", discard_new_per_subject: true });
      await p.append("a", null, bytes("1"));
      await expect(p.append("a", null, bytes("2"))).rejects.toThrow("maximum messages per subject exceeded");
      expect((await p.append("b", null, bytes("3"))).seq).toBe(2);
    });

    it("discard new lets a subject at its per-subject limit replace its oldest message", async () => {
      const s = await f.open({ max_msgs: 2, max_msgs_per_subject: 1, discard: "new" });
      await fill(s, ["a", "b"]);
      expect((await s.append("a", null, bytes("again"))).seq).toBe(3);
      await expect(s.append("c", null, bytes("x"))).rejects.toBeInstanceOf(StoreLimitError);
      expect(s.state()).toMatchObject({ msgs: 2, first_seq: 2, last_seq: 3 });
    });

    it("max_age drops messages older than the limit, on append and on updateLimits", async () => {
      const s = await f.open();
      const now = Date.now();
      await s.append("a", null, bytes("old"), now - 60_000);
      await s.append("a", null, bytes("old"), now - 50_000);
      await s.append("a", null, bytes("new"), now);
      await s.updateLimits({ max_age_ms: 30_000 });
      await both(s, (s) => expect(s.state()).toMatchObject({ msgs: 1, first_seq: 3 }), { max_age_ms: 30_000 });
    });

    it("per-message TTL: due messages go, never ones outlive max_age, also after a reopen", async () => {
      const ttl = (v: string) => bytes(`NATS/1.0\r\nNats-TTL: ${v}\r\n\r\n`);
      const s = await f.open({ allow_msg_ttl: true });
      const now = Date.now();
      await s.append("a", ttl("30"), bytes("due"), now - 60_000);
      await s.append("a", ttl("never"), bytes("kept"), now - 60_000);
      await s.append("a", null, bytes("aged"), now - 60_000);
      await s.append("a", ttl("1h"), bytes("fresh"), now);
      expect(s.state()).toMatchObject({ msgs: 3, first_seq: 2 });
      const limits = { allow_msg_ttl: true, max_age_ms: 30_000 };
      await s.updateLimits(limits);
      await both(s, (s) => {
        expect(s.state()).toMatchObject({ msgs: 2, first_seq: 2, last_seq: 4 });
        expect([s.load(2)?.seq, s.load(3), s.load(4)?.seq]).toEqual([2, null, 4]);
      }, limits);
    });

    it("per-message TTL: a TTL falls due after a reopen", async () => {
      const s = await f.open({ allow_msg_ttl: true });
      await s.append("a", bytes("NATS/1.0\r\nNats-TTL: 10\r\n\r\n"), bytes("soon"), Date.now() - 9_900);
      await s.append("a", null, bytes("stays"));
      const again = f.reopen ? await f.reopen(s, { allow_msg_ttl: true }) : s;
      const end = Date.now() + 5000;
      while (again.msgCount() > 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(again.state()).toMatchObject({ msgs: 1, first_seq: 2 });
    });

    it("onSubjectExpired() names each subject expiry emptied, but not for an expiring marker", async () => {
      const s = await f.open({ allow_msg_ttl: true, subject_delete_markers: true });
      const emptied: string[] = [];
      s.onSubjectExpired((subject) => emptied.push(subject));
      const old = Date.now() - 60_000;
      await s.append("a", null, bytes("1"), old);
      await s.append("a", null, bytes("2"), old);
      await s.append("b", bytes("NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\n\r\n"), bytes(""), old);
      await s.append("c", null, bytes("new"));
      await s.updateLimits({ allow_msg_ttl: true, subject_delete_markers: true, max_age_ms: 30_000 });
      await new Promise((r) => setTimeout(r, 0));
      expect(emptied).toEqual(["a"]);
      expect(s.state()).toMatchObject({ msgs: 1, first_seq: 4 });
    });

    it("updateLimits() applies lower limits to what is already stored", async () => {
      const s = await f.open();
      await fill(s, ["a", "a", "a", "b", "b", "c"]);
      await s.updateLimits({ max_msgs_per_subject: 1 });
      expect(s.subjectCounts()).toEqual(new Map([["a", 1], ["b", 1], ["c", 1]]));
      expect(s.state()).toMatchObject({ msgs: 3, first_seq: 3, last_seq: 6 });
      await s.updateLimits({ max_msgs: 2 });
      await both(s, (s) => expect(s.state()).toMatchObject({ msgs: 2, first_seq: 5, last_seq: 6 }), { max_msgs: 2 });
    });

    it("stream and consumer metadata blobs round-trip and can be replaced and deleted", async () => {
      const s = await f.open();
      expect(s.readMeta()).toBeNull();
      await s.writeMeta(bytes('{"name":"ORDERS"}'));
      await s.writeMeta(bytes('{"name":"ORDERS","max_msgs":5}'));
      await s.writeConsumerMeta("dur", bytes("c1"));
      await s.writeConsumerMeta("other", bytes("c2"));
      await s.deleteConsumerMeta("other");
      await both(s, (s) => {
        expect(dec.decode(s.readMeta()!)).toBe('{"name":"ORDERS","max_msgs":5}');
        expect(s.consumerNames()).toEqual(["dur"]);
        expect(dec.decode(s.readConsumerMeta("dur")!)).toBe("c1");
        expect(s.readConsumerMeta("other")).toBeNull();
      });
    });

    it("a closed store rejects changes with StoreClosedError", async () => {
      const s = await f.open();
      await s.close();
      await expect(s.append("a", null, bytes("x"))).rejects.toBeInstanceOf(StoreClosedError);
      await expect(s.purge()).rejects.toThrow("store is closed");
    });

    it("many messages across blocks keep their order, contents and per-subject counts", async () => {
      const s = await f.open();
      const acks = [];
      for (let i = 1; i <= 3000; i++) acks.push(s.append(`bulk.${i % 7}`, null, bytes(`payload-${i}`.repeat(i % 5 + 1))));
      expect((await Promise.all(acks)).map((a) => a.seq)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
      await s.purge({ filter: "bulk.3" });
      await both(s, (s) => {
        expect(s.state().msgs).toBe(3000 - 429);
        for (const seq of [1, 2, 999, 1500, 2998, 3000]) {
          const m = s.load(seq)!;
          expect(m.subject).toBe(`bulk.${seq % 7}`);
          expect(dec.decode(m.payload)).toBe(`payload-${seq}`.repeat(seq % 5 + 1));
        }
        expect(s.load(3)).toBeNull();
        expect(s.loadNext("bulk.3", 0)).toBeNull();
        expect(s.loadLast("bulk.4")!.seq).toBe(3000);
        expect(s.subjectCounts().get("bulk.1")).toBe(429);
      });
    });
  });
}
