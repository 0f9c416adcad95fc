/**
 * The sublist: subject routing from a literal publish subject to the matching subscriptions.
 * A port of nats-server's server/sublist.go — a trie over subject tokens with a bounded front cache of
 * match results — keeping its names (pwc, fwc, psubs, qsubs) so the two are easy to cross-check.
 *
 * match() runs for every published message, so it is written to be cheap: a cache hit is one Map lookup
 * with no allocation, and a miss with no interest returns one shared frozen result.
 */

import { matchLiteral, subjectHasWildcard } from "./subject.ts";

/** What the sublist needs from a subscription. `queue` is null for a plain (non-queue) subscription. */
export interface SubLike {
  readonly subject: string;
  readonly queue: string | null;
}

/**
 * Subscriptions matching one publish subject: plain ones, and queue subscriptions with one array per
 * queue group. Results are shared (cached, and handed to every caller publishing on the subject), so
 * callers must never mutate them; the sublist never edits a result once it has returned it.
 */
export interface SublistResult<T extends SubLike> {
  readonly psubs: readonly T[];
  readonly qsubs: readonly (readonly T[])[];
}

/** Field names as in nats-server's /subsz (SublistStats JSON tags). */
export interface SublistStats {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

/** Thrown by insert for a malformed subject. The message is the text nats-server sends in `-ERR`. */
export class SublistError extends Error {
  override readonly name = "SublistError";
  /** The rejected subject, kept apart from the message so the wire text stays exact. */
  readonly subject: string;

  constructor(subject: string) {
    super("Invalid Subject");
    this.subject = subject;
  }
}

/** Upper bound on cached results (nats-server slCacheMax). */
const CACHE_MAX = 1024;
/** Size the cache is swept down to once it exceeds CACHE_MAX (nats-server slCacheSweep). */
const CACHE_SWEEP = 256;

/**
 * Slots of the cache's doorkeeper. A result is cached the second time its subject misses, so subjects that
 * never repeat (reply inboxes, JetStream ack subjects: one per message) do not churn the cache. Caching each
 * of them cost more than matching it: a third of a JetStream ack's routing.
 */
const DOOR_SLOTS = 4096;

const DOT = 0x2e;

const EMPTY_RESULT: SublistResult<never> = Object.freeze({
  psubs: Object.freeze([]),
  qsubs: Object.freeze([]),
});

interface QueueGroup<T> {
  readonly name: string;
  readonly subs: Set<T>;
}

/** Subscriptions ending at one token, and the level below it. Members are null until first needed,
 * since most nodes of a deep trie are only waypoints. */
interface Node<T> {
  next: Level<T> | null;
  psubs: Set<T> | null;
  qsubs: QueueGroup<T>[] | null;
}

/** One token position: literal tokens by name, plus the `*` and `>` nodes. */
interface Level<T> {
  readonly nodes: Map<string, Node<T>>;
  /**
   * The literal tokens and their nodes again as two arrays, while there are at most SMALL (null past that).
   * Most levels have a handful of children: comparing the publish subject's characters against each is
   * cheaper than cutting the token out as a string to look it up, and a subject that never repeats (an ack
   * or reply subject) then makes no token strings at all.
   */
  keys: string[] | null;
  vals: Node<T>[] | null;
  pwc: Node<T> | null;
  fwc: Node<T> | null;
}

const SMALL = 8;

function newLevel<T>(): Level<T> {
  return { nodes: new Map(), keys: [], vals: [], pwc: null, fwc: null };
}

/** Keeps the arrays in step with a new child, or drops them once the level outgrows SMALL. */
function indexAdded<T>(l: Level<T>, t: string, n: Node<T>): void {
  if (l.keys === null) return;
  if (l.nodes.size > SMALL) {
    l.keys = null;
    l.vals = null;
  } else {
    l.keys.push(t);
    l.vals!.push(n);
  }
}

/** Keeps the arrays in step with a deleted child; a level that shrank back to half of SMALL gets them again. */
function indexRemoved<T>(l: Level<T>, t: string): void {
  if (l.keys !== null) {
    const k = l.keys.indexOf(t);
    l.keys.splice(k, 1);
    l.vals!.splice(k, 1);
  } else if (l.nodes.size <= SMALL / 2) {
    l.keys = [...l.nodes.keys()];
    l.vals = [...l.nodes.values()];
  }
}

/** The literal child of `l` named by token `i` of the subject in `toks`. */
function childAt<T>(l: Level<T>, toks: Tokens, i: number): Node<T> | undefined {
  const keys = l.keys;
  if (keys === null) return l.nodes.get(toks.at(i));
  const subject = toks.subject;
  const start = toks.bounds[2 * i]!;
  const len = toks.bounds[2 * i + 1]! - start;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== len) continue;
    let j = 0;
    while (j < len && key.charCodeAt(j) === subject.charCodeAt(start + j)) j++;
    if (j === len) return l.vals![k];
  }
  return undefined;
}

