/**
 * Lexer for the NATS configuration format: a port of nats-server's conf/lex.go state machine
 * (Rob Pike's "lexical scanning" design). State names and error texts are kept identical to the Go
 * original so behaviour can be cross-checked against conf/lex_test.go.
 *
 * Deliberate differences, each marked where it happens:
 * - positions are 1-based columns of the first character of a token, and the line a token starts on;
 * - `]` ends a bare number (Go lexes the last number of `[1, 2]` as the string "2");
 * - a number with an unknown size suffix (`1kbb`) is a string instead of an integer the parser rejects;
 * - a map still open at the end of input is closed there (an `implicit` MapEnd) so that the seed docs'
 *   `jetstream { ... ` examples, whose closing brace was lost, load; the parser turns it into a warning;
 * - include digests (`include x.conf 'sha256:...'`) are not supported.
 */

export const ItemType = {
  Error: "Error",
  EOF: "EOF",
  Key: "Key",
  Text: "Text",
  String: "String",
  Bool: "Bool",
  Integer: "Integer",
  Float: "Float",
  Datetime: "DateTime",
  ArrayStart: "ArrayStart",
  ArrayEnd: "ArrayEnd",
  MapStart: "MapStart",
  MapEnd: "MapEnd",
  CommentStart: "CommentStart",
  Variable: "Variable",
  Include: "Include",
} as const;
export type ItemType = (typeof ItemType)[keyof typeof ItemType];

export interface Item {
  type: ItemType;
  value: string;
  line: number;
  col: number;
  /** Set on a MapEnd the lexer made up because the input ended inside the map. */
  implicit?: boolean;
}

type StateFn = (lx: Lexer) => StateFn | null;

/** Go's lexer returns rune 0 at the end of input, so a NUL byte in the input also reads as EOF. */
const EOF = "\0";

const NUMBER_SUFFIX = /^[kmgtpe]$/i;
const SIZE_SUFFIX = /^[kmgtpe](?:|b|i|ib)$/i;
const HEX_PAIR = /^[0-9a-fA-F]{2}$/;
const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", '"': '"', "\\": "\\" };

const isWhitespace = (r: string) => r === "\t" || r === " ";
const isNL = (r: string) => r === "\n" || r === "\r";
const isSpace = (r: string) => r !== EOF && r !== "\uFEFF" && /^\s$/u.test(r);
const isDigit = (r: string) => r >= "0" && r <= "9";
const isKeySeparator = (r: string) => r === "=" || r === ":";
/** What ends a bare number; `]` is our addition (see the header). */
const endsNumber = (r: string) =>
  isNL(r) || r === EOF || r === "}" || r === ";" || r === "," || r === "]" || isWhitespace(r);

/** Render a rune for an error message the way nats-server does, but legibly for control characters. */
function printable(r: string): string {
  if (r === "\n") return "\\n";
  if (r === "\r") return "\\r";
  return r === EOF ? "EOF" : r;
}

export class Lexer {
  readonly input: string;
  start = 0;
  pos = 0;
  width = 0;
  line = 1;
  /** Index of the '\n' that starts the current line (-1 on line 1), so `pos - lineStart` is a 1-based column. */
  lineStart = -1;
  stack: StateFn[] = [];
  parts: string[] = [];
  stringState: StateFn = lexString;
  private state: StateFn | null = lexTop;
  private readonly queue: Item[] = [];
  private itemStart = 0;
  private itemLine = 1;
  private itemLineStart = -1;

  constructor(input: string) {
    this.input = input;
  }

  nextItem(): Item {
    while (this.queue.length === 0) {
      if (this.state === null) return { type: ItemType.EOF, value: "", line: this.line, col: 0 };
      this.state = this.state(this);
    }
    return this.queue.shift()!;
  }

  push(state: StateFn): void {
    this.stack.push(state);
  }

  pop(): StateFn | null {
    const last = this.stack.pop();
    return last ?? this.errorf("BUG in lexer: no states to pop.");
  }

