/**
 * The parts every system message carries, as nats-server 2.9's events.go writes them: the `server` block
 * (ServerInfo, with a sequence number per message sent, the cluster, JetStream domain and server tags when
 * there are any); advisory ids are nuids (src/protocol/nuid.ts).
 */
import { rfc3339 } from "../monitor/format.ts";
import { ADVERTISED_VERSION } from "../version.ts";
import type { SysHost } from "./host.ts";


export class Envelope {
  private seq = 0;

  constructor(private readonly srv: SysHost) {}

  /** nats-server's ServerInfo for the next message. */
  server(): object {
    const s = this.srv;
    const cluster = (s.clusterVarz() as { name?: string }).name;
    const js = s.jetstream();
    return {
      name: s.name,
      host: s.options.host,
      id: s.id,
      ...(cluster && { cluster }),
      ...(js?.domain && { domain: js.domain }),
      ver: ADVERTISED_VERSION,
      ...((s.options.server_tags ?? []).length > 0 && { tags: s.options.server_tags }),
      seq: ++this.seq,
      jetstream: js !== null,
      time: rfc3339(Date.now()),
    };
  }
}
