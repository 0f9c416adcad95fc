/**
 * `$JS.API.DIRECT.GET.<stream>` (JSON body `{"seq"}`, `{"last_by_subj"}` or `{"seq","next_by_subj"}`) and
 * `$JS.API.DIRECT.GET.<stream>.<subject>` (last message on the subject, empty body). The answer is the stored
 * message itself: its own headers followed by `Nats-Stream`, `Nats-Subject`, `Nats-Sequence` and
 * `Nats-Time-Stamp`, or a status (nats-server's `getDirectRequest` in stream.go).
 */
import type { StoredMsg } from "../store/mod.ts";
import { statusHeader, withHeaders } from "./headers.ts";
import type { Stream } from "./stream.ts";
import { rfc3339Nano } from "./time.ts";

const decoder = new TextDecoder();

export interface DirectReply {
  hdr: Uint8Array;
  data: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** nats-server does not subscribe DIRECT.GET for a missing stream or one without allow_direct: no responders. */
export const noResponders = (): DirectReply => ({ hdr: statusHeader(503, "No Responders"), data: EMPTY });

export function directGet(s: Stream, subject: string | undefined, body: Uint8Array): DirectReply {
  const status = (code: number, text: string): DirectReply => ({ hdr: statusHeader(code, text), data: EMPTY });
  const text = decoder.decode(body).trim();
  let m: StoredMsg | null;
  if (subject !== undefined) {
    if (text !== "") return status(408, "Bad Request");
    m = s.store.loadLast(subject);
  } else {
    if (text === "") return status(408, "Empty Request");
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(text);
      if (typeof req !== "object" || req === null) throw new Error("not an object");
    } catch {
      return status(408, "Malformed Request");
    }
    const seq = typeof req.seq === "number" ? req.seq : 0;
    if (typeof req.last_by_subj === "string" && req.last_by_subj !== "") m = s.store.loadLast(req.last_by_subj);
    else if (typeof req.next_by_subj === "string" && req.next_by_subj !== "") m = s.store.loadNext(req.next_by_subj, Math.max(1, seq));
    else if (seq > 0) m = s.store.load(seq);
    else return status(408, "Bad Request");
  }
  if (m === null) return status(404, "Message Not Found");
  return { hdr: withHeaders(m.hdr, [["Nats-Stream", s.name], ["Nats-Subject", m.subject], ["Nats-Sequence", m.seq], ["Nats-Time-Stamp", rfc3339Nano(m.ts)]]), data: m.payload };
}