  emit(type: ItemType, implicit = false): void {
    const value = this.parts.join("") + this.input.slice(this.start, this.pos);
    const item: Item = { type, value, line: this.itemLine, col: this.itemStart - this.itemLineStart };
    if (implicit) item.implicit = true;
    this.queue.push(item);
    this.parts = [];
    this.start = this.pos;
    this.markItemStart();
  }

  addCurrentStringPart(offset: number): void {
    this.parts.push(this.input.slice(this.start, this.pos - offset));
    this.start = this.pos;
  }

  addStringPart(s: string): StateFn {
    this.parts.push(s);
    this.start = this.pos;
    return this.stringState;
  }

  next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const cp = this.input.codePointAt(this.pos)!;
    const r = String.fromCodePoint(cp);
    if (r === "\n") {
      this.line++;
      this.lineStart = this.pos;
    }
    this.width = r.length;
    this.pos += this.width;
    return r;
  }

  /** Steps back one rune; only valid once per call of next(). */
  backup(): void {
    this.pos -= this.width;
    if (this.width > 0 && this.input[this.pos] === "\n") {
      this.line--;
      this.lineStart = this.input.lastIndexOf("\n", this.pos - 1);
    }
  }

  peek(): string {
    const r = this.next();
    this.backup();
    return r;
  }

  /** True when the last next() or peek() ran off the end of the input (as opposed to reading a NUL byte). */
  atEnd(): boolean {
    return this.width === 0;
  }

  ignore(): void {
    this.start = this.pos;
    this.markItemStart();
  }

  errorf(message: string): null {
    this.queue.push({ type: ItemType.Error, value: message, line: this.line, col: this.pos - this.lineStart });
    return null;
  }

  isBool(): boolean {
    const s = this.input.slice(this.start, this.pos).toLowerCase();
    return s === "true" || s === "false" || s === "on" || s === "off" || s === "yes" || s === "no";
  }

  isVariable(): boolean {
    if (this.start < this.input.length && this.input[this.start] === "$") {
      this.start += 1;
      return true;
    }
    return false;
  }

  private markItemStart(): void {
    this.itemStart = this.start;
    this.itemLine = this.line;
    this.itemLineStart = this.lineStart;
  }
}

/** Returns a state that skips the input consumed so far, then continues with `next`. */
function lexSkip(next: StateFn): StateFn {
  return (lx) => {
    lx.ignore();
    return next;
  };
}

function lexTop(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexTop);
  switch (r) {
    case "{":
      lx.push(lexTop);
      return lexSkip(lexBlockStart);
    case "#":
      lx.push(lexTop);
      return lexCommentStart;
    case "/":
      if (lx.next() === "/") {
        lx.push(lexTop);
        return lexCommentStart;
      }
      lx.backup();
      return unexpectedEOF(lx);
    case EOF:
      return unexpectedEOF(lx);
  }
  lx.backup();
  lx.push(lexTopValueEnd);
  return lexKeyStart;
}

function unexpectedEOF(lx: Lexer): StateFn | null {
  if (lx.pos > lx.start) return lx.errorf("Unexpected EOF.");
  lx.emit(ItemType.EOF);
  return null;
}

/** A comment start after a value: `#`, or `//`. A lone `/` is skipped like whitespace, as in Go. */
function commentOrSkip(lx: Lexer, r: string, resume: StateFn): StateFn | "skip" | undefined {
  if (r === "#") {
    lx.push(resume);
    return lexCommentStart;
  }
  if (r !== "/") return undefined;
  if (lx.next() === "/") {
    lx.push(resume);
    return lexCommentStart;
  }
  lx.backup();
  return "skip";
}

function lexTopValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  const c = commentOrSkip(lx, r, lexTop);
  if (c === "skip" || isWhitespace(r)) return lexTopValueEnd;
  if (c) return c;
  if (isNL(r) || r === EOF || r === ";" || r === "," || r === "}") {
    lx.ignore();
    return lexTop;
  }
  return lx.errorf(
    `Expected a top-level value to end with a new line, comment or EOF, but got '${printable(r)}' instead.`,
  );
}

