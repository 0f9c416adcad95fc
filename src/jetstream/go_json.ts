/**
 * Go's encoding/json as nats-server decodes a pull request with it: the syntax errors its scanner reports
 * (encoding/json/scanner.go), word for word, and the type errors Unmarshal gives for a struct's fields.
 * nats-server sends these texts back in a `400 Bad Request - <err>` status.
 */

export class GoJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoJsonError";
  }
}

export type GoJsonKind = "string" | "number" | "bool" | "null" | "array" | "object";

/** One member of the top-level object: its key, the kind of its value, and the value's JSON text. */
export interface GoJsonMember {
  key: string;
  kind: GoJsonKind;
  raw: string;
}

const decoder = new TextDecoder();
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const NAMED_ESCAPES: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r" };

/** Go's quoteChar: the byte as a rune in single quotes, escaped as strconv.Quote escapes it. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  if (c === 0x5c) return "'\\\\'";
  if (c < 0x20 || c === 0x7f) return `'${NAMED_ESCAPES[c] ?? `\\x${c.toString(16).padStart(2, "0")}`}'`;
  // Go converts the byte to the rune of the same number: 0x80-0xa0 and the soft hyphen are not printable.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u00${c.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCharCode(c)}'`;
}

class Scanner {
  i = 0;
  constructor(readonly b: Uint8Array) {}

  fail(context: string): never {
    if (this.i >= this.b.length) throw new GoJsonError("unexpected end of JSON input");
    throw new GoJsonError(`invalid character ${quoteChar(this.b[this.i]!)} ${context}`);
  }

  skip(): void {
    while (this.i < this.b.length && isSpace(this.b[this.i]!)) this.i++;
  }

  /** Scans one value; returns its kind. */
  value(): GoJsonKind {
    this.skip();
    const c = this.b[this.i];
    if (c === 0x7b) return this.object(null);
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c !== undefined && isDigit(c))) return this.number();
    if (c === 0x74) return this.literal("true", "bool");
    if (c === 0x66) return this.literal("false", "bool");
    if (c === 0x6e) return this.literal("null", "null");
    return this.fail("looking for beginning of value");
  }

  /** `{...}`; with `members`, the top level's members are collected into it. */
  object(members: GoJsonMember[] | null): GoJsonKind {
    this.i++;
    this.skip();
    if (this.b[this.i] === 0x7d) {
      this.i++;
      return "object";
    }
    for (;;) {
      if (this.b[this.i] !== 0x22) this.fail("looking for beginning of object key string");
      const keyStart = this.i;
      this.string();
      const key = JSON.parse(decoder.decode(this.b.subarray(keyStart, this.i))) as string;
      this.skip();
      if (this.b[this.i] !== 0x3a) this.fail("after object key");
      this.i++;
      this.skip();
      const start = this.i;
      const kind = this.value();
      members?.push({ key, kind, raw: decoder.decode(this.b.subarray(start, this.i)) });
      this.skip();
      if (this.b[this.i] === 0x2c) {
        this.i++;
        this.skip();
        continue;
      }
      if (this.b[this.i] === 0x7d) {
        this.i++;
        return "object";
      }
      this.fail("after object key:value pair");
    }
  }

  array(): GoJsonKind {
    this.i++;
    this.skip();
    if (this.b[this.i] === 0x5d) {
      this.i++;
      return "array";
    }
    for (;;) {
      this.value();
      this.skip();
      if (this.b[this.i] === 0x2c) {
        this.i++;
        continue;
      }
      if (this.b[this.i] === 0x5d) {
        this.i++;
        return "array";
      }
      this.fail("after array element");
    }
  }

  string(): GoJsonKind {
    this.i++;
    for (;;) {
      const c = this.b[this.i];
      if (c === undefined) this.fail("in string literal");
      if (c === 0x22) {
        this.i++;
        return "string";
      }
      if (c === 0x5c) {
        this.i++;
        const e = this.b[this.i];
        if (e === 0x75) {
          this.i++;
          for (let k = 0; k < 4; k++, this.i++) if (!isHex(this.b[this.i] ?? -1)) this.fail("in \\u hexadecimal character escape");
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail("in string escape code");
        this.i++;
        continue;
      }
      if (c < 0x20) this.fail("in string literal");
      this.i++;
    }
  }

  number(): GoJsonKind {
    const b = this.b;
    if (b[this.i] === 0x2d) {
      this.i++;
      if (!isDigit(b[this.i] ?? -1)) this.fail("in numeric literal");
    }
    if (b[this.i] === 0x30) this.i++;
    else while (isDigit(b[this.i] ?? -1)) this.i++;
    if (b[this.i] === 0x2e) {
      this.i++;
      if (!isDigit(b[this.i] ?? -1)) this.fail("after decimal point in numeric literal");
      while (isDigit(b[this.i] ?? -1)) this.i++;
    }
    if (b[this.i] === 0x65 || b[this.i] === 0x45) {
      this.i++;
      if (b[this.i] === 0x2b || b[this.i] === 0x2d) this.i++;
      if (!isDigit(b[this.i] ?? -1)) this.fail("in exponent of numeric literal");
      while (isDigit(b[this.i] ?? -1)) this.i++;
    }
    return "number";
  }

  literal(word: string, kind: GoJsonKind): GoJsonKind {
    this.i++;
    for (let k = 1; k < word.length; k++, this.i++) {
      if (this.b[this.i] !== word.charCodeAt(k)) this.fail(`in literal ${word} (expecting '${word[k]}')`);
    }
    return kind;
  }
}

/** The members of the JSON object `data` (which starts with `{`), or a GoJsonError with Go's syntax error. */
export function goObjectMembers(data: Uint8Array): GoJsonMember[] {
  const s = new Scanner(data);
  s.skip();
  const members: GoJsonMember[] = [];
  s.object(members);
  s.skip();
  if (s.i < data.length) s.fail("after top-level value");
  return members;
}

export type GoFieldType = "int" | "time.Duration" | "bool";

/**
 * Unmarshal into a Go struct named `struct` with `fields` (JSON name → Go type): keys match exactly or else
 * case-insensitively, unknown keys and nulls are skipped, and the first type error is thrown as Go words it.
 */
export function goDecodeStruct(data: Uint8Array, struct: string, fields: Record<string, GoFieldType>): Record<string, number | boolean> {
  const names = Object.keys(fields);
  const out: Record<string, number | boolean> = {};
  let first: GoJsonError | null = null;
  for (const m of goObjectMembers(data)) {
    const name = names.includes(m.key) ? m.key : names.find((n) => n.toLowerCase() === m.key.toLowerCase());
    if (name === undefined || m.kind === "null") continue;
    const type = fields[name]!;
    const wrong = (what: string) => (first ??= new GoJsonError(`json: cannot unmarshal ${what} into Go struct field ${struct}.${name} of type ${type}`));
    if (type === "bool") {
      if (m.kind === "bool") out[name] = m.raw === "true";
      else wrong(m.kind);
    } else if (m.kind !== "number") {
      wrong(m.kind);
    } else if (!/^-?\d+$/.test(m.raw) || BigInt(m.raw) > 2n ** 63n - 1n || BigInt(m.raw) < -(2n ** 63n)) {
      wrong(`number ${m.raw}`);
    } else {
      out[name] = Number(m.raw);
    }
  }
  if (first !== null) throw first;
  return out;
}
