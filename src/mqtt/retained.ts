/**
 * Retained messages: the last RETAIN publish per subject, in a store of its own (one message per subject,
 * sealed at rest like JetStream's when a key is set) and mirrored in memory, where each new subscription
 * looks for the ones its filter matches.
 */
import type { StoreProvider } from "../store/provider.ts";
import type { StreamStore } from "../store/store.ts";
import { matchLiteral } from "../subject/subject.ts";

export interface RetainedMsg {
  subject: string;
  qos: number;
  payload: Uint8Array;
}

const STORE = "retained";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The QoS travels in the stored header, as nats-server marks MQTT publishes (`Nmqtt-Pub`). */
function qosHeader(qos: number): Uint8Array {
  return encoder.encode(`NATS/1.0\r\nNmqtt-Pub:${qos}\r\n\r\n`);
}

function qosOf(hdr: Uint8Array): number {
  return decoder.decode(hdr).includes("Nmqtt-Pub:1") ? 1 : 0;
}

export class Retained {
  private readonly msgs = new Map<string, RetainedMsg>();

  private constructor(private readonly store: StreamStore) {}

  static async open(stores: StoreProvider, storage: "memory" | "file"): Promise<Retained> {
    const store = await stores.open(STORE, { storage, limits: { max_msgs_per_subject: 1 } });
    const r = new Retained(store);
    for (let m = store.loadNext(">", 1); m !== null; m = store.loadNext(">", m.seq + 1)) {
      r.msgs.set(m.subject, { subject: m.subject, qos: qosOf(m.hdr), payload: m.payload });
    }
    return r;
  }

  get size(): number {
    return this.msgs.size;
  }

  /** An empty payload removes what `subject` retained ([MQTT-3.3.1-10]). */
  async retain(subject: string, qos: number, payload: Uint8Array): Promise<void> {
    if (payload.length === 0) {
      if (!this.msgs.delete(subject)) return;
      const last = this.store.loadLast(subject);
      if (last !== null) await this.store.remove(last.seq);
      return;
    }
    const copy = payload.slice();
    this.msgs.set(subject, { subject, qos, payload: copy });
    await this.store.append(subject, qosHeader(qos), copy);
  }

  /** The retained messages whose subject matches any of `filters` (NATS subjects, wildcards allowed). */
  matching(filters: readonly string[]): RetainedMsg[] {
    const out: RetainedMsg[] = [];
    for (const m of this.msgs.values()) {
      if (filters.some((f) => matchLiteral(m.subject, f))) out.push(m);
    }
    return out;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