/** Inside a top-level `{ ... }` wrapper (JSON-style configs). */
function lexBlockStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexBlockStart);
  switch (r) {
    case "{":
      lx.push(lexBlockEnd);
      return lexSkip(lexBlockStart);
    case "}":
      lx.ignore();
      return lx.pop();
    case "#":
      lx.push(lexBlockStart);
      return lexCommentStart;
    case "/":
      if (lx.next() === "/") {
        lx.push(lexBlockStart);
        return lexCommentStart;
      }
      lx.backup();
      return unexpectedEOF(lx);
    case EOF:
      return unexpectedEOF(lx);
  }
  lx.backup();
  lx.push(lexBlockValueEnd);
  return lexKeyStart;
}

function lexBlockValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  const c = commentOrSkip(lx, r, lexBlockValueEnd);
  if (c === "skip" || isWhitespace(r)) return lexBlockValueEnd;
  if (c) return c;
  if (isNL(r) || r === ";" || r === ",") {
    lx.ignore();
    return lexBlockStart;
  }
  if (r === "}") {
    lx.backup();
    return lexBlockEnd;
  }
  return lx.errorf(
    `Expected a block-level value to end with a new line, comment or EOF, but got '${printable(r)}' instead.`,
  );
}

function lexBlockEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  const c = commentOrSkip(lx, r, lexBlockStart);
  if (c === "skip" || isNL(r) || isWhitespace(r)) return lexBlockEnd;
  if (c) return c;
  if (r === ";" || r === ",") {
    lx.ignore();
    return lexBlockStart;
  }
  if (r === "}") {
    lx.ignore();
    return lx.pop();
  }
  return lx.errorf(`Expected a block-level to end with a '}', but got '${printable(r)}' instead.`);
}

function lexKeyStart(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${r}'`);
  if (isSpace(r)) {
    lx.next();
    return lexSkip(lexKeyStart);
  }
  if (r === '"' || r === "'") {
    lx.next();
    return lexSkip(quotedKey(r, lexKeyEnd, "Unexpected EOF.", true));
  }
  lx.ignore();
  lx.next();
  return lexKey;
}

/**
 * A quoted key up to the closing `quote`. At the top level Go stops quietly at EOF when nothing was read
 * (`eofQuietlyWhenEmpty`); inside maps it always reports `eofMessage`.
 */
function quotedKey(quote: string, after: StateFn, eofMessage: string, eofQuietlyWhenEmpty: boolean): StateFn {
  const state: StateFn = (lx) => {
    const r = lx.peek();
    if (r === quote) {
      lx.emit(ItemType.Key);
      lx.next();
      return lexSkip(after);
    }
    if (r === EOF) {
      if (eofQuietlyWhenEmpty && lx.pos <= lx.start) {
        lx.emit(ItemType.EOF);
        return null;
      }
      return lx.errorf(eofMessage);
    }
    lx.next();
    return state;
  };
  return state;
}

/** Keys followed by whitespace may be the `include` keyword. */
function keyCheckKeyword(lx: Lexer, fallThrough: StateFn, push: StateFn | null): StateFn {
  if (lx.input.slice(lx.start, lx.pos).toLowerCase() === "include") {
    lx.ignore();
    if (push) lx.push(push);
    return lexIncludeStart;
  }
  lx.emit(ItemType.Key);
  return fallThrough;
}

function lexIncludeStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexIncludeStart);
  lx.backup();
  return lexInclude;
}

function lexInclude(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "'" || r === '"') {
    lx.ignore();
    return includeQuoted(r);
  }
  if (r === "[") return lx.errorf("Expected include value but found start of an array");
  if (r === "{") return lx.errorf("Expected include value but found start of a map");
  if (r === "(") return lx.errorf("Expected include value but found start of a block");
  if (isDigit(r) || r === "-") return lx.errorf("Expected include value but found start of a number");
  if (r === "\\") return lx.errorf("Expected include value but found escape sequence");
  if (isNL(r)) return lx.errorf("Expected include value but found new line");
  lx.backup();
  return lexIncludeString;
}

