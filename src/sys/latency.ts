/**
 * Service latency measures as nats-server 2.9.10 publishes them (ServiceLatency,
 * `io.nats.server.metric.v1.service_latency`), in the exporting account on the export's latency subject. The
 * requestor is named in full only when its import shares it (`share: true`); otherwise its account and RTT.
 * As sendTrackingLatency computes them: `service` is the time from the request's arrival to the response's
 * less the responder's RTT, `total` the requestor's RTT plus that time plus `system` (the time the measure
 * took to go out, counted only when there are RTTs), `start` the arrival less the requestor's RTT. Client
 * RTTs are nats-server's connect-time estimates (Client.rtt).
 */
import type { LatencyMeasure } from "../account/latency.ts";
import { Client } from "../client/client.ts";
import { nanos, rfc3339 } from "../monitor/format.ts";
import { nuid } from "../protocol/nuid.ts";
import type { Publisher } from "../routing/endpoint.ts";
import { InternalEndpoint } from "../routing/internal.ts";
import type { Router } from "../routing/router.ts";
import { clientInfo } from "./events.ts";
import type { SysHost } from "./host.ts";

const encoder = new TextEncoder();

export function serviceLatency(srv: SysHost, m: LatencyMeasure): object {
  const rtt = (p: Publisher | null) => (p instanceof Client ? p.rtt : 0);
  const who = (p: Publisher | null, account: string, detailed: boolean) =>
    detailed && p instanceof Client ? clientInfo(p, 0, srv.name) : { acc: account, ...(rtt(p) > 0 && { rtt: nanos(rtt(p)) }) };
  const reqRtt = nanos(rtt(m.requestor));
  const respRtt = nanos(rtt(m.responder));
  const system = reqRtt + respRtt > 0 ? Math.max(0, Math.round((performance.now() - m.respondedAt) * 1e6)) : 0;
  return {
    type: "io.nats.server.metric.v1.service_latency",
    id: nuid(),
    timestamp: rfc3339(Date.now()),
    status: 200,
    requestor: who(m.requestor, m.requestorAccount, m.share),
    responder: who(m.responder, m.exporter, true),
    ...(m.header !== null && { header: m.header }),
    start: rfc3339(m.startMs - rtt(m.requestor)),
    // nats-server's sanitizeLatencyMetric: negative durations are 0.
    service: Math.max(0, m.serviceNs - respRtt),
    system,
    total: Math.max(0, reqRtt + m.serviceNs + system),
  };
}

/** Publishes each measure in its exporting account, through one internal endpoint per account. */
export class LatencyPublisher {
  /** By router: an account dropped by a reload takes its endpoint with it. */
  private readonly endpoints = new WeakMap<Router, InternalEndpoint>();

  private readonly off: () => void;

  constructor(private readonly srv: SysHost) {
    this.off = srv.onServiceLatency((m) => {
      // Measured inside the exporter's fan-out, whose router cannot route again until it is done.
      queueMicrotask(() => this.publish(m));
    });
  }

  stop(): void {
    this.off();
  }

  private publish(m: LatencyMeasure): void {
    const router = this.srv.accountRouter(m.exporter)?.router;
    if (router === undefined || !router.sublist.hasInterest(m.subject)) return;
    let ep = this.endpoints.get(router);
    if (ep === undefined) {
      ep = new InternalEndpoint(router, () => this.srv.flushPending(), () => {});
      this.endpoints.set(router, ep);
    }
    ep.publish(m.subject, null, null, encoder.encode(JSON.stringify(serviceLatency(this.srv, m))));
  }
}