function newNode<T>(): Node<T> {
  return { next: null, psubs: null, qsubs: null };
}

/** The node for token `t` at level `l`, created if missing. */
function childOf<T>(l: Level<T>, t: string): Node<T> {
  if (t === "*") return (l.pwc ??= newNode());
  if (t === ">") return (l.fwc ??= newNode());
  let n = l.nodes.get(t);
  if (n === undefined) {
    n = newNode();
    l.nodes.set(t, n);
    indexAdded(l, t, n);
  }
  return n;
}

function numNodes<T>(l: Level<T>): number {
  return l.nodes.size + (l.pwc === null ? 0 : 1) + (l.fwc === null ? 0 : 1);
}

function hasSubs<T>(n: Node<T>): boolean {
  return n.psubs !== null || n.qsubs !== null;
}

function findGroup<T>(groups: QueueGroup<T>[], name: string): number {
  for (let i = 0; i < groups.length; i++) {
    if (groups[i].name === name) return i;
  }
  return -1;
}

/** Index of the result array for a queue group; arrays are never empty, so [0] names the group. */
function findSlot<T extends SubLike>(qsubs: readonly (readonly T[])[], name: string): number {
  for (let i = 0; i < qsubs.length; i++) {
    if (qsubs[i][0].queue === name) return i;
  }
  return -1;
}

/**
 * A publish subject's tokens as start/end offsets; a token's string is cut only when a large level has to
 * look it up by name.
 */
class Tokens {
  subject = "";
  bounds = new Int32Array(64);
  private readonly strs: (string | undefined)[] = [];

  /** The token count, or 0 when the subject is empty or has an empty token (it matches nothing, as in nats-server). */
  tokenize(subject: string): number {
    const len = subject.length;
    if (len === 0) return 0;
    let b = this.bounds;
    let start = 0;
    let n = 0;
    for (let i = 0; i <= len; i++) {
      if (i < len && subject.charCodeAt(i) !== DOT) continue;
      if (i === start) return 0;
      if (2 * n + 2 > b.length) {
        const grown = new Int32Array(b.length * 2);
        grown.set(b);
        b = this.bounds = grown;
      }
      b[2 * n] = start;
      b[2 * n + 1] = i;
      this.strs[n] = undefined;
      n++;
      start = i + 1;
    }
    this.subject = subject;
    return n;
  }

  at(i: number): string {
    return (this.strs[i] ??= this.subject.substring(this.bounds[2 * i]!, this.bounds[2 * i + 1]!));
  }
}

function addNodeToResults<T extends SubLike>(n: Node<T>, psubs: T[], qsubs: T[][]): void {
  if (n.psubs !== null) {
    for (const sub of n.psubs) psubs.push(sub);
  }
  if (n.qsubs !== null) {
    for (const group of n.qsubs) {
      let slot = findSlot(qsubs, group.name);
      if (slot < 0) {
        slot = qsubs.length;
        qsubs.push([]);
      }
      const members = qsubs[slot];
      for (const sub of group.subs) members.push(sub);
    }
  }
}

/** nats-server's matchLevel; recursion happens only into `*` nodes, tokens are walked by index. */
function matchLevel<T extends SubLike>(
  level: Level<T> | null,
  toks: Tokens,
  from: number,
  to: number,
  psubs: T[],
  qsubs: T[][],
): void {
  let l = level;
  let pwc: Node<T> | null = null;
  let n: Node<T> | undefined;
  for (let i = from; i < to; i++) {
    if (l === null) return;
    if (l.fwc !== null) addNodeToResults(l.fwc, psubs, qsubs);
    pwc = l.pwc;
    if (pwc !== null) matchLevel(pwc.next, toks, i + 1, to, psubs, qsubs);
    n = l.nodes.size === 0 ? undefined : childAt(l, toks, i);
    l = n === undefined ? null : n.next;
  }
  if (n !== undefined) addNodeToResults(n, psubs, qsubs);
  if (pwc !== null) addNodeToResults(pwc, psubs, qsubs);
}

/** matchLevel that stops at the first subscription. A `>` node always holds subscriptions: it can
 * have no children, so pruning removes it once empty. */
function matchLevelForAny<T>(
  level: Level<T> | null,
  toks: Tokens,
  from: number,
  to: number,
): boolean {
  let l = level;
  let pwc: Node<T> | null = null;
  let n: Node<T> | undefined;
  for (let i = from; i < to; i++) {
    if (l === null) return false;
    if (l.fwc !== null) return true;
    pwc = l.pwc;
    if (pwc !== null && matchLevelForAny(pwc.next, toks, i + 1, to)) return true;
    n = l.nodes.size === 0 ? undefined : childAt(l, toks, i);
    l = n === undefined ? null : n.next;
  }
  return (n !== undefined && hasSubs(n)) || (pwc !== null && hasSubs(pwc));
}

