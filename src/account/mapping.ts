/**
 * An account's subject mappings (`mappings {}`), nats-server 2.9's AddWeightedMappings and
 * selectMappedSubject: a published subject that matches a source is routed as one of its destinations,
 * picked by weight. Weights under 100 leave the rest of the traffic on the subject as published, and
 * destinations tagged with a cluster apply only in that cluster.
 */
import { matchLiteral, subjectHasWildcard } from "../subject/subject.ts";
import { compile, type Transform } from "../subject/transform.ts";
import type { MappingDest } from "../config/options.ts";

interface WeightedDest {
  /** null: the subject stays as published. */
  tr: Transform | null;
  weight: number;
}

interface Mapping {
  src: string;
  wildcard: boolean;
  /** A wildcard source's literal tokens before its first wildcard, with their dots: what a match starts with. */
  head: string;
  dests: WeightedDest[];
}

/** Literal sources are looked up only for subjects of a length one of them has; longer ones share the last slot. */
const LENGTH_SLOTS = 256;

export class MappingError extends Error {}

export class SubjectMappings {
  /** The literal sources by subject, and the wildcard ones in config order. */
  private readonly literal = new Map<string, Mapping>();
  private readonly wildcards: Mapping[] = [];
  /**
   * Which subject lengths a literal source has. Every publish in the account asks map(), and most match no
   * source: this answers most of them without hashing the subject (bench/accounts_route_bench.ts).
   */
  private readonly literalLengths = new Uint8Array(LENGTH_SLOTS);

  /** Adds one source's destinations; throws MappingError as nats-server refuses them. */
  add(src: string, dests: readonly MappingDest[], cluster: string | undefined): void {
    const chosen = clusterDests(dests, cluster);
    let total = 0;
    const seen = new Set<string>();
    const out: WeightedDest[] = [];
    for (const d of chosen) {
      if (seen.has(d.destination)) throw new MappingError(`duplicate entry for destination ${JSON.stringify(d.destination)}`);
      seen.add(d.destination);
      total += d.weight;
      if (total > 100) throw new MappingError(`total weight greater than 100`);
      out.push({ tr: compile(src, d.destination), weight: d.weight });
    }
    if (total < 100) out.push({ tr: null, weight: 100 - total });
    const m = { src, wildcard: subjectHasWildcard(src), head: headOf(src), dests: out };
    if (m.wildcard) this.wildcards.push(m);
    else if (!this.literal.has(src)) {
      this.literal.set(src, m);
      this.literalLengths[Math.min(src.length, LENGTH_SLOTS - 1)] = 1;
    }
  }

  /** The subject `subject` is routed as, or null when no mapping applies (or the pick keeps it). */
  map(subject: string): string | null {
    const m = this.first(subject);
    if (m === undefined) return null;
    const d = pick(m.dests);
    return d.tr === null ? null : d.tr.apply(subject);
  }

  /**
   * The source that maps `subject`. Deliberate difference: where sources overlap, nats-server 2.9.10 takes the
   * first in Go's random map order, so the pick varies run to run; natsedge takes a literal source, else the
   * first matching wildcard one in config order.
   */
  private first(subject: string): Mapping | undefined {
    if (this.literalLengths[Math.min(subject.length, LENGTH_SLOTS - 1)] === 1) {
      const exact = this.literal.get(subject);
      if (exact !== undefined) return exact;
    }
    const ws = this.wildcards;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      if (subject.startsWith(w.head) && matchLiteral(subject, w.src)) return w;
    }
    return undefined;
  }
}

/** "a.b.*.c" → "a.b.": the part of a subject every match of the source repeats. */
function headOf(src: string): string {
  let end = 0;
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== ".") continue;
    const token = src.slice(end, i);
    if (token === "*" || token === ">") break;
    end = i + 1;
  }
  return src.slice(0, end);
}

/** The destinations for this server: its cluster's when any are tagged with it, else the untagged ones. */
function clusterDests(dests: readonly MappingDest[], cluster: string | undefined): MappingDest[] {
  const own = cluster === undefined ? [] : dests.filter((d) => d.cluster === cluster);
  return own.length > 0 ? own : dests.filter((d) => d.cluster === undefined);
}

function pick(dests: readonly WeightedDest[]): WeightedDest {
  if (dests.length === 1) return dests[0]!;
  let r = Math.random() * 100;
  for (const d of dests) {
    r -= d.weight;
    if (r < 0) return d;
  }
  return dests[dests.length - 1]!;
}
