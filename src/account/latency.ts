/**
 * Service latency tracking (nats-server 2.9.10's serviceLatency, TrackServiceExportWithSampling, shouldSample
 * and sendTrackingLatency): a request through a service import to a singleton export with `latency` is
 * timed from its arrival in the exporting account to the first response, when sampled: by the export's
 * percentage, or else by the request's trace headers (Uber-Trace-Id, X-B3-*, B3, Traceparent), which go
 * along in the measure. The measure goes to the exporting account's sink, which publishes nats-server's
 * ServiceLatency JSON there (src/sys/latency.ts builds it: client details live above this folder).
 */
import type { Publisher } from "../routing/endpoint.ts";

export interface LatencyConfig {
  /** Percent of requests measured, 1-100; 0: only those whose trace headers ask for it ("headers"). */
  readonly sampling: number;
  /** Where the exporting account publishes the measures. */
  readonly subject: string;
}

/** Trace headers as Go's http.Header holds them: canonical names, every value. */
export type TraceHeader = Record<string, string[]>;

/** One request's measure, as the exporting account's sink receives it. */
export interface LatencyMeasure {
  /** The latency subject, in the exporting account. */
  readonly subject: string;
  readonly exporter: string;
  readonly requestorAccount: string;
  /** Who sent the request and who answered it (a client, or another bridge when imports chain); null when unknown. */
  readonly requestor: Publisher | null;
  readonly responder: Publisher | null;
  /** The import's `share`: whether the exporter may see who the requestor is. */
  readonly share: boolean;
  /** The trace headers that had the request sampled; null when the percentage did. */
  readonly header: TraceHeader | null;
  /** When the request arrived (ms since the epoch). */
  readonly startMs: number;
  /** From the request's arrival to the response's, in nanoseconds. */
  readonly serviceNs: number;
  /** performance.now() when the response came, for the time the measure takes to go out. */
  readonly respondedAt: number;
}

export type LatencySink = (m: LatencyMeasure) => void;

/** A request being timed: what ServiceImport knows when it is sent. */
export interface LatencyStart {
  readonly config: LatencyConfig;
  readonly requestor: Publisher | null;
  readonly share: boolean;
  readonly header: TraceHeader | null;
  readonly startMs: number;
  /** performance.now() at arrival, for the duration. */
  readonly startPerf: number;
}

/**
 * Whether to time a request (nats-server's shouldSample): `{header: null}` when the percentage picked it,
 * `{header}` when its trace headers did, null when it is not timed. `hdr` is the request's header block.
 */
export function shouldSample(c: LatencyConfig, hdr: Uint8Array | null): { header: TraceHeader | null } | null {
  if (c.sampling >= 100) return { header: null };
  // A draw of 0-99 at most the percentage, as nats-server's rand.Int31n(100) <= sampling.
  if (c.sampling > 0 && Math.floor(Math.random() * 100) <= c.sampling) return { header: null };
  if (hdr === null) return null;
  const header = traceHeader(parseHeader(hdr));
  return header === null ? null : { header };
}

const UBER = "Uber-Trace-Id";
const UBER_CTX = "Uberctx-";
const B3 = "B3";
const B3_SAMPLED = "X-B3-Sampled";
const B3_TRACE_ID = "X-B3-Traceid";
const B3_PARENT_SPAN_ID = "X-B3-Parentspanid";
const B3_SPAN_ID = "X-B3-Spanid";
const TRACE_PARENT = "Traceparent";
const TRACE_STATE = "Tracestate";

/** The headers that ask for sampling, and those that go with them; null when they do not ask. */
function traceHeader(h: Map<string, string[]>): TraceHeader | null {
  const pick = (names: string[]) => Object.fromEntries(names.filter((n) => h.has(n)).map((n) => [n, h.get(n)!]));
  const b3 = () => pick([B3_SAMPLED, B3_TRACE_ID, B3_PARENT_SPAN_ID, B3_SPAN_ID]);
  const uber = h.get(UBER);
  if (uber !== undefined) {
    // 479fefe9525eddb:5adb976bfc1f95c1:479fefe9525eddb:1; nats-server reads the flags' last hex digit.
    const tk = uber[0]!.split(":");
    const flags = tk[3] ?? "";
    if (tk.length !== 4 || flags.length === 0 || flags.length > 2) return null;
    const digit = Number.parseInt(flags[flags.length - 1]!, 16);
    if (Number.isNaN(digit) || (digit & 1) !== 1) return null;
    return { [UBER]: uber, ...pick([...h.keys()].filter((k) => k.startsWith(UBER_CTX))) };
  }
  const sampled = h.get(B3_SAMPLED)?.[0];
  if (sampled === "1") return b3();
  if (sampled === "0") return null;
  if (h.has(B3_TRACE_ID)) return b3();
  const single = h.get(B3);
  if (single !== undefined) {
    // 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90, or a lone "0" to deny.
    const tk = single[0]!.split("-");
    if ((tk.length > 2 && tk[2] === "0") || (tk.length === 1 && tk[0] === "0")) return null;
    return { [B3]: single };
  }
  const parent = h.get(TRACE_PARENT);
  if (parent !== undefined) {
    // 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
    const tk = parent[0]!.split("-");
    return tk.length === 4 && tk[3] === "01" ? { [TRACE_PARENT]: parent, ...pick([TRACE_STATE]) } : null;
  }
  return null;
}

const decoder = new TextDecoder();

/** A NATS header block's fields by Go's canonical MIME names, as nats-server's getHeader reads them. */
function parseHeader(hdr: Uint8Array): Map<string, string[]> {
  const h = new Map<string, string[]>();
  const lines = decoder.decode(hdr).split("\r\n");
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = canonicalKey(line.slice(0, colon).trim());
    const value = line.slice(colon + 1).trim();
    const values = h.get(key);
    if (values === undefined) h.set(key, [value]);
    else values.push(value);
  }
  return h;
}

/** Go's textproto.CanonicalMIMEHeaderKey: each dash-separated word capitalized, the rest lower case. */
function canonicalKey(key: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return key;
  return key.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