function collectNode<T>(n: Node<T>, out: T[]): void {
  if (n.psubs !== null) for (const sub of n.psubs) out.push(sub);
  if (n.qsubs !== null) for (const group of n.qsubs) for (const sub of group.subs) out.push(sub);
  if (n.next !== null) collectLevel(n.next, out);
}

function collectLevel<T>(l: Level<T>, out: T[]): void {
  for (const n of l.nodes.values()) collectNode(n, out);
  if (l.pwc !== null) collectNode(l.pwc, out);
  if (l.fwc !== null) collectNode(l.fwc, out);
}

function depth<T>(l: Level<T> | null): number {
  if (l === null || numNodes(l) === 0) return 0;
  let max = 0;
  for (const n of l.nodes.values()) max = Math.max(max, depth(n.next));
  if (l.pwc !== null) max = Math.max(max, depth(l.pwc.next));
  if (l.fwc !== null) max = Math.max(max, depth(l.fwc.next));
  return max + 1;
}

/**
 * A subscription index. Subscriptions are identified by object identity, so the same subject may be
 * subscribed many times. Inserting an object that is already present is a no-op (count and genId do
 * not change); nats-server would count it twice while storing it once.
 */
export class Sublist<T extends SubLike> {
  private readonly root: Level<T> = newLevel();
  /** Literal publish subject -> result; null when caching is disabled (disable_sublist_cache). */
  private readonly cache: Map<string, SublistResult<T>> | null;
  private subCount = 0;
  private gen = 0;
  private inserts = 0;
  private removes = 0;
  private matches = 0;
  private cacheHits = 0;
  // Scratch buffers for a cache miss, reused so that a miss without interest allocates no result.
  private readonly toks = new Tokens();
  private readonly scratchP: T[] = [];
  private readonly scratchQ: T[][] = [];
  private readonly door = new Int32Array(DOOR_SLOTS);

  constructor(enableCache = true) {
    this.cache = enableCache ? new Map() : null;
  }

  /** Increments on every successful insert or remove, so callers can key their own caches on it. */
  get genId(): number {
    return this.gen;
  }

  /** Adds a subscription; throws SublistError for an empty token or a `>` that is not the last token. */
  insert(sub: T): void {
    const subject = sub.subject;
    const tokens = subject.split(".");
    const last = tokens.length - 1;
    // Validate before touching the trie so that a rejected subject leaves no empty nodes behind.
    // The rules are Sublist.Insert's; whitespace is the protocol layer's concern (isValidSubject).
    for (let i = 0; i <= last; i++) {
      const t = tokens[i];
      if (t.length === 0 || (i < last && t === ">")) throw new SublistError(subject);
    }

    let n = childOf(this.root, tokens[0]);
    for (let i = 1; i <= last; i++) n = childOf((n.next ??= newLevel()), tokens[i]);

    const queue = sub.queue;
    if (queue === null) {
      const psubs = (n.psubs ??= new Set());
      if (psubs.has(sub)) return;
      psubs.add(sub);
    } else {
      const groups = (n.qsubs ??= []);
      const gi = findGroup(groups, queue);
      if (gi < 0) {
        groups.push({ name: queue, subs: new Set([sub]) });
      } else {
        const members = groups[gi].subs;
        if (members.has(sub)) return;
        members.add(sub);
      }
    }

    this.subCount++;
    this.inserts++;
    this.invalidate(subject);
    this.gen++;
  }

