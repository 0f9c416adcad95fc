import type { NatsConnection } from "@nats-io/transport-node";

/** The payloads `nc` receives on `subject` (in `queue`, if named), as text, in arrival order. */
export function collect(nc: NatsConnection, subject: string, queue?: string): string[] {
  const got: string[] = [];
  nc.subscribe(subject, { ...(queue ? { queue } : {}), callback: (_e, m) => void got.push(m.string()) });
  return got;
}

/** Round trips on every connection, twice, so that anything still in flight across a link (a duplicate) has arrived. */
export async function settle(...ncs: NatsConnection[]): Promise<void> {
  for (const nc of ncs) await nc.flush();
  for (const nc of ncs) await nc.flush();
}