function includeQuoted(quote: string): StateFn {
  const eofMessage = quote === "'" ? "Unexpected EOF in quoted include" : "Unexpected EOF in double quoted include";
  const state: StateFn = (lx) => {
    const r = lx.next();
    if (r === quote) {
      lx.backup();
      lx.emit(ItemType.Include);
      lx.next();
      lx.ignore();
      return lexIncludeEnd;
    }
    if (r === EOF) return lx.errorf(eofMessage);
    return state;
  };
  return state;
}

function lexIncludeString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isNL(r) || r === EOF || r === ";" || r === "}") {
    lx.backup();
    lx.emit(ItemType.Include);
    return lx.pop();
  }
  if (isWhitespace(r)) {
    lx.backup();
    lx.emit(ItemType.Include);
    return lexIncludeEnd;
  }
  if (r === "'") {
    lx.backup();
    lx.emit(ItemType.Include);
    lx.next();
    lx.ignore();
    return lexIncludeEnd;
  }
  return lexIncludeString;
}

function lexIncludeEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) {
    lx.ignore();
    return lexIncludeEnd;
  }
  lx.backup();
  return lx.pop();
}

function lexKey(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isSpace(r)) return keyCheckKeyword(lx, lexKeyEnd, null);
  if (isKeySeparator(r) || r === EOF) {
    lx.emit(ItemType.Key);
    return lexKeyEnd;
  }
  lx.next();
  return lexKey;
}

function lexKeyEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexKeyEnd);
  if (isKeySeparator(r)) return lexSkip(lexValue);
  if (r === EOF) {
    lx.emit(ItemType.EOF);
    return null;
  }
  lx.backup();
  return lexValue;
}

function lexValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexValue);
  switch (r) {
    case "[":
      lx.ignore();
      lx.emit(ItemType.ArrayStart);
      return lexArrayValue;
    case "{":
      lx.ignore();
      lx.emit(ItemType.MapStart);
      return lexMapKeyStart;
    case "'":
      lx.ignore();
      return lexQuotedString;
    case '"':
      lx.ignore();
      lx.stringState = lexDubQuotedString;
      return lexDubQuotedString;
    case "-":
      return lexNegNumberStart;
    case "(":
      lx.ignore();
      return lexBlock;
    case ".":
      return lx.errorf("Floats must start with a digit");
  }
  if (isDigit(r)) {
    lx.backup();
    return lexNumberOrDateOrStringOrIPStart;
  }
  if (isNL(r)) return lx.errorf("Expected value but found new line");
  lx.backup();
  lx.stringState = lexString;
  return lexString;
}

function lexArrayValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexArrayValue);
  const c = commentOrSkip(lx, r, lexArrayValue);
  // Go falls through from a lone '/' into the ',' case here.
  if (c === "skip" || r === ",") return lx.errorf("Unexpected array value terminator ','.");
  if (c) return c;
  if (r === "]") return lexArrayEnd;
  lx.backup();
  lx.push(lexArrayValueEnd);
  return lexValue;
}

function lexArrayValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexArrayValueEnd);
  const c = commentOrSkip(lx, r, lexArrayValueEnd);
  if (c === "skip" || r === "," || isNL(r)) return lexSkip(lexArrayValue);
  if (c) return c;
  if (r === "]") return lexArrayEnd;
  return lx.errorf(
    `Expected an array value terminator "," or an array terminator "]", but got '${printable(r)}' instead.`,
  );
}

function lexArrayEnd(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.ArrayEnd);
  return lx.pop();
}

function lexMapKeyStart(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${r}'.`);
  if (r === "]") return lx.errorf(`Unexpected array end '${r}' processing map.`);
  if (isSpace(r)) {
    lx.next();
    return lexSkip(lexMapKeyStart);
  }
  switch (r) {
    case "}":
      lx.next();
      return lexSkip(lexMapEnd);
    case "#":
      lx.next();
      lx.push(lexMapKeyStart);
      return lexCommentStart;
    case "/":
      lx.next();
      if (lx.next() === "/") {
        lx.push(lexMapKeyStart);
        return lexCommentStart;
      }
      // Go drops the '/' here: the key starts at the next character.
      lx.backup();
      break;
    case "'":
    case '"':
      lx.next();
      return lexSkip(
        quotedKey(
          r,
          lexMapKeyEnd,
          r === "'" ? "Unexpected EOF processing quoted map key." : "Unexpected EOF processing double quoted map key.",
          false,
        ),
      );
    case EOF:
      if (lx.atEnd()) {
        lx.ignore();
        lx.emit(ItemType.MapEnd, true);
        return lx.pop();
      }
      return lx.errorf("Unexpected EOF processing map.");
  }
  lx.ignore();
  lx.next();
  return lexMapKey;
}

