/**
 * Service latency tracking (nats-server's serviceLatency, TrackServiceExportWithSampling and
 * sendTrackingLatency): a sampled request through a service import is timed from its arrival in the
 * exporting account to the first response, and the measure goes to the exporting account's sink, which
 * publishes nats-server's ServiceLatency JSON there (src/sys/latency.ts builds it: client details live above
 * this folder).
 */
import type { Publisher } from "../routing/endpoint.ts";

export interface LatencyConfig {
  /** Percent of requests measured, 1-100. */
  readonly sampling: number;
  /** Where the exporting account publishes the measures. */
  readonly subject: string;
}

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
  /** When the request arrived (ms since the epoch). */
  readonly startMs: number;
  /** From the request's arrival to the response's, in nanoseconds. */
  readonly serviceNs: number;
}

export type LatencySink = (m: LatencyMeasure) => void;

/** A request being timed: what ServiceImport knows when it is sent. */
export interface LatencyStart {
  readonly config: LatencyConfig;
  readonly requestor: Publisher | null;
  readonly share: boolean;
  readonly startMs: number;
  /** performance.now() at arrival, for the duration. */
  readonly startPerf: number;
}

/** nats-server's sampling check: a request is measured unless a draw of 0-99 exceeds the percentage. */
export function sampled(c: LatencyConfig): boolean {
  return c.sampling >= 100 || Math.floor(Math.random() * 100) <= c.sampling;
}
