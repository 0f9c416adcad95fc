// The sublist, with and without its result cache, against a naive matcher over the live subscriptions.
// Tokens come from a tiny alphabet so random subscriptions and publishes collide often, which is what
// exercises the cache patching and trie pruning paths.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Sublist, SublistError, type SubLike, type SublistResult } from "../../src/subject/mod.ts";

interface TestSub extends SubLike {
  readonly id: number;
}

type Op =
  | { readonly kind: "insert"; readonly subject: string; readonly queue: string | null }
  | { readonly kind: "remove"; readonly pick: number }
  | { readonly kind: "reinsert"; readonly pick: number }
  | { readonly kind: "removeUnknown"; readonly subject: string; readonly queue: string | null }
  | { readonly kind: "match"; readonly subject: string };

// "a*" is a literal token that looks like a wildcard; "" makes a subject malformed.
const patternToken = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("a", "b", "c", "*", ">", "a*") },
  { weight: 1, arbitrary: fc.constant("") },
);
const publishToken = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("a", "b", "c", "a*") },
  { weight: 1, arbitrary: fc.constantFrom("*", ">", "") },
);
const pattern = fc.array(patternToken, { minLength: 1, maxLength: 4 }).map((t) => t.join("."));
const publish = fc.array(publishToken, { minLength: 0, maxLength: 5 }).map((t) => t.join("."));
const queue = fc.constantFrom(null, null, "q1", "q2");

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("insert" as const), subject: pattern, queue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reinsert" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("removeUnknown" as const), subject: pattern, queue }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("match" as const), subject: publish }) },
);

function isValidPattern(subject: string): boolean {
  const toks = subject.split(".");
  return toks.every((t, i) => t.length > 0 && (t !== ">" || i === toks.length - 1));
}

/** The matching rule written out directly, token by token. */
function naiveMatch(subject: string, pattern: string): boolean {
  const s = subject.split(".");
  if (s.some((t) => t.length === 0)) return false;
  const p = pattern.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

function expectSameAsModel(r: SublistResult<TestSub>, live: readonly TestSub[], subject: string): void {
  const matching = live.filter((sub) => naiveMatch(subject, sub.subject));
  const plain = matching.filter((sub) => sub.queue === null);
  expect(r.psubs).toHaveLength(plain.length);
  expect(new Set(r.psubs)).toEqual(new Set(plain));

  const groups = new Map<string, Set<TestSub>>();
  for (const sub of matching) {
    if (sub.queue !== null) groups.set(sub.queue, (groups.get(sub.queue) ?? new Set()).add(sub));
  }
  expect(r.qsubs).toHaveLength(groups.size);
  for (const members of r.qsubs) {
    expect(members.length).toBeGreaterThan(0);
    const expected = groups.get(members[0].queue!);
    expect(expected).toBeDefined();
    expect(members).toHaveLength(expected!.size);
    expect(new Set(members)).toEqual(expected!);
  }
}

function run(enableCache: boolean, ops: readonly Op[]): void {
  const sl = new Sublist<TestSub>(enableCache);
  const live: TestSub[] = [];
  const handedOut: [SublistResult<TestSub>, TestSub[], TestSub[][]][] = [];
  let nextId = 0;
  let gen = 0;

  for (const o of ops) {
    switch (o.kind) {
      case "insert": {
        const sub = { subject: o.subject, queue: o.queue, id: nextId++ };
        if (isValidPattern(o.subject)) {
          sl.insert(sub);
          live.push(sub);
          gen++;
        } else {
          expect(() => sl.insert(sub)).toThrow(SublistError);
        }
        break;
      }
      case "remove": {
        if (live.length === 0) break;
        const [sub] = live.splice(o.pick % live.length, 1);
        expect(sl.remove(sub)).toBe(true);
        gen++;
        break;
      }
      case "reinsert": {
        if (live.length === 0) break;
        sl.insert(live[o.pick % live.length]);
        break;
      }
      case "removeUnknown": {
        expect(sl.remove({ subject: o.subject, queue: o.queue, id: nextId++ })).toBe(false);
        break;
      }
      case "match": {
        const r = sl.match(o.subject);
        expectSameAsModel(r, live, o.subject);
        expect(sl.hasInterest(o.subject)).toBe(r.psubs.length + r.qsubs.length > 0);
        handedOut.push([r, [...r.psubs], r.qsubs.map((g) => [...g])]);
        break;
      }
    }
    expect(sl.count()).toBe(live.length);
    expect(sl.genId).toBe(gen);
    expect(sl.stats().num_cache).toBeLessThanOrEqual(1024);
  }

  // Callers keep results while delivering, so the sublist must never edit one it returned.
  for (const [r, psubs, qsubs] of handedOut) {
    expect(r.psubs).toEqual(psubs);
    expect(r.qsubs).toEqual(qsubs);
  }
  expect(new Set(sl.all())).toEqual(new Set(live));
  for (const sub of live) sl.remove(sub);
  expect(sl.numLevels()).toBe(0);
}

describe("Sublist property", () => {
  for (const enableCache of [true, false]) {
    const mode = enableCache ? "on" : "off";
    test(`agrees with a naive matcher over random inserts, removes and matches (cache ${mode})`, () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 200, size: "max" }), (ops) => run(enableCache, ops)),
        { numRuns: 400 },
      );
    });
  }
});
