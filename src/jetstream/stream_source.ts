/**
 * The origin of a mirror or a source (nats-server's StreamSource: `name`, `opt_start_seq`, `opt_start_time`,
 * `filter_subject`, `external {api, deliver}`) and the `Nats-Stream-Source: <index name> <origin seq>` header
 * a sourced message is stored with, which is how a restart finds where each source left off
 * (stream.go genSourceHeader, streamAndSeq, startingSequenceForSources).
 */
import { createHash } from "node:crypto";
import type { StreamStore } from "../store/mod.ts";
import { parseHeaders } from "./headers.ts";

export interface ExternalStream {
  api: string;
  deliver?: string;
}

export interface StreamSource {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  external?: ExternalStream;
}

export const STREAM_SOURCE_HEADER = "Nats-Stream-Source";
const DEFAULT_API = "$JS.API";

/** The API prefix the origin answers on: its domain's or account's when external. */
export function apiPrefix(src: StreamSource): string {
  return src.external?.api || DEFAULT_API;
}

/**
 * nats-server's index name: the stream name, plus a hash of the API prefix when external, so two origins
 * with the same name in different domains keep apart in the header.
 */
export function indexName(src: StreamSource): string {
  const api = src.external?.api;
  if (api === undefined || api === "") return src.name;
  return `${src.name}:${createHash("sha256").update(api).digest("base64url").slice(0, 8)}`;
}

/** `[index name, origin sequence]` from a stored header value, or null when it is not one. */
export function parseSourceHeader(value: string): [string, number] | null {
  const f = value.trim().split(/\s+/);
  if (f.length !== 2) return null;
  const seq = Number(f[1]);
  return Number.isSafeInteger(seq) && seq > 0 ? [f[0]!, seq] : null;
}

/**
 * The last origin sequence stored for each of `inames`, scanning back from the newest message until all are
 * found (nats-server does the same reverse scan at startup: slow only when a source has gone quiet).
 */
export function lastSourcedSeqs(store: StreamStore, inames: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  const first = store.firstSeq();
  for (let seq = store.lastSeq(); seq >= first && seq > 0 && found.size < inames.length; seq--) {
    let hdr: Uint8Array;
    try {
      const m = store.load(seq);
      if (m === null || m.hdr.length === 0) continue;
      hdr = m.hdr;
    } catch {
      continue; // a damaged block is reported by the store
    }
    const v = parseHeaders(hdr).get(STREAM_SOURCE_HEADER.toLowerCase());
    const parsed = v === undefined ? null : parseSourceHeader(v);
    if (parsed === null || found.has(parsed[0]) || !inames.includes(parsed[0])) continue;
    found.set(parsed[0], parsed[1]);
  }
  return found;
}

/** The part of a stream's config that says where its messages come from. */
export interface LinkedStream {
  readonly subjects: readonly string[];
  readonly mirror?: StreamSource;
  readonly sources?: readonly StreamSource[];
}

/**
 * The subjects a stream's consumers may filter on (nats-server's allSubjects): its own and, for a mirror or
 * sources, each local origin's, followed down that origin's own mirror or sources; null when an origin is
 * external, whose subjects nats-server cannot know, so any filter is taken. As in 2.9.10, across a stream's
 * own sources the last one decides whether an external origin was seen.
 */
export function interestSubjects(cfg: LinkedStream, lookup: (name: string) => LinkedStream | undefined): string[] | null {
  const seen = new Set<string>();
  const subjects = [...cfg.subjects];
  let external = false;
  for (const src of cfg.mirror !== undefined ? [cfg.mirror] : (cfg.sources ?? [])) {
    const [subjs, ext] = originSubjects(src, lookup, seen);
    subjects.push(...subjs);
    external = ext;
  }
  return external ? null : subjects;
}

function originSubjects(src: StreamSource, lookup: (name: string) => LinkedStream | undefined, seen: Set<string>): [string[], boolean] {
  if (src.external !== undefined) return [[], true];
  const origin = seen.has(src.name) ? undefined : lookup(src.name);
  if (origin === undefined) return [[], false];
  seen.add(src.name);
  const subjects = [...origin.subjects];
  for (const next of origin.mirror !== undefined ? [origin.mirror] : (origin.sources ?? [])) {
    const [subjs, ext] = originSubjects(next, lookup, seen);
    subjects.push(...subjs);
    if (ext) return [subjects, true];
  }
  return [subjects, false];
}