function lexMapKey(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (r === EOF) return lx.errorf("Unexpected EOF processing map key.");
  if (isSpace(r)) return keyCheckKeyword(lx, lexMapKeyEnd, lexMapValueEnd);
  if (isKeySeparator(r)) {
    lx.emit(ItemType.Key);
    return lexMapKeyEnd;
  }
  lx.next();
  return lexMapKey;
}

function lexMapKeyEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexMapKeyEnd);
  if (isKeySeparator(r)) return lexSkip(lexMapValue);
  lx.backup();
  return lexMapValue;
}

function lexMapValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexMapValue);
  if (r === ",") return lx.errorf(`Unexpected map value terminator ",".`);
  if (r === "}") return lexSkip(lexMapEnd);
  lx.backup();
  lx.push(lexMapValueEnd);
  return lexValue;
}

function lexMapValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexMapValueEnd);
  const c = commentOrSkip(lx, r, lexMapValueEnd);
  if (c === "skip" || r === ";" || r === "," || isNL(r)) return lexSkip(lexMapKeyStart);
  if (c) return c;
  if (r === "}") return lexSkip(lexMapEnd);
  // Input ended inside the map: lexMapKeyStart closes it implicitly.
  if (r === EOF && lx.atEnd()) return lexMapKeyStart;
  return lx.errorf(
    `Expected a map value terminator "," or a map terminator "}", but got '${printable(r)}' instead.`,
  );
}

function lexMapEnd(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.MapEnd);
  return lx.pop();
}

function lexQuotedString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "'") {
    lx.backup();
    lx.emit(ItemType.String);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) return unexpectedEOF(lx);
  return lexQuotedString;
}

function lexDubQuotedString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "\\") {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (r === '"') {
    lx.backup();
    lx.emit(ItemType.String);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) return unexpectedEOF(lx);
  return lexDubQuotedString;
}

/** An unquoted string; it may turn out to be a boolean or a `$variable`. */
function lexString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "\\") {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (isNL(r) || r === EOF || r === ";" || r === "," || r === "]" || r === "}" || isWhitespace(r)) {
    lx.backup();
    if (lx.parts.length > 0) lx.emit(ItemType.String);
    else if (lx.isBool()) lx.emit(ItemType.Bool);
    else if (lx.isVariable()) lx.emit(ItemType.Variable);
    else lx.emit(ItemType.String);
    return lx.pop();
  }
  if (r === "'") {
    lx.backup();
    lx.emit(ItemType.String);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexString;
}

/** A `( ... )` block string; it ends at a ')' alone on its line. */
function lexBlock(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === ")" && lx.input[lx.pos - 2] === "\n") {
    const after = lx.pos < lx.input.length ? lx.input[lx.pos] : EOF;
    if (after === "\n" || after === EOF) {
      lx.pos -= 1;
      lx.emit(ItemType.String);
      lx.pos += 1;
      lx.ignore();
      return lx.pop();
    }
  }
  if (r === EOF) return lx.errorf("Unexpected EOF processing block.");
  return lexBlock;
}

function lexStringEscape(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "x") return lexStringBinary;
  const escaped = Object.hasOwn(ESCAPES, r) ? ESCAPES[r] : undefined;
  if (escaped !== undefined) return lx.addStringPart(escaped);
  return lx.errorf(
    `Invalid escape character '${printable(r)}'. Only the following escape characters are allowed: ` +
      `\\xXX, \\t, \\n, \\r, \\", \\\\.`,
  );
}

/**
 * Two hex digits after `\x`. Go appends the raw byte; a JS string cannot hold one, so bytes >= 0x80
 * become the Latin-1 character with that code.
 */
