/**
 * Subject transforms as nats-server builds them (server/subject_transform.go, NewSubjectTransformWithStrict):
 * a source pattern and a destination whose tokens are literals, `$N`, or mapping functions over the source's
 * `*` tokens — {{wildcard(n)}}, {{partition(count,n,…)}}, {{split(n,delim)}}, {{splitFromLeft(n,pos)}},
 * {{splitFromRight(n,pos)}}, {{sliceFromLeft(n,size)}}, {{sliceFromRight(n,size)}} — with a trailing `>`
 * carried over. Shared by stream subject_transform, republish and account subject mappings.
 *
 *   const t = compile("orders.*.*", "shard.{{partition(4,1,2)}}.$1"); // throws TransformError
 *   t.apply("orders.eu.42")  // "shard.3.eu"; null when the subject does not match the source
 *
 * Error texts are nats-server's (`invalid mapping destination: … in <token>`), so API errors carry them.
 */
import { matchLiteral } from "./subject.ts";

export class TransformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransformError";
  }
}

const BAD_SUBJECT = "invalid subject";
const INVALID_DEST = "invalid mapping destination";
const OUT_OF_RANGE = `${INVALID_DEST}: wildcard index out of range`;
const NOT_ENOUGH = `${INVALID_DEST}: not enough arguments passed to the function`;
const TOO_MANY = `${INVALID_DEST}: too many arguments passed to the function`;
const BAD_ARG = `${INVALID_DEST}: function argument(s) cannot be parsed`;
const UNKNOWN_FN = `${INVALID_DEST}: unknown function`;
const IMPORT_ONLY_WILDCARD = `${INVALID_DEST}: the only mapping function allowed for import transforms is {{Wildcard()}}`;
const NOT_ALL_WILDCARDS = `${INVALID_DEST}: not using all of the token wildcard(s)`;

/** Go's mappingDestinationErr: "<err> in <token>". */
const destErr = (err: string, token: string) => new TransformError(`${err} in ${token}`);

/** A destination token: literal text, or a function of source tokens (indexes into the subject's tokens). */
type Part =
  | { kind: "literal"; text: string }
  | { kind: "wildcard"; from: number }
  | { kind: "partition"; from: number[]; buckets: number }
  | { kind: "split"; from: number; delim: string }
  | { kind: "splitFromLeft" | "splitFromRight" | "sliceFromLeft" | "sliceFromRight"; from: number; n: number };

type Fn = Exclude<Part["kind"], "literal">;
/** A parsed placeholder: the function, the wildcard numbers it reads (1-based), and its other argument. */
interface Placeholder {
  fn: Fn;
  wildcards: number[];
  n: number;
  delim: string;
}

export interface Transform {
  readonly src: string;
  readonly dest: string;
  /** `subject` (a literal subject) mapped to the destination, or null when it does not match the source. */
  apply(subject: string): string | null;
}

export interface CompileOptions {
  /** Import mappings: only {{wildcard()}}/$N, and every source wildcard used (so the mapping can be reversed). */
  strict?: boolean;
  /** Every source `*` must be referred to, without restricting the functions (nats-server 2.9's republish). */
  useAllWildcards?: boolean;
}

/** Go's subjectInfo: tokens, number of `*`, whether `>` ends it; null for an empty or misplaced token. */
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

/** Go's strconv.Atoi on a trimmed argument (spaces only, as strings.Trim(arg, " ")). */
function atoi(s: string, token: string): number {
  const t = s.replace(/^ +| +$/g, "");
  if (!/^[+-]?\d+$/.test(t)) throw destErr(BAD_ARG, token);
  return Number(t);
}

const FUNCTION = /\{\{\s*([A-Za-z]+)\s*\((.*)\)\s*\}\}/;
/** The names nats-server's regexps accept: first letter and the letters after "From" in either case. */
const FUNCTIONS: Record<string, Fn> = {
  wildcard: "wildcard",
  partition: "partition",
  split: "split",
  splitfromleft: "splitFromLeft",
  splitfromright: "splitFromRight",
  slicefromleft: "sliceFromLeft",
  slicefromright: "sliceFromRight",
};

