/**
 * What a stream's mirror or sources store, and where each resumes after a restart: a mirror stores each
 * message under its origin sequence and resumes after its own last sequence; a source stores with a
 * `Nats-Stream-Source` header naming the origin sequence and resumes after the last one it finds.
 */
import { decimalLength, writeDecimal } from "../protocol/encode.ts";
import type { InternalEndpoint } from "../routing/internal.ts";
import { withHeaders, withoutHeader } from "./headers.ts";
import { type Inbound, SourceLink } from "./source_link.ts";
import type { Stream } from "./stream.ts";
import { indexName, lastSourcedSeqs, STREAM_SOURCE_HEADER } from "./stream_source.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export function linkStream(stream: Stream, internal: InternalEndpoint, log: (msg: string) => void): SourceLink[] {
  const cfg = stream.config;
  if (cfg.mirror !== undefined) {
    const target = {
      store: (m: Inbound) => stream.storeAt(m.seq, m.subject, m.hdr, m.data, m.ts).then(() => {}),
      log,
    };
    return [new SourceLink("mirror", stream.name, cfg.mirror, internal, target, stream.store.lastSeq())];
  }
  // nats-server keys sources by index name: one listed twice is one link.
  const byName = new Map((cfg.sources ?? []).map((src) => [indexName(src), src]));
  const sources = [...byName.values()];
  if (sources.length === 0) return [];
  const inames = [...byName.keys()];
  const last = lastSourcedSeqs(stream.store, inames);
  return sources.map((src, i) => {
    const iname = inames[i]!;
    const sourceHeader = new SourceHeader(iname);
    const target = {
      // A message sourced twice over (a daisy chain) names only the nearest origin.
      store: (m: Inbound) => {
        const hdr = m.hdr === null || m.hdr.length === 0
          ? sourceHeader.write(m.seq)
          : withHeaders(withoutHeader(m.hdr, STREAM_SOURCE_HEADER) ?? EMPTY, [[STREAM_SOURCE_HEADER, `${iname} ${m.seq}`]]);
        return stream.ingest(m.subject, hdr, m.data).then(() => {});
      },
      log,
    };
    return new SourceLink("source", stream.name, src, internal, target, last.get(iname) ?? 0);
  });
}

/**
 * The header block of a sourced message that had none, `NATS/1.0`, `Nats-Stream-Source: <index name> <seq>`,
 * written as bytes: the prefix is encoded once per source rather than a string built and encoded per message.
 */
class SourceHeader {
  readonly #prefix: Uint8Array;

  constructor(iname: string) {
    this.#prefix = encoder.encode(`NATS/1.0\r\n${STREAM_SOURCE_HEADER}: ${iname} `);
  }

  /**
   * A fresh block (the stream may keep it past this call) for origin sequence `seq`, allocated at its exact
   * size: a view of a larger one (subarray) costs JavaScriptCore an ArrayBuffer object on every call.
   */
  write(seq: number): Uint8Array {
    const b = new Uint8Array(this.#prefix.length + decimalLength(seq) + 4);
    b.set(this.#prefix);
    let p = writeDecimal(b, this.#prefix.length, seq);
    b[p++] = 0x0d;
    b[p++] = 0x0a;
    b[p++] = 0x0d;
    b[p] = 0x0a;
    return b;
  }
}
