/**
 * The registered clients, kept in a store of their own beside the channels (nats-streaming-server's
 * clients.dat) so a client whose NATS connection reconnects after a server restart carries on with its
 * client ID and connection ID. Records are sealed with the store; their names carry no client text.
 */
import type { StreamStore } from "../store/store.ts";

export interface ClientRecord {
  readonly id: string;
  readonly hbInbox: string;
  readonly connID: string;
}

/** Its store's name: a leading `.` is never a channel's. */
export const CLIENTS_STORE = ".clients";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ClientStore {
  readonly #names = new Map<string, string>();
  #next = 1;

  constructor(readonly store: StreamStore) {}

  /** The records on disk; unreadable ones are reported and skipped. */
  recover(onError: (name: string, err: Error) => void): ClientRecord[] {
    const out: ClientRecord[] = [];
    for (const name of this.store.consumerNames()) {
      const n = Number(name.slice("client-".length));
      if (n >= this.#next) this.#next = n + 1;
      try {
        const rec = JSON.parse(decoder.decode(this.store.readConsumerMeta(name)!)) as ClientRecord;
        this.#names.set(rec.id, name);
        out.push(rec);
      } catch (err) {
        onError(name, err as Error);
      }
    }
    return out;
  }

  add(rec: ClientRecord): Promise<void> {
    let name = this.#names.get(rec.id);
    if (name === undefined) {
      name = `client-${this.#next++}`;
      this.#names.set(rec.id, name);
    }
    return this.store.writeConsumerMeta(name, encoder.encode(JSON.stringify(rec)));
  }

  async remove(id: string): Promise<void> {
    const name = this.#names.get(id);
    if (name === undefined) return;
    this.#names.delete(id);
    await this.store.deleteConsumerMeta(name);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