/** The function name as nats-server's regexps match it: `[sS]plit[fF]rom[lL]eft`, other letters exact. */
function functionOf(name: string): Fn | undefined {
  const fn = FUNCTIONS[name.toLowerCase()];
  if (fn === undefined || name.length !== fn.length) return undefined;
  const f = fn.indexOf("From");
  const loose = f < 0 ? [0] : [0, f, f + 4];
  for (let i = 0; i < name.length; i++) {
    const same = loose.includes(i) ? name[i]!.toLowerCase() === fn[i]!.toLowerCase() : name[i] === fn[i];
    if (!same) return undefined;
  }
  return fn;
}

/** indexPlaceHolders: what a destination token asks for, undefined for a literal token. */
function placeholder(token: string): Placeholder | undefined {
  if (token.length <= 1) return undefined;
  // `$x` that is not a number stays literal text: other subjects use a leading `$`.
  if (token[0] === "$") {
    return /^[+-]?\d+$/.test(token.slice(1)) ? { fn: "wildcard", wildcards: [Number(token.slice(1))], n: -1, delim: "" } : undefined;
  }
  if (token.length <= 4 || !token.startsWith("{{") || !token.endsWith("}}")) return undefined;
  const m = FUNCTION.exec(token);
  const fn = m === null ? undefined : functionOf(m[1]!);
  if (m === null || fn === undefined) throw destErr(UNKNOWN_FN, token);
  const args = m[2]!.split(/,\s*/);
  switch (fn) {
    case "wildcard":
      if (args.length === 1 && args[0] === "") throw destErr(NOT_ENOUGH, token);
      if (args.length > 1) throw destErr(TOO_MANY, token);
      return { fn, wildcards: [atoi(args[0]!, token)], n: -1, delim: "" };
    case "partition": {
      if (args.length < 2) throw destErr(NOT_ENOUGH, token);
      const buckets = atoi(args[0]!, token);
      // nats-server would divide by zero when mapping; refusing it up front keeps a bad config from crashing.
      if (buckets <= 0) throw destErr(BAD_ARG, token);
      return { fn, n: buckets, wildcards: args.slice(1).map((a) => atoi(a, token)), delim: "" };
    }
    case "split": {
      if (args.length < 2) throw destErr(NOT_ENOUGH, token);
      if (args.length > 2) throw destErr(TOO_MANY, token);
      const w = atoi(args[0]!, token);
      if (args[1]!.includes(" ") || args[1]!.includes(".")) throw destErr(BAD_ARG, token);
      return { fn, wildcards: [w], n: -1, delim: args[1]! };
    }
    default:
      if (args.length < 2) throw destErr(NOT_ENOUGH, token);
      if (args.length > 2) throw destErr(TOO_MANY, token);
      return { fn, wildcards: [atoi(args[0]!, token)], n: atoi(args[1]!, token), delim: "" };
  }
}

/**
 * Builds the transform, or throws TransformError. An empty source is `>`; both must be subjects, the
 * destination has no `*`, a `>` in one needs a `>` in the other, and functions need source wildcards.
 */
export function compile(src: string, dest: string, opts: CompileOptions = {}): Transform {
  if (src === "") src = ">";
  const s = subjectInfo(src);
  const d = subjectInfo(dest);
  if (s === null || d === null || d.pwcs > 0 || s.fwc !== d.fwc) throw new TransformError(BAD_SUBJECT);
  // Source position of each `*` by its 1-based number; Go's map lookup gives 0 for any other number.
  const positions = new Map<number, number>();
  s.tokens.forEach((t, i) => t === "*" && positions.set(positions.size + 1, i));
  const at = (n: number) => positions.get(n) ?? 0;
  const parts: Part[] = [];
  let refs = 0;
  for (const t of d.tokens) {
    const ph = placeholder(t);
    if (ph === undefined) {
      parts.push({ kind: "literal", text: t });
      continue;
    }
    if (opts.strict && ph.fn !== "wildcard") throw destErr(IMPORT_ONLY_WILDCARD, t);
    if (s.pwcs === 0) throw destErr(OUT_OF_RANGE, t);
    for (const w of ph.wildcards) if (w > s.pwcs) throw destErr(OUT_OF_RANGE, `${t}: [${w}]`);
    refs += ph.wildcards.length;
    const from = ph.wildcards.map(at);
    if (ph.fn === "partition") parts.push({ kind: "partition", from, buckets: ph.n });
    else if (ph.fn === "wildcard") parts.push({ kind: "wildcard", from: from[0]! });
    else if (ph.fn === "split") parts.push({ kind: "split", from: from[0]!, delim: ph.delim });
    else parts.push({ kind: ph.fn, from: from[0]!, n: ph.n });
  }
  if ((opts.strict || opts.useAllWildcards) && refs < s.pwcs) throw destErr(NOT_ALL_WILDCARDS, dest);
  return new CompiledTransform(src, dest, s.tokens.length, d.fwc, parts);
}

