/**
 * A stream's republish: each stored message whose subject matches `src` is published again on the mapped
 * `dest`, with the headers nats-server 2.9.10 adds (stream.go processJetStreamMsg): Nats-Stream,
 * Nats-Subject, Nats-Sequence, Nats-Last-Sequence (the subject's previous sequence, 0 for its first) and,
 * for headers_only, Nats-Msg-Size with an empty body. The stored message itself is unchanged.
 */
import { compile, type Transform } from "../subject/mod.ts";
import type { RePublish } from "./config.ts";
import { withHeaders } from "./headers.ts";

export type Publish = (subject: string, hdr: Uint8Array, data: Uint8Array) => void;

/** Where one message goes, worked out before it is stored (its subject's last sequence changes then). */
export interface RepublishTarget {
  dest: string;
  lastSeq: number;
}

const EMPTY = new Uint8Array(0);

export class Republisher {
  readonly #transform: Transform;

  constructor(
    readonly config: RePublish,
    readonly stream: string,
    private readonly publish: Publish,
  ) {
    // As config.ts validated it: nats-server 2.9.10 wants every source wildcard used.
    this.#transform = compile(config.src, config.dest, { useAllWildcards: true });
  }

  /** The destination for `subject`, or null when it is not republished; `lastSeq` reads the store before the append. */
  target(subject: string, lastSeq: () => number): RepublishTarget | null {
    const dest = this.#transform.apply(subject);
    return dest === null ? null : { dest, lastSeq: lastSeq() };
  }

  send(t: RepublishTarget, subject: string, seq: number, hdr: Uint8Array | null, data: Uint8Array): void {
    const headersOnly = this.config.headers_only === true;
    const extra: [string, string | number][] = [
      ["Nats-Stream", this.stream],
      ["Nats-Subject", subject],
      ["Nats-Sequence", seq],
      ["Nats-Last-Sequence", t.lastSeq],
    ];
    if (headersOnly) extra.push(["Nats-Msg-Size", data.length]);
    this.publish(t.dest, withHeaders(hdr ?? EMPTY, extra), headersOnly ? EMPTY : data);
  }
}
