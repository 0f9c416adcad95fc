/**
 * How a stream import renames a subject on the way from the exporter to the importer: kept, replaced by a
 * literal, or transformed (nats-server's transformTokenize turns a destination's `*` into `$1`, `$2`... so
 * `to: "b.*"` reuses the source's tokens); and back, for the subject a shadow subscription takes in the
 * exporter (nats-server's reverse transform in addShadowSub).
 */
import type { PubArg } from "../protocol/parser.ts";
import { subjectHasWildcard } from "../subject/subject.ts";
import { compile, type Transform, TransformError } from "../subject/transform.ts";
import { readdressed, replyOf, withSubject } from "./rewrite.ts";

const encoder = new TextEncoder();

export class Renaming {
  private readonly tr: Transform | null;
  private readonly literal: string | null;
  /** `to` is `from` with tokens in front (a stream import's `prefix`): the same as the transform, by concatenation. */
  private readonly prefix: string | null;
  /** to → from, compiled on first use: only a subscription inside a transformed import's subjects needs it. */
  private back: Transform | null | undefined = undefined;
  /** The last subject renamed, its new name and that name's bytes once needed: a publisher repeats its subject. */
  private last: { from: string; to: string; bytes: Uint8Array | null } = { from: "", to: "", bytes: null };

  constructor(
    private readonly from: string,
    private readonly to: string,
  ) {
    this.tr = null;
    this.literal = null;
    this.prefix = null;
    if (from === to) return;
    if (subjectHasWildcard(from) || subjectHasWildcard(to)) {
      this.tr = compile(from, tokenize(to), { strict: true });
      const head = to.slice(0, to.length - from.length - 1);
      if (to.endsWith(`.${from}`) && !subjectHasWildcard(head)) this.prefix = `${head}.`;
    } else this.literal = to;
  }

  get identity(): boolean {
    return this.tr === null && this.literal === null;
  }

  apply(subject: string): string {
    const l = this.last;
    if (subject === l.from) return l.to;
    const to = this.rename(subject);
    this.last = { from: subject, to, bytes: null };
    return to;
  }

  private rename(subject: string): string {
    if (this.literal !== null) return this.literal;
    if (this.prefix !== null) return this.prefix + subject;
    return this.tr === null ? subject : (this.tr.apply(subject) ?? subject);
  }

  /**
   * The exporter's subjects a subscription on `subject` (one that only matches within `to`) takes, or null
   * when the transform cannot be reversed.
   */
  reverse(subject: string): string | null {
    if (this.identity) return subject;
    if (this.literal !== null) return this.from;
    if (this.prefix !== null) return subject.slice(this.prefix.length);
    if (this.back === undefined) {
      try {
        this.back = compile(this.to, tokenize(this.from), { strict: true });
      } catch (err) {
        if (!(err instanceof TransformError)) throw err;
        this.back = null;
      }
    }
    return this.back?.apply(subject) ?? null;
  }

  /** `pa` under its subject renamed; `pa` itself when the name is kept. */
  readdress(pa: PubArg, subject: string): PubArg {
    const to = this.apply(subject);
    if (to === subject) return pa;
    const l = this.last;
    if (pa.replyEnd > pa.replyStart) return readdressed(pa, to, replyOf(pa));
    return withSubject(pa, (l.bytes ??= encoder.encode(to)));
  }
}

function tokenize(subject: string): string {
  let n = 0;
  return subject
    .split(".")
    .map((t) => (t === "*" ? `$${++n}` : t))
    .join(".");
}