  /** Removes a subscription by identity; false if it is not in the sublist (or its subject is malformed). */
  remove(sub: T): boolean {
    const subject = sub.subject;
    const tokens = subject.split(".");
    // The path walked, kept to prune nodes left empty on the way back up.
    const levels: Level<T>[] = [];
    const nodes: Node<T>[] = [];
    let l: Level<T> | null = this.root;
    for (const t of tokens) {
      if (l === null) return false;
      const n: Node<T> | null = t === "*" ? l.pwc : t === ">" ? l.fwc : (l.nodes.get(t) ?? null);
      if (n === null) return false;
      levels.push(l);
      nodes.push(n);
      l = n.next;
    }
    const node = nodes[nodes.length - 1];

    const queue = sub.queue;
    if (queue === null) {
      if (node.psubs === null || !node.psubs.delete(sub)) return false;
      if (node.psubs.size === 0) node.psubs = null;
    } else {
      const groups = node.qsubs;
      const gi = groups === null ? -1 : findGroup(groups, queue);
      if (groups === null || gi < 0) return false;
      const members = groups[gi].subs;
      if (!members.delete(sub)) return false;
      if (members.size === 0) {
        groups.splice(gi, 1);
        if (groups.length === 0) node.qsubs = null;
      }
    }

    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i];
      if (n.next !== null && numNodes(n.next) === 0) n.next = null;
      if (hasSubs(n) || n.next !== null) break;
      const parent = levels[i];
      if (n === parent.fwc) parent.fwc = null;
      else if (n === parent.pwc) parent.pwc = null;
      else {
        parent.nodes.delete(tokens[i]);
        indexRemoved(parent, tokens[i]);
      }
    }

    this.subCount--;
    this.removes++;
    this.invalidate(subject);
    this.gen++;
    return true;
  }

  /** Subscriptions interested in a literal publish subject. The result is shared: do not mutate it. */
  match(subject: string): SublistResult<T> {
    this.matches++;
    const cache = this.cache;
    if (cache !== null) {
      const cached = cache.get(subject);
      if (cached !== undefined) {
        this.cacheHits++;
        return cached;
      }
    }

    const ntoks = this.toks.tokenize(subject);
    if (ntoks === 0) return EMPTY_RESULT;
    const psubs = this.scratchP;
    const qsubs = this.scratchQ;
    matchLevel(this.root, this.toks, 0, ntoks, psubs, qsubs);
    let result: SublistResult<T> = EMPTY_RESULT;
    if (psubs.length > 0 || qsubs.length > 0) {
      result = { psubs: psubs.slice(), qsubs: qsubs.slice() };
      psubs.length = 0;
      qsubs.length = 0;
    }

    if (cache !== null && this.admit(subject)) {
      cache.set(subject, result);
      if (cache.size > CACHE_MAX) {
        // Map iterates in insertion order, so this evicts the oldest entries first.
        for (const key of cache.keys()) {
          cache.delete(key);
          if (cache.size <= CACHE_SWEEP) break;
        }
      }
    }
    return result;
  }

  /** Whether `subject` missed recently: the doorkeeper holds an FNV-1a hash per slot (0 = empty). */
  private admit(subject: string): boolean {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < subject.length; i++) h = Math.imul(h ^ subject.charCodeAt(i), 16777619);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b); // murmur3's finaliser: FNV's bits are poorly mixed
    h = (h ^ (h >>> 13)) | 1;
    const slot = h & (DOOR_SLOTS - 1);
    if (this.door[slot] === h) return true;
    this.door[slot] = h;
    return false;
  }

  /** Whether any subscription matches; cheaper than match() on a cache miss since it stops early. */
  hasInterest(subject: string): boolean {
    const cached = this.cache?.get(subject);
    if (cached !== undefined) return cached.psubs.length > 0 || cached.qsubs.length > 0;
    const ntoks = this.toks.tokenize(subject);
    return ntoks > 0 && matchLevelForAny(this.root, this.toks, 0, ntoks);
  }

  count(): number {
    return this.subCount;
  }

  /** Depth of the trie, to check that remove() prunes what it leaves empty. */
  numLevels(): number {
    return depth(this.root);
  }

  stats(): SublistStats {
    let total = 0;
    let max = 0;
    const cache = this.cache;
    if (cache !== null) {
      // Fanout counts a queue group once, since a message goes to one member of each group.
      for (const r of cache.values()) {
        const fanout = r.psubs.length + r.qsubs.length;
        total += fanout;
        if (fanout > max) max = fanout;
      }
    }
    const numCache = cache === null ? 0 : cache.size;
    return {
      num_subscriptions: this.subCount,
      num_cache: numCache,
      num_inserts: this.inserts,
      num_removes: this.removes,
      num_matches: this.matches,
      cache_hit_rate: this.matches > 0 ? this.cacheHits / this.matches : 0,
      max_fanout: max,
      avg_fanout: total > 0 ? total / numCache : 0,
    };
  }

  /** Every subscription, in no particular order (for monitoring). */
  all(): T[] {
    const out: T[] = [];
    collectLevel(this.root, out);
    return out;
  }

  /**
   * Drops the cached results a subscription on `subject` affects, on insert and on remove alike.
   * nats-server patches cached results on insert instead (addToCache), copying each affected result.
   * Dropping measured ~50x faster when inserting 10k overlapping subscriptions against a warm cache of
   * large results, since copies grow with the fanout; its cost is one trie walk per affected subject on
   * its next publish.
   */
  private invalidate(subject: string): void {
    const cache = this.cache;
    if (cache === null) return;
    if (!subjectHasWildcard(subject)) {
      cache.delete(subject);
      return;
    }
    for (const key of cache.keys()) {
      if (matchLiteral(key, subject)) cache.delete(key);
    }
  }
}
