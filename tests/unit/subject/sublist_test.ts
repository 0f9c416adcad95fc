// Ported from nats-server's server/sublist_test.go. As there, every case runs twice, with the result
// cache on and off (the Go `...NoCache` twins), through one shared suite.
import { describe, expect, test } from "bun:test";
import { Sublist, SublistError, type SubLike, type SublistResult } from "../../../src/subject/mod.ts";

interface TestSub extends SubLike {
  readonly id: number;
}

let nextId = 0;
const newSub = (subject: string): TestSub => ({ subject, queue: null, id: nextId++ });
const newQSub = (subject: string, queue: string): TestSub => ({ subject, queue, id: nextId++ });

/** The result array of one queue group (fails the test if the group is missing). */
function group(r: SublistResult<TestSub>, queue: string): readonly TestSub[] {
  const g = r.qsubs.find((members) => members[0].queue === queue);
  expect(g).toBeDefined();
  return g!;
}

function sublistSuite(mode: string, enableCache: boolean): void {
  const newSublist = (): Sublist<TestSub> => new Sublist<TestSub>(enableCache);

  describe(`Sublist (${mode})`, () => {
    test("starts empty", () => {
      const s = newSublist();
      expect(s.count()).toBe(0);
      expect(s.all()).toEqual([]);
      expect(s.numLevels()).toBe(0);
    });

    test("counts inserted subscriptions", () => {
      const s = newSublist();
      s.insert(newSub("foo"));
      s.insert(newSub("bar"));
      s.insert(newSub("foo.bar"));
      expect(s.count()).toBe(3);
    });

    test("matches a single-token literal subscription", () => {
      const s = newSublist();
      const sub = newSub("foo");
      s.insert(sub);
      expect(s.match("foo").psubs).toEqual([sub]);
    });

    test("matches a multi-token literal subscription", () => {
      const s = newSublist();
      const sub = newSub("foo.bar.baz");
      s.insert(sub);
      expect(s.match("foo.bar.baz").psubs).toEqual([sub]);
    });

    test("matches a partial wildcard in the middle", () => {
      const s = newSublist();
      const lsub = newSub("a.b.c");
      const psub = newSub("a.*.c");
      s.insert(lsub);
      s.insert(psub);
      const r = s.match("a.b.c");
      expect(r.psubs).toHaveLength(2);
      expect(r.psubs).toContain(lsub);
      expect(r.psubs).toContain(psub);
    });

    test("matches a partial wildcard at the end", () => {
      const s = newSublist();
      const lsub = newSub("a.b.c");
      const psub = newSub("a.b.*");
      s.insert(lsub);
      s.insert(psub);
      const r = s.match("a.b.c");
      expect(r.psubs).toHaveLength(2);
      expect(r.psubs).toContain(lsub);
      expect(r.psubs).toContain(psub);
    });

    test("matches a full wildcard on one or more trailing tokens only", () => {
      const s = newSublist();
      const lsub = newSub("a.b.c");
      const fsub = newSub("a.>");
      s.insert(lsub);
      s.insert(fsub);
      const r = s.match("a.b.c");
      expect(r.psubs).toHaveLength(2);
      expect(r.psubs).toContain(lsub);
      expect(r.psubs).toContain(fsub);
      expect(s.match("a.b").psubs).toEqual([fsub]);
      expect(s.match("a").psubs).toEqual([]);
    });

    test("matches `*` and `>` at the root", () => {
      const s = newSublist();
      const star = newSub("*");
      const all = newSub(">");
      s.insert(star);
      s.insert(all);
      expect(s.match("foo").psubs).toHaveLength(2);
      expect(s.match("foo.bar").psubs).toEqual([all]);
    });

    test("does not match a two-token publish to a one-token subscription", () => {
      const s = newSublist();
      const sub = newSub("foo");
      s.insert(sub);
      expect(s.match("foo").psubs).toEqual([sub]);
      expect(s.match("foo.bar").psubs).toEqual([]);
    });

    test("removes a subscription by identity", () => {
      const s = newSublist();
      const sub = newSub("a.b.c.d");
      s.insert(sub);
      expect(s.count()).toBe(1);
      expect(s.match("a.b.c.d").psubs).toHaveLength(1);
      expect(s.remove(newSub("a.b.c"))).toBe(false);
      expect(s.remove(newSub("a.b.c.d"))).toBe(false);
      expect(s.count()).toBe(1);
      expect(s.remove(sub)).toBe(true);
      expect(s.remove(sub)).toBe(false);
      expect(s.count()).toBe(0);
      expect(s.match("a.b.c.d").psubs).toEqual([]);
    });

    test("removes wildcard subscriptions", () => {
      const s = newSublist();
      const sub = newSub("a.b.c.d");
      const psub = newSub("a.b.*.d");
      const fsub = newSub("a.b.>");
      s.insert(sub);
      s.insert(psub);
      s.insert(fsub);
      expect(s.count()).toBe(3);
      expect(s.match("a.b.c.d").psubs).toHaveLength(3);
      expect(s.remove(sub)).toBe(true);
      expect(s.count()).toBe(2);
      expect(s.remove(fsub)).toBe(true);
      expect(s.count()).toBe(1);
      expect(s.remove(psub)).toBe(true);
      expect(s.count()).toBe(0);
      expect(s.match("a.b.c.d").psubs).toEqual([]);
    });

    test("prunes the trie when a literal subscription is removed", () => {
      const s = newSublist();
      const sub = newSub("a.b.c.d.e.f");
      s.insert(sub);
      expect(s.numLevels()).toBe(6);
      s.remove(sub);
      expect(s.numLevels()).toBe(0);
    });

    test("prunes the trie when a wildcard subscription is removed", () => {
      const s = newSublist();
      const sub = newSub("a.b.*.d.e.>");
      s.insert(sub);
      expect(s.numLevels()).toBe(6);
      s.remove(sub);
      expect(s.numLevels()).toBe(0);
    });

    test("keeps shared prefixes that still hold subscriptions when pruning", () => {
      const s = newSublist();
      const short = newSub("a.b");
      const long = newSub("a.b.c.d");
      s.insert(short);
      s.insert(long);
      expect(s.numLevels()).toBe(4);
      s.remove(long);
      expect(s.numLevels()).toBe(2);
      expect(s.match("a.b").psubs).toEqual([short]);
    });

    test("removes from the middle, start and end of a large result", () => {
      const s = newSublist();
      for (let i = 0; i < 512; i++) s.insert(newSub("foo"));
      const r = s.match("foo");
      expect(r.psubs).toHaveLength(512);
      expect(s.remove(r.psubs[256])).toBe(true);
      expect(s.remove(r.psubs[0])).toBe(true);
      expect(s.remove(r.psubs[511])).toBe(true);
      expect(s.match("foo").psubs).toHaveLength(509);
    });

    test("rejects malformed subjects with SublistError and leaves no trace", () => {
      const s = newSublist();
      for (const subject of [".foo", "foo.", "foo..bar", "foo.bar..baz", "foo.>.bar", ">.>", "", "."]) {
        const insert = (): void => s.insert(newSub(subject));
        expect(insert).toThrow(SublistError);
        expect(insert).toThrow("Invalid Subject");
        try {
          insert();
        } catch (err) {
          expect((err as SublistError).subject).toBe(subject);
        }
      }
      expect(s.count()).toBe(0);
      expect(s.numLevels()).toBe(0);
      expect(s.genId).toBe(0);
    });

    test("reports false when removing a malformed subject", () => {
      const s = newSublist();
      const bad = newSub("a.b..d");
      expect(() => s.insert(bad)).toThrow(SublistError);
      expect(s.remove(bad)).toBe(false);
      expect(s.remove(newSub("a.>.b"))).toBe(false);
    });

    test("groups queue subscriptions by queue name", () => {
      const s = newSublist();
      const subject = "foo";
      const sub = newSub(subject);
      const sub1 = newQSub(subject, "bar");
      const sub2 = newQSub(subject, "baz");

      s.insert(sub1);
      let r = s.match(subject);
      expect(r.psubs).toEqual([]);
      expect(r.qsubs).toEqual([[sub1]]);

      s.insert(sub2);
      r = s.match(subject);
      expect(r.psubs).toEqual([]);
      expect(r.qsubs).toHaveLength(2);
      expect(group(r, "bar")).toEqual([sub1]);
      expect(group(r, "baz")).toEqual([sub2]);

      s.insert(sub);
      r = s.match(subject);
      expect(r.psubs).toEqual([sub]);
      expect(r.qsubs).toHaveLength(2);

      const sub3 = newQSub(subject, "bar");
      const sub4 = newQSub(subject, "baz");
      s.insert(sub3);
      s.insert(sub4);
      r = s.match(subject);
      expect(r.psubs).toEqual([sub]);
      expect(r.qsubs).toHaveLength(2);
      expect(group(r, "bar")).toHaveLength(2);
      expect(group(r, "bar")).toContain(sub3);
      expect(group(r, "baz")).toHaveLength(2);
      expect(group(r, "baz")).toContain(sub4);

      s.remove(sub);
      r = s.match(subject);
      expect(r.psubs).toEqual([]);
      expect(r.qsubs).toHaveLength(2);

      s.remove(sub1);
      r = s.match(subject);
      expect(group(r, "bar")).toEqual([sub3]);
      expect(group(r, "baz")).toHaveLength(2);

      s.remove(sub3);
      r = s.match(subject);
      expect(r.qsubs).toHaveLength(1);
      expect(group(r, "baz")).toHaveLength(2);

      s.remove(sub2);
      s.remove(sub4);
      r = s.match(subject);
      expect(r.psubs).toEqual([]);
      expect(r.qsubs).toEqual([]);
    });

    test("merges one queue group across literal and wildcard subscriptions", () => {
      const s = newSublist();
      const a = newQSub("foo.bar", "workers");
      const b = newQSub("foo.*", "workers");
      const c = newQSub("foo.>", "workers");
      const other = newQSub("foo.bar", "other");
      for (const sub of [a, b, c, other]) s.insert(sub);
      const r = s.match("foo.bar");
      expect(r.qsubs).toHaveLength(2);
      expect([...group(r, "workers")].sort((x, y) => x.id - y.id)).toEqual([a, b, c]);
      expect(group(r, "other")).toEqual([other]);
    });

    test("treats wildcard characters inside a token as literals on insert", () => {
      const s = newSublist();
      for (const subject of ["foo.*-", "foo.>-"]) {
        s.insert(newSub(subject));
        expect(s.match("foo.bar").psubs).toEqual([]);
        expect(s.match(subject).psubs).toHaveLength(1);
      }
    });

    test("treats wildcard characters inside a token as literals on remove", () => {
      const s = newSublist();
      for (const subject of ["foo.*-", "foo.>-"]) {
        const sub = newSub(subject);
        s.insert(sub);
        expect(s.remove(newSub("foo.bar"))).toBe(false);
        expect(s.count()).toBe(1);
        expect(s.remove(sub)).toBe(true);
        expect(s.count()).toBe(0);
      }
    });

    test("matches nothing for publish subjects with empty tokens", () => {
      const s = newSublist();
      s.insert(newSub(">"));
      s.insert(newQSub(">", "queue"));
      for (const subject of ["", ".", ".foo", "..foo", "foo..", "foo.", "foo..bar", "foo...bar"]) {
        const r = s.match(subject);
        expect(r.psubs).toEqual([]);
        expect(r.qsubs).toEqual([]);
        expect(s.hasInterest(subject)).toBe(false);
      }
    });

    test("returns one shared frozen result when nothing matches", () => {
      const s = newSublist();
      const r1 = s.match("foo");
      const r2 = s.match("bar");
      expect(r1).toBe(r2);
      expect(r1.psubs).toEqual([]);
      expect(r1.qsubs).toEqual([]);
      expect(Object.isFrozen(r1)).toBe(true);
      expect(Object.isFrozen(r1.psubs)).toBe(true);
      expect(Object.isFrozen(r1.qsubs)).toBe(true);
    });

    test("returns the same result object for a repeated match until interest changes", () => {
      const s = newSublist();
      s.insert(newSub("foo.*"));
      s.match("foo.bar"); // the first miss only admits the subject to the cache
      const r = s.match("foo.bar");
      if (enableCache) expect(s.match("foo.bar")).toBe(r);
      else expect(s.match("foo.bar")).toEqual(r);
      s.insert(newSub("foo.>"));
      const after = s.match("foo.bar");
      expect(after).not.toBe(r);
      expect(after.psubs).toHaveLength(2);
    });

    test("never changes a result it has already returned", () => {
      const s = newSublist();
      const first = newSub("foo.bar");
      s.insert(first);
      s.insert(newQSub("foo.bar", "q"));
      const r = s.match("foo.bar");
      const psubs = [...r.psubs];
      const qsubs = r.qsubs.map((g) => [...g]);
      s.insert(newSub("foo.bar"));
      s.insert(newSub("foo.*"));
      s.insert(newQSub("foo.>", "q"));
      s.insert(newQSub("foo.bar", "q2"));
      s.remove(first);
      expect(r.psubs).toEqual(psubs);
      expect(r.qsubs).toEqual(qsubs);
    });

    test("ignores a second insert of the same subscription object", () => {
      const s = newSublist();
      const sub = newSub("foo");
      const qsub = newQSub("foo", "q");
      s.insert(sub);
      s.insert(qsub);
      const gen = s.genId;
      s.insert(sub);
      s.insert(qsub);
      expect(s.count()).toBe(2);
      expect(s.genId).toBe(gen);
      expect(s.stats().num_inserts).toBe(2);
      const r = s.match("foo");
      expect(r.psubs).toEqual([sub]);
      expect(r.qsubs).toEqual([[qsub]]);
      expect(s.remove(sub)).toBe(true);
      expect(s.match("foo").psubs).toEqual([]);
    });

    test("bumps genId on every successful insert and remove only", () => {
      const s = newSublist();
      const sub = newSub("foo.*");
      expect(s.genId).toBe(0);
      s.insert(sub);
      expect(s.genId).toBe(1);
      s.match("foo.bar");
      s.hasInterest("foo.bar");
      expect(s.genId).toBe(1);
      expect(s.remove(newSub("foo.*"))).toBe(false);
      expect(s.genId).toBe(1);
      s.remove(sub);
      expect(s.genId).toBe(2);
    });

    test("answers hasInterest consistently with match", () => {
      const s = newSublist();
      const q = newQSub("a.*.c", "q");
      const f = newSub("x.>");
      s.insert(q);
      s.insert(f);
      for (const subject of ["a.b.c", "a.b", "a.b.c.d", "x", "x.y", "x.y.z", "b.b.c"]) {
        const r = s.match(subject);
        const expected = r.psubs.length + r.qsubs.length > 0;
        expect(s.hasInterest(subject)).toBe(expected);
      }
      s.remove(q);
      expect(s.hasInterest("a.b.c")).toBe(false);
      s.remove(f);
      expect(s.hasInterest("x.y")).toBe(false);
    });

    test("keeps results right as literal and wildcard subscriptions come and go", () => {
      const s = newSublist();
      const subject = "a.b.c.d";
      const sub = newSub(subject);
      const psub = newSub("a.b.*.d");
      const fsub = newSub("a.b.>");
      s.insert(sub);
      expect(s.match(subject).psubs).toHaveLength(1);
      s.insert(psub);
      s.insert(fsub);
      expect(s.count()).toBe(3);
      expect(s.match(subject).psubs).toHaveLength(3);
      s.remove(sub);
      expect(s.match(subject).psubs).toHaveLength(2);
      s.remove(fsub);
      expect(s.match(subject).psubs).toEqual([psub]);
      s.remove(psub);
      expect(s.count()).toBe(0);
      if (enableCache) expect(s.stats().num_cache).toBe(0);
      expect(s.match(subject).psubs).toEqual([]);

      const t = newSublist();
      t.insert(newSub("foo.*"));
      t.insert(newSub("foo.bar"));
      expect(t.match("foo.baz").psubs).toHaveLength(1);
      expect(t.match("foo.bar").psubs).toHaveLength(2);
      t.insert(newSub("foo.>"));
      expect(t.match("foo.bar").psubs).toHaveLength(3);
      expect(t.match("foo.baz").psubs).toHaveLength(2);
      const q = newQSub("*.bar", "q");
      t.insert(q);
      expect(t.match("foo.bar").qsubs).toEqual([[q]]);
      expect(t.match("foo.baz").qsubs).toEqual([]);
      t.remove(q);
      expect(t.match("foo.bar").qsubs).toEqual([]);
    });

    test("keeps its result cache bounded, sweeping down to 256 entries past 1024", () => {
      const s = newSublist();
      const sub = newSub("foo-1");
      s.insert(sub);
      for (let i = 0; i < 1024; i++) s.match(`foo-${i}`);
      // Subjects seen once are not cached: they may never come again (reply inboxes, ack subjects).
      expect(s.stats().num_cache).toBe(0);
      for (let i = 0; i < 1024; i++) {
        s.match(`foo-${i}`);
        s.match(`foo-${i}`);
      }
      expect(s.stats().num_cache).toBe(enableCache ? 1024 : 0);
      s.match("foo-1024");
      s.match("foo-1024");
      expect(s.stats().num_cache).toBe(enableCache ? 256 : 0);
      for (let i = 0; i < 4 * 1024; i++) {
        s.match(`bar-${i}`);
        s.match(`bar-${i}`);
        expect(s.stats().num_cache).toBeLessThanOrEqual(1024);
      }
      expect(s.match("foo-1").psubs).toEqual([sub]);
    });

    test("a level that grows past and shrinks below its small-level index still finds every child", () => {
      const s = newSublist();
      const subs = Array.from({ length: 20 }, (_, i) => newSub(`lvl.t${i}.end`));
      for (const sub of subs) s.insert(sub);
      const check = (live: Set<number>) => {
        for (let i = 0; i < 20; i++) expect(s.match(`lvl.t${i}.end`).psubs).toEqual(live.has(i) ? [subs[i]] : []);
        expect(s.match("lvl.t1").psubs).toEqual([]);
        expect(s.match("lvl.t10x.end").psubs).toEqual([]);
      };
      const live = new Set(subs.map((_, i) => i));
      check(live);
      // Down to 3 children (the index is rebuilt on the way), then back up past it.
      for (let i = 19; i >= 3; i--) {
        s.remove(subs[i]!);
        live.delete(i);
        if (i % 4 === 0) check(live);
      }
      check(live);
      for (let i = 3; i < 20; i += 2) {
        s.insert(subs[i]!);
        live.add(i);
      }
      check(live);
    });

    test("a stream of subjects that never repeat leaves the cache alone", () => {
      const s = newSublist();
      s.insert(newSub("_INBOX.x.*"));
      s.match("hot");
      s.match("hot");
      const hot = s.match("hot");
      for (let i = 0; i < 10_000; i++) expect(s.match(`_INBOX.x.${i}`).psubs).toHaveLength(1);
      expect(s.stats().num_cache).toBe(enableCache ? 1 : 0);
      if (enableCache) expect(s.match("hot")).toBe(hot);
    });

    test("lists every subscription with all()", () => {
      const s = newSublist();
      const subs = [newSub("foo.bar.baz"), newSub("foo"), newSub("baz"), newSub("foo.*"), newSub(">")];
      const qsubs = [newQSub("foo", "q1"), newQSub("foo", "q2"), newQSub("foo.>", "q1")];
      for (const sub of [...subs, ...qsubs]) s.insert(sub);
      const all = s.all();
      expect(all).toHaveLength(subs.length + qsubs.length);
      for (const sub of [...subs, ...qsubs]) expect(all).toContain(sub);
    });

    test("reports stats with nats-server's /subsz field names", () => {
      const s = newSublist();
      const a = newSub("foo");
      s.insert(a);
      s.insert(newSub("bar"));
      s.insert(newSub("baz"));
      s.insert(newSub("foo.bar.baz"));
      s.insert(newQSub("foo", "q"));
      s.insert(newQSub("foo", "q"));
      s.remove(a);
      s.match("a.b.c");
      s.match("a.b.c");
      s.match("foo");
      s.match("foo");
      s.match("foo");
      s.match("bar");
      s.match("bar");
      const st = s.stats();
      expect(Object.keys(st).sort()).toEqual([
        "avg_fanout",
        "cache_hit_rate",
        "max_fanout",
        "num_cache",
        "num_inserts",
        "num_matches",
        "num_removes",
        "num_subscriptions",
      ]);
      expect(st.num_subscriptions).toBe(5);
      expect(st.num_inserts).toBe(6);
      expect(st.num_removes).toBe(1);
      expect(st.num_matches).toBe(7);
      if (enableCache) {
        // Each subject is cached on its second miss: only the third "foo" hits.
        expect(st.num_cache).toBe(3);
        expect(st.cache_hit_rate).toBeCloseTo(1 / 7);
        // Cached fanouts: a.b.c 0, foo 1 (one queue group), bar 1.
        expect(st.max_fanout).toBe(1);
        expect(st.avg_fanout).toBeCloseTo(2 / 3);
      } else {
        expect(st).toMatchObject({ num_cache: 0, cache_hit_rate: 0, max_fanout: 0, avg_fanout: 0 });
      }
    });
  });
}

sublistSuite("with cache", true);
sublistSuite("without cache", false);
