// Sublist micro benchmark: `bun bench/sublist_bench.ts`. One line per case, in operations per second.
// The subscription set and subjects come from a seeded PRNG so runs are comparable.
import { Sublist, type SubLike } from "../src/subject/mod.ts";

interface BenchSub extends SubLike {
  readonly id: number;
}

/** mulberry32: a tiny seeded PRNG, so every run benchmarks the same subjects. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(42);
const pick = (n: number): number => Math.floor(rand() * n);
const TOKENS = Array.from({ length: 20 }, (_, i) => `tok${i}`);
const DEPTH = 4;

const literal = (): string => Array.from({ length: DEPTH }, () => TOKENS[pick(TOKENS.length)]).join(".");

/** A pattern over the same tokens with a literal first token, as real wildcard subscriptions tend to
 * have: later tokens are `*` with p=0.25, and from the third token on it ends early in `>` with p=0.15. */
function wildcard(): string {
  const toks = [TOKENS[pick(TOKENS.length)]];
  for (let i = 1; i < DEPTH; i++) {
    if (i > 1 && rand() < 0.15) {
      toks.push(">");
      break;
    }
    toks.push(rand() < 0.25 ? "*" : TOKENS[pick(TOKENS.length)]);
  }
  return toks.join(".");
}

/** 10k subscriptions, half of them wildcards, one in five in one of five queue groups. */
function makeSubs(n: number): BenchSub[] {
  return Array.from({ length: n }, (_, id) => ({
    subject: id % 2 === 0 ? literal() : wildcard(),
    queue: rand() < 0.2 ? `q${pick(5)}` : null,
    id,
  }));
}

let sink = 0;

function report(name: string, unit: string, ops: number, ms: number): void {
  const rate = Math.round(ops / (ms / 1000)).toLocaleString("en-US");
  console.log(`${name.padEnd(58)} ${rate.padStart(13)} ${unit}/s`);
}

/** Runs `fn` for a warm-up pass, then times `ops` calls. */
function benchMatch(name: string, ops: number, fn: (i: number) => number): void {
  for (let i = 0; i < Math.min(ops, 20_000); i++) sink += fn(i);
  const start = performance.now();
  for (let i = 0; i < ops; i++) sink += fn(i);
  report(name, "matches", ops, performance.now() - start);
}

const SUBS = 10_000;
const subs = makeSubs(SUBS);
const published = Array.from({ length: 10_000 }, literal);

const cached = new Sublist<BenchSub>(true);
const uncached = new Sublist<BenchSub>(false);
for (const sub of subs) {
  cached.insert(sub);
  uncached.insert(sub);
}
let fanout = 0;
for (const subject of published) {
  const r = uncached.match(subject);
  fanout += r.psubs.length + r.qsubs.length;
}
const avgFanout = Math.round(fanout / published.length);

const hot = published[0];
benchMatch("match, cache hit (10k subs)", 5_000_000, () => cached.match(hot).psubs.length);

// 10k literal subscriptions and publishes on subjects nobody listens to, each new: every match misses,
// walks the trie, finds nothing and returns the shared empty result.
const literals = new Sublist<BenchSub>(true);
for (let id = 0; id < SUBS; id++) literals.insert({ subject: `svc.${id}.req`, queue: null, id });
const unique = Array.from({ length: 1_000_000 }, (_, i) => `svc.${i}.reply`);
benchMatch("match, cache miss, no interest (10k literal subs)", unique.length, (i) =>
  literals.match(unique[i]).psubs.length,
);

// 10k distinct subjects through a 1024-entry cache: mostly misses, with sweeps.
benchMatch(`match, cache miss, wildcard-heavy (10k subs, fanout ${avgFanout})`, 1_000_000, (i) => {
  const r = cached.match(published[i % published.length]);
  return r.psubs.length + r.qsubs.length;
});

benchMatch(`match, cache disabled, wildcard-heavy (10k subs)`, 1_000_000, (i) => {
  const r = uncached.match(published[i % published.length]);
  return r.psubs.length + r.qsubs.length;
});

benchMatch("hasInterest, cache disabled, wildcard-heavy (10k subs)", 1_000_000, (i) =>
  uncached.hasInterest(published[i % published.length]) ? 1 : 0,
);

/** Times inserting then removing all of `churn`, `rounds` times, into fresh sublists. */
function benchChurn(label: string, churn: readonly BenchSub[], enableCache: boolean, rounds: number): void {
  let insertMs = 0;
  let removeMs = 0;
  for (let round = 0; round <= rounds; round++) {
    const sl = new Sublist<BenchSub>(enableCache);
    // A warm cache is the realistic case: each wildcard insert or remove walks it.
    for (let i = 0; i < 2048; i++) sl.match(published[i]);
    let start = performance.now();
    for (const sub of churn) sl.insert(sub);
    const inserted = performance.now() - start;
    for (let i = 0; i < 2048; i++) sl.match(published[i]);
    start = performance.now();
    for (const sub of churn) sl.remove(sub);
    const removed = performance.now() - start;
    sink += sl.count();
    // Round 0 is the warm-up.
    if (round > 0) {
      insertMs += inserted;
      removeMs += removed;
    }
  }
  report(`insert, ${label}`, "inserts", rounds * churn.length, insertMs);
  report(`remove, ${label}`, "removes", rounds * churn.length, removeMs);
}

// One wildcard reply subscription per connection, as clients using a shared request inbox make.
const inboxes = Array.from({ length: SUBS }, (_, id) => ({
  subject: `_INBOX.${id.toString(36)}x7Kp2.*`,
  queue: null,
  id,
}));

benchChurn("10k mixed subs, cache warm", subs, true, 10);
benchChurn("10k mixed subs, cache disabled", subs, false, 10);
benchChurn("10k _INBOX.<id>.* subs, cache warm", inboxes, true, 10);

if (sink === -1) console.log("unreachable; keeps results observable");
