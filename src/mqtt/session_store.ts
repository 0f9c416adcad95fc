/**
 * Persistent sessions on disk (nats-server keeps them in `$MQTT_sess`, `$MQTT_msgs`, `$MQTT_qos2in` and
 * `$MQTT_out`): two stores of the mqtt StoreProvider, sealed at rest like JetStream's when a key is set.
 *
 *   sessions   one record per client ID at `sess.<hash>`: {"id": <client ID>, "subs": {<NATS filter>: <qos>}}
 *   pending    per session, at `<kind>.<hash>`:
 *                o  a QoS 1/2 message for the client not yet acknowledged (PUBACK, or PUBREC for QoS 2)
 *                r  a PUBREL sent and not yet completed (PUBCOMP), carrying the packet identifier
 *                i  a QoS 2 message from the client stored at PUBREC, published at PUBREL
 *
 * Only sessions with clean session 0 are stored; a clean session lives and dies with its connection.
 */
import { createHash } from "node:crypto";
import type { StoreProvider } from "../store/provider.ts";
import type { StoredMsg, StreamStore } from "../store/store.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const PendingKind = { OUT: "o", REL: "r", IN: "i" } as const;
export type PendingKind = typeof PendingKind[keyof typeof PendingKind];

/** One pending record, as loaded at start. */
export interface StoredPending {
  kind: PendingKind;
  seq: number;
  subject: string;
  qos: number;
  pid: number;
  retain: boolean;
  payload: Uint8Array;
}

export interface StoredSession {
  id: string;
  subs: Record<string, number>;
  pending: StoredPending[];
}

/** The fields of a pending record, in a NATS header so that the store's own tools can show them. */
interface PendingFields {
  subject: string;
  qos: number;
  pid: number;
  retain: boolean;
}

function encodeFields(f: PendingFields): Uint8Array {
  return encoder.encode(`NATS/1.0\r\nNmqtt-Subject:${f.subject}\r\nNmqtt-Pub:${f.qos}\r\nNmqtt-Pid:${f.pid}\r\nNmqtt-Retain:${f.retain ? 1 : 0}\r\n\r\n`);
}

function decodeFields(hdr: Uint8Array): PendingFields {
  const f: PendingFields = { subject: "", qos: 0, pid: 0, retain: false };
  for (const line of decoder.decode(hdr).split("\r\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const v = line.slice(i + 1);
    switch (line.slice(0, i)) {
      case "Nmqtt-Subject":
        f.subject = v;
        break;
      case "Nmqtt-Pub":
        f.qos = Number(v);
        break;
      case "Nmqtt-Pid":
        f.pid = Number(v);
        break;
      case "Nmqtt-Retain":
        f.retain = v === "1";
        break;
    }
  }
  return f;
}

/** The store subject token of a client ID (nats-server hashes it too: IDs may hold any character). */
function hashOf(clientId: string): string {
  return createHash("sha256").update(clientId).digest("base64url").slice(0, 16);
}

export class SessionStore {
  private constructor(
    private readonly sessions: StreamStore,
    private readonly pending: StreamStore,
  ) {}

  static async open(stores: StoreProvider, storage: "memory" | "file"): Promise<SessionStore> {
    const sessions = await stores.open("sessions", { storage, limits: { max_msgs_per_subject: 1 } });
    try {
      return new SessionStore(sessions, await stores.open("pending", { storage }));
    } catch (e) {
      await sessions.close();
      throw e;
    }
  }

  /** Every stored session with what it had pending, in the order it was stored. */
  load(): StoredSession[] {
    const byHash = new Map<string, StoredSession>();
    for (let m = this.sessions.loadNext(">", 1); m !== null; m = this.sessions.loadNext(">", m.seq + 1)) {
      const rec = JSON.parse(decoder.decode(m.payload)) as { id: string; subs: Record<string, number> };
      byHash.set(m.subject.slice("sess.".length), { id: rec.id, subs: rec.subs, pending: [] });
    }
    for (let m = this.pending.loadNext(">", 1); m !== null; m = this.pending.loadNext(">", m.seq + 1)) {
      const s = byHash.get(m.subject.slice(2));
      // Left by a session dropped before its records were: nothing will ever want it.
      if (s === undefined) {
        void this.pending.remove(m.seq);
        continue;
      }
      s.pending.push(toPending(m));
    }
    return [...byHash.values()];
  }

  /** The session's record: it exists, with these subscriptions. */
  async save(clientId: string, subs: Record<string, number>): Promise<void> {
    await this.sessions.append(`sess.${hashOf(clientId)}`, null, encoder.encode(JSON.stringify({ id: clientId, subs })));
  }

  /** Forgets the session and everything it had pending. */
  async drop(clientId: string): Promise<void> {
    const h = hashOf(clientId);
    // Both at once: a purge takes effect when called, so a save() right after is not undone by it.
    await Promise.all([this.pending.purge({ filter: `*.${h}` }), this.sessions.purge({ filter: `sess.${h}` })]);
  }

  /** Stores a pending record; resolves to its sequence, which `remove` takes. */
  async add(clientId: string, kind: PendingKind, f: PendingFields, payload: Uint8Array): Promise<number> {
    const ack = await this.pending.append(`${kind}.${hashOf(clientId)}`, encodeFields(f), payload);
    return ack.seq;
  }

  async remove(seq: number): Promise<void> {
    await this.pending.remove(seq);
  }

  async close(): Promise<void> {
    await this.pending.close();
    await this.sessions.close();
  }
}

function toPending(m: StoredMsg): StoredPending {
  const f = decodeFields(m.hdr);
  return { kind: m.subject[0] as PendingKind, seq: m.seq, payload: m.payload, ...f };
}
