/**
 * An account's subject mappings as /accountz lists them (nats-server 2.9.10's ExtMap): per source, the
 * destinations as AddWeightedMappings keeps them: those of each cluster apart, the source itself added for
 * the weight the destinations leave (unless it is one of them), sorted by weight and the weights made
 * cumulative, the ones without a cluster first.
 */
import type { AccountOptions, MappingDest } from "../config/options.ts";

type Mappings = NonNullable<AccountOptions["mappings"]>;

export interface MapDest {
  subject: string;
  weight: number;
  cluster?: string;
}

/** nats-server's transformTokenize: each `*` becomes `$1`, `$2`... in order. */
function tokenize(subject: string): string {
  let n = 0;
  return subject.split(".").map((t) => (t === "*" ? `$${++n}` : t)).join(".");
}

/** processDestinations: the source added for the missing weight, then sorted and cumulative. */
function processed(src: string, dests: MappingDest[], haveSrc: boolean): { subject: string; weight: number }[] {
  const out = dests.map((d) => ({ subject: d.destination, weight: d.weight }));
  const total = out.reduce((n, d) => n + d.weight, 0);
  if (total !== 100 && !haveSrc) out.push({ subject: src.includes("*") ? tokenize(src) : src, weight: out.length === 0 ? 100 : 100 - total });
  out.sort((a, b) => a.weight - b.weight);
  let last = 0;
  for (const d of out) last = d.weight += last;
  return out;
}

export function extMappings(mappings: Mappings): Record<string, MapDest[]> {
  const out: Record<string, MapDest[]> = {};
  for (const m of mappings) {
    const haveSrc = m.dests.some((d) => d.destination === m.subject);
    const byCluster = new Map<string, MappingDest[]>();
    for (const d of m.dests) if (d.cluster) byCluster.set(d.cluster, [...(byCluster.get(d.cluster) ?? []), d]);
    out[m.subject] = [
      ...processed(m.subject, m.dests.filter((d) => !d.cluster), haveSrc),
      ...[...byCluster].flatMap(([cluster, dests]) => processed(m.subject, dests, haveSrc).map((d) => ({ ...d, cluster }))),
    ];
  }
  return out;
}