function lexStringBinary(lx: Lexer): StateFn | null {
  for (let i = 0; i < 2; i++) {
    if (isNL(lx.next())) return lx.errorf("Expected two hexadecimal digits after '\\x', but hit end of line");
  }
  const hex = lx.input.slice(lx.pos - 2, lx.pos);
  if (!HEX_PAIR.test(hex)) return lx.errorf(`Expected two hexadecimal digits after '\\x', but got '${hex}'`);
  lx.addStringPart(String.fromCharCode(parseInt(hex, 16)));
  return lx.stringState;
}

function lexNumberOrDateOrStringOrIPStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    if (r === ".") return lx.errorf("Floats must start with a digit, not '.'.");
    return lx.errorf(`Expected a digit but got '${printable(r)}'.`);
  }
  return lexNumberOrDateOrStringOrIP;
}

/** An integer, float, datetime, IP address, or a bare string that happens to start with a digit. */
function lexNumberOrDateOrStringOrIP(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "-") {
    if (lx.pos - lx.start !== 5) return lx.errorf("All ISO8601 dates must be in full Zulu form.");
    return lexDateAfterYear;
  }
  if (isDigit(r)) return lexNumberOrDateOrStringOrIP;
  if (r === ".") return lexFloatStart;
  if (NUMBER_SUFFIX.test(r)) return lexConvenientNumber;
  if (!endsNumber(r)) {
    lx.stringState = lexString;
    return lexString;
  }
  lx.backup();
  lx.emit(ItemType.Integer);
  return lx.pop();
}

/** A number with a size suffix (`1k`, `2MB`, `64MiB`); anything else after the digits makes it a string. */
function lexConvenientNumber(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === "b" || r === "B" || r === "i" || r === "I") return lexConvenientNumber;
  lx.backup();
  const suffix = lx.input.slice(lx.start, lx.pos).replace(/^-?\d+/, "");
  if (endsNumber(r) && SIZE_SUFFIX.test(suffix)) {
    lx.emit(ItemType.Integer);
    return lx.pop();
  }
  lx.stringState = lexString;
  return lexString;
}

const DATE_AFTER_YEAR = "00-00T00:00:00Z";

function lexDateAfterYear(lx: Lexer): StateFn | null {
  for (const f of DATE_AFTER_YEAR) {
    const r = lx.next();
    if (f === "0") {
      if (!isDigit(r)) {
        return lx.errorf(`Expected digit in ISO8601 datetime, but found '${printable(r)}' instead.`);
      }
    } else if (f !== r) {
      return lx.errorf(`Expected '${f}' in ISO8601 datetime, but found '${printable(r)}' instead.`);
    }
  }
  lx.emit(ItemType.Datetime);
  return lx.pop();
}

function lexNegNumberStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    if (r === ".") return lx.errorf("Floats must start with a digit, not '.'.");
    return lx.errorf(`Expected a digit but got '${printable(r)}'.`);
  }
  return lexNegNumber;
}

function lexNegNumber(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r)) return lexNegNumber;
  if (r === ".") return lexFloatStart;
  if (NUMBER_SUFFIX.test(r)) return lexConvenientNumber;
  lx.backup();
  lx.emit(ItemType.Integer);
  return lx.pop();
}

function lexFloatStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) return lx.errorf(`Floats must have a digit after the '.', but got '${printable(r)}' instead.`);
  return lexFloat;
}

function lexFloat(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r)) return lexFloat;
  // A second '.' means this was an IP address, not a float.
  if (r === ".") return lexIPAddr;
  lx.backup();
  lx.emit(ItemType.Float);
  return lx.pop();
}

function lexIPAddr(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r) || r === "." || r === ":" || r === "-") return lexIPAddr;
  lx.backup();
  lx.emit(ItemType.String);
  return lx.pop();
}

function lexCommentStart(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.CommentStart);
  return lexComment;
}

function lexComment(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isNL(r) || r === EOF) {
    lx.emit(ItemType.Text);
    return lx.pop();
  }
  lx.next();
  return lexComment;
}
