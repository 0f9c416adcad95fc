/**
 * Subject transforms as nats-server 2.9's newTransform builds them (server/sublist.go and
 * subject_transform.go): a source pattern, and a destination that names the source's `*` tokens as `$N` or
 * `{{wildcard(N)}}` and carries a trailing `>` over. A stream's republish uses one.
 *
 * Deliberate difference: the other mapping functions (partition, split, slice…) are refused with a
 * TransformError marked `unsupported`, where nats-server accepts them.
 */
import { matchLiteral } from "./subject.ts";

export class TransformError extends Error {
  constructor(message: string, readonly unsupported = false) {
    super(message);
    this.name = "TransformError";
  }
}

/** A destination token: literal text, the source token at an index, or the tokens from the source's `>` on. */
type Part = { literal: string } | { from: number } | { rest: true };

const WILDCARD_FUNCTION = /^\{\{\s*wildcard\s*\((.*)\)\s*\}\}$/i;
const MAPPING_FUNCTION = /^\{\{\s*(\w+)\s*\(.*\)\s*\}\}$/;
const UNSUPPORTED_FUNCTIONS = ["partition", "split", "splitfromleft", "splitfromright", "slicefromleft", "slicefromright"];

export class SubjectTransform {
  constructor(
    readonly src: string,
    readonly dest: string,
    readonly srcTokens: number,
    readonly parts: readonly Part[],
  ) {}

  /** `subject` mapped to the destination, or null when it does not match the source. */
  transform(subject: string): string | null {
    if (!matchLiteral(subject, this.src)) return null;
    const tokens = subject.split(".");
    let out = "";
    for (const p of this.parts) {
      const t = "literal" in p ? p.literal : "from" in p ? tokens[p.from] : tokens.slice(this.srcTokens - 1).join(".");
      out = out === "" ? t! : `${out}.${t}`;
    }
    return out;
  }
}

/** Go's subjectInfo: the tokens, the number of `*` and whether `>` ends it; null for an empty or misplaced token. */
function subjectInfo(subject: string): { tokens: string[]; pwcs: number; fwc: boolean } | null {
  const tokens = subject.split(".");
  let pwcs = 0;
  let fwc = false;
  for (const t of tokens) {
    if (t === "" || fwc) return null;
    if (t === ">") fwc = true;
    else if (t === "*") pwcs++;
  }
  return { tokens, pwcs, fwc };
}

const INVALID = "invalid subject transform";

/** The wildcard number a destination token refers to, or undefined for a literal token. */
function placeholder(token: string): number | undefined {
  if (token.length <= 1) return undefined;
  // `$x` that is not a number stays literal text: other subjects use a leading `$`.
  if (token[0] === "$") return /^[+-]?\d+$/.test(token.slice(1)) ? Number(token.slice(1)) : undefined;
  if (token.length <= 4 || !token.startsWith("{{") || !token.endsWith("}}")) return undefined;
  const w = WILDCARD_FUNCTION.exec(token);
  if (w !== null) {
    if (!/^\s*[+-]?\d+\s*$/.test(w[1]!)) throw new TransformError(INVALID);
    return Number(w[1]!.trim());
  }
  const f = MAPPING_FUNCTION.exec(token);
  if (f !== null && UNSUPPORTED_FUNCTIONS.includes(f[1]!.toLowerCase())) {
    throw new TransformError(`subject mapping function ${f[1]} is not supported by natsedge`, true);
  }
  throw new TransformError(INVALID);
}

/**
 * Builds the transform, or throws TransformError: both must be subjects, the destination has no `*`, a
 * `>` in one needs a `>` in the other, and a source with wildcards needs each referred to (none beyond them).
 */
export function subjectTransform(src: string, dest: string): SubjectTransform {
  const s = subjectInfo(src);
  const d = subjectInfo(dest);
  if (s === null || d === null || d.pwcs > 0 || s.fwc !== d.fwc) throw new TransformError(INVALID);
  const wildcards = s.pwcs > 0 || s.fwc;
  // Source position of each `*` by its 1-based number; nats-server maps any other number to the first token.
  const positions = [0];
  s.tokens.forEach((t, i) => t === "*" && positions.push(i));
  const parts: Part[] = [];
  let refs = 0;
  for (const t of d.tokens) {
    if (t === ">") {
      parts.push({ rest: true });
      continue;
    }
    const n = wildcards ? placeholder(t) : undefined;
    if (n === undefined) {
      parts.push({ literal: t });
      continue;
    }
    if (n > s.pwcs) throw new TransformError(INVALID);
    refs++;
    parts.push({ from: positions[n] ?? 0 });
  }
  if (refs < s.pwcs) throw new TransformError(INVALID);
  return new SubjectTransform(src, dest, s.tokens.length, parts);
}