/** ValidateMapping: an empty destination means no transform; otherwise compile must accept it. */
export function validateMapping(src: string, dest: string): void {
  if (dest !== "") compile(src, dest);
}

class CompiledTransform implements Transform {
  readonly #identity: boolean;
  readonly #literal: boolean;

  constructor(
    readonly src: string,
    readonly dest: string,
    readonly srcTokens: number,
    readonly fwc: boolean,
    readonly parts: readonly Part[],
  ) {
    this.#identity = src === ">" && dest === ">";
    this.#literal = parts.every((p) => p.kind === "literal") && !fwc;
  }

  apply(subject: string): string | null {
    if (this.#identity) return subject;
    if (this.src !== ">" && !matchLiteral(subject, this.src)) return null;
    if (this.#literal) return this.dest;
    const tokens = subject.split(".");
    const out: string[] = [];
    for (const p of this.parts) {
      if (p.kind === "literal") {
        if (p.text !== ">") out.push(p.text);
      } else out.push(render(p, tokens));
    }
    if (this.fwc) out.push(...tokens.slice(this.srcTokens - 1));
    return out.join(".");
  }
}

function render(p: Exclude<Part, { kind: "literal" }>, tokens: string[]): string {
  switch (p.kind) {
    case "wildcard":
      return tokens[p.from]!;
    case "partition":
      return String(fnv1a32(p.from.map((i) => tokens[i]).join("")) % p.buckets);
    case "split":
      return splitToken(tokens[p.from]!, p.delim);
    case "splitFromLeft": {
      const t = tokens[p.from]!;
      return p.n > 0 && p.n < t.length ? `${t.slice(0, p.n)}.${t.slice(p.n)}` : t;
    }
    case "splitFromRight": {
      const t = tokens[p.from]!;
      return p.n > 0 && p.n < t.length ? `${t.slice(0, t.length - p.n)}.${t.slice(t.length - p.n)}` : t;
    }
    case "sliceFromLeft":
      return sliceFromLeft(tokens[p.from]!, p.n);
    case "sliceFromRight":
      return sliceFromRight(tokens[p.from]!, p.n);
  }
}

/** split(): the token cut at each delimiter, empty pieces dropped (nats-server's loop, byte for byte). */
function splitToken(token: string, delim: string): string {
  const pieces = token.split(delim);
  let out = "";
  for (let j = 0; j < pieces.length; j++) {
    out += pieces[j]!;
    if (j < pieces.length - 1 && pieces[j + 1] !== "" && !(j === 0 && pieces[j] === "")) out += ".";
  }
  return out;
}

/** sliceFromLeft(): pieces of `size` from the left, the remainder as the last piece. */
function sliceFromLeft(t: string, size: number): string {
  if (!(size > 0 && size < t.length)) return t;
  const out: string[] = [];
  for (let i = 0; i + size <= t.length; i += size) {
    out.push(t.slice(i, i + size));
    if (i + size !== t.length && i + size + size > t.length) {
      out.push(t.slice(i + size));
      break;
    }
  }
  return out.join(".");
}

/** sliceFromRight(): pieces of `size` from the right, the remainder as the first piece. */
function sliceFromRight(t: string, size: number): string {
  if (!(size > 0 && size < t.length)) return t;
  const out: string[] = [];
  const rem = t.length % size;
  if (rem > 0) out.push(t.slice(0, rem));
  for (let i = rem; i + size <= t.length; i += size) out.push(t.slice(i, i + size));
  return out.join(".");
}

const utf8 = new TextEncoder();

/** FNV-1a 32-bit over the UTF-8 bytes, as Go's hash/fnv New32a. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}
