/**
 * Parser for the NATS configuration format: a port of nats-server's conf/parse.go in its "pedantic"
 * mode, where every value keeps the position of its key so later stages can report `file:line:col`.
 * Pure: the caller supplies the environment and a `readFile` for `include`.
 */
import { ConfigError, formatPosition } from "./errors.ts";
import { type Item, ItemType, Lexer } from "./lexer.ts";
import { dirname, resolveFrom } from "./_path.ts";

interface NodeBase {
  /** Line and 1-based column of the key this value belongs to (of the value itself inside arrays). */
  line: number;
  col: number;
  file?: string;
  /** Set when a `$name` reference read this entry; nats-server then exempts it from unknown-field checks. */
  usedVariable?: boolean;
  /**
   * The `$name` this value was read through, when the name is the environment's or a top-level key: a
   * converter writes the reference again rather than the value, which may be a secret.
   */
  variable?: string;
}

export type ConfNode = NodeBase &
  (
    | { kind: "string"; value: string }
    | { kind: "int"; value: number }
    | { kind: "float"; value: number }
    | { kind: "bool"; value: boolean }
    | { kind: "datetime"; value: Date }
    | { kind: "array"; value: ConfNode[] }
    | { kind: "map"; value: ConfMap }
  );

/** Keys as written (case preserved), in file order. A Map, so keys like `__proto__` are plain data. */
export type ConfMap = Map<string, ConfNode>;

export interface ParseContext {
  /** Path of the text being parsed; names errors and anchors relative `include` paths. */
  file?: string;
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  /** Receives warnings: things that load but probably are not what the author meant. */
  warn?: (message: string) => void;
}

/** Parses a NATS config text into a map whose entries carry their source positions. */
export function parseConf(text: string, ctx: ParseContext): ConfMap {
  const chain = ctx.file === undefined ? [] : [resolveFrom(".", ctx.file)];
  return new Parser(text.replace(/^\uFEFF/, ""), { ...ctx, envRefs: new Set(), chain }).parse();
}

/** Environment values are config values too: JS_KEY=1GB is the integer 1073741824. */
function envValue(raw: string, opts: ParserOptions): ConfNode | undefined {
  return new Parser(`${ENV_KEY}=${raw}`, { ...opts, file: undefined }).parse().get(ENV_KEY);
}

/** An environment variable's text as a config value, read the way a `$NAME` reference reads it. */
export function parseEnvValue(raw: string, ctx: ParseContext): ConfNode | undefined {
  return envValue(raw, { ...ctx, envRefs: new Set(), chain: [] });
}

/** The config as plain JS values (objects, arrays, strings, numbers, booleans, Dates), without positions. */
export function confToPlain(map: ConfMap): Record<string, unknown> {
  return Object.fromEntries([...map].map(([k, n]) => [k, nodeToPlain(n)]));
}

function nodeToPlain(n: ConfNode): unknown {
  if (n.kind === "map") return confToPlain(n.value);
  if (n.kind === "array") return n.value.map(nodeToPlain);
  return n.value;
}

interface ParserOptions extends ParseContext {
  /** Environment variables being expanded right now, to detect `A=$B`, `B=$A` cycles. */
  envRefs: Set<string>;
  /** Files being included right now, to detect include cycles. */
  chain: string[];
}

interface Frame {
  container: ConfMap | ConfNode[];
  line: number;
  col: number;
  /** Pending keys when this map opened; more at its close means a key without a value. */
  keyDepth: number;
}

interface PendingKey {
  name: string;
  line: number;
  col: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SIZE_MULTIPLIERS: Record<string, bigint> = Object.fromEntries(
  ["k", "m", "g", "t", "p", "e"].flatMap((unit, i) => {
    const si = 1000n ** BigInt(i + 1);
    const binary = 1024n ** BigInt(i + 1);
    return [[unit, si], [`${unit}b`, binary], [`${unit}i`, binary], [`${unit}ib`, binary]];
  }).concat([["", 1n]]),
);

// nats-server special-cases unquoted bcrypt hashes, which otherwise look like `$variables`.
const BCRYPT_PREFIX = "2a$";
const OTHER_BCRYPT = /^2[abxy]\$\d{2}\$/;
// Used by nats-server to read an environment value as a config value.
const ENV_KEY = "pk";

class Parser {
  private readonly lx: Lexer;
  private readonly frames: Frame[] = [];
  private readonly keys: PendingKey[] = [];
  private readonly dir: string;

  constructor(
    text: string,
    private readonly opts: ParserOptions,
  ) {
    this.lx = new Lexer(text);
    this.dir = opts.file === undefined ? "." : dirname(opts.file);
  }

  parse(): ConfMap {
    const root: ConfMap = new Map();
    this.frames.push({ container: root, line: 1, col: 1, keyDepth: 0 });
    for (let it = this.lx.nextItem(); it.type !== ItemType.EOF; it = this.lx.nextItem()) this.process(it);
    // A lone `}` after the config is tolerated: it is how JSON-style configs end.
    const dangling = this.keys.find((k) => k.name !== "}");
    if (dangling) throw this.invalid(dangling);
    return root;
  }

  private process(it: Item): void {
    switch (it.type) {
      case ItemType.Error:
        throw this.error(it.value, it);
      case ItemType.Key:
        this.keys.push({ name: it.value, line: it.line, col: it.col });
        return;
      // The lexer places MapStart/ArrayStart just after the bracket; frames record the bracket itself.
      case ItemType.MapStart:
        this.frames.push({ container: new Map(), line: it.line, col: it.col - 1, keyDepth: this.keys.length });
        return;
      case ItemType.ArrayStart:
        this.frames.push({ container: [], line: it.line, col: it.col - 1, keyDepth: this.keys.length });
        return;
      case ItemType.MapEnd:
        return this.closeMap(it);
      case ItemType.ArrayEnd:
        return this.closeArray(it);
      case ItemType.String:
        return this.setValue({ kind: "string", value: it.value, ...this.at(it) });
      case ItemType.Bool:
        return this.setValue({ kind: "bool", value: /^(true|yes|on)$/i.test(it.value), ...this.at(it) });
      case ItemType.Integer:
        return this.setValue({ kind: "int", value: this.integer(it), ...this.at(it) });
      case ItemType.Float:
        return this.setValue({ kind: "float", value: this.float(it), ...this.at(it) });
      case ItemType.Datetime:
        return this.setValue({ kind: "datetime", value: this.datetime(it), ...this.at(it) });
      case ItemType.Variable:
        return this.setValue(this.resolve(it));
      case ItemType.Include:
        return this.include(it);
    }
  }

  private at(it: Item): { line: number; col: number; file?: string } {
    return { line: it.line, col: it.col, file: this.opts.file };
  }

  private error(message: string, at: { line: number; col: number }): ConfigError {
    return new ConfigError(message, { file: this.opts.file, line: at.line, column: at.col });
  }

  private invalid(key: PendingKey): ConfigError {
    return new ConfigError("config is invalid", { file: this.opts.file, line: key.line, column: key.col, key: key.name });
  }

  private setValue(node: ConfNode): void {
    const top = this.frames[this.frames.length - 1];
    if (Array.isArray(top.container)) {
      top.container.push(node);
      return;
    }
    const key = this.keys.pop();
    if (key === undefined) throw this.error("config is invalid", node);
    node.line = key.line;
    node.col = key.col;
    top.container.set(key.name, node);
  }

  private closeMap(it: Item): void {
    const frame = this.frames.pop()!;
    if (!(frame.container instanceof Map) || this.frames.length === 0) throw this.error("config is invalid", it);
    if (this.keys.length > frame.keyDepth) throw this.invalid(this.keys[this.keys.length - 1]);
    if (it.implicit) {
      const owner = this.keys[this.keys.length - 1] ?? { name: "map", line: frame.line, col: frame.col };
      const where = formatPosition({ file: this.opts.file, line: owner.line, column: owner.col });
      this.opts.warn?.(`${where}: map "${owner.name}" is not closed before the end of the file, closing it there`);
    }
    this.setValue({ kind: "map", value: frame.container, line: frame.line, col: frame.col, file: this.opts.file });
  }

  private closeArray(it: Item): void {
    const frame = this.frames.pop()!;
    if (!Array.isArray(frame.container) || this.frames.length === 0) throw this.error("config is invalid", it);
    this.setValue({ kind: "array", value: frame.container, line: frame.line, col: frame.col, file: this.opts.file });
  }

  private integer(it: Item): number {
    const [, digits, suffix] = /^(-?\d+)(.*)$/.exec(it.value) ?? [];
    const unit = suffix?.toLowerCase() ?? "";
    const multiplier = digits !== undefined && Object.hasOwn(SIZE_MULTIPLIERS, unit) ? SIZE_MULTIPLIERS[unit] : undefined;
    if (multiplier === undefined) throw this.error(`expected integer, but got '${it.value}'`, it);
    const n = BigInt(digits) * multiplier;
    if (n < INT64_MIN || n > INT64_MAX) throw this.error(`integer '${it.value}' is out of the range`, it);
    return Number(n);
  }

  private float(it: Item): number {
    const n = Number(it.value);
    if (!Number.isFinite(n)) throw this.error(`float '${it.value}' is out of the range`, it);
    return n;
  }

  /** Go's time.Parse rejects impossible dates (Feb 30, hour 24); the Date setters would roll them over. */
  private datetime(it: Item): Date {
    const [y, mo, d, h, mi, s] = it.value.match(/\d+/g)!.map(Number);
    const date = new Date(0);
    // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s);
    const exact =
      date.getUTCFullYear() === y &&
      date.getUTCMonth() === mo - 1 &&
      date.getUTCDate() === d &&
      date.getUTCHours() === h &&
      date.getUTCMinutes() === mi;
    if (!exact || s > 59) throw this.error(`expected Zulu formatted DateTime, but got '${it.value}'`, it);
    return date;
  }

  private resolve(it: Item): ConfNode {
    const name = it.value;
    // Never echo a bcrypt hash: show only its `2b$11$` prefix.
    const shown = OTHER_BCRYPT.test(name) ? `${name.slice(0, 6)}...` : name;
    let found: { node: ConfNode; keep: boolean } | undefined;
    try {
      found = this.lookup(name);
    } catch (e) {
      const detail = e instanceof ConfigError ? e.detail : (e as Error).message;
      throw this.error(`variable reference for '${shown}' on line ${it.line} could not be parsed: ${detail}`, it);
    }
    if (found !== undefined) return { ...found.node, ...this.at(it), usedVariable: false, ...(found.keep && { variable: name }) };
    const hint = OTHER_BCRYPT.test(name) ? " (bcrypt hashes not starting with $2a$ must be quoted)" : "";
    throw this.error(`variable reference for '${shown}' on line ${it.line} can not be found${hint}`, it);
  }

  /**
   * Enclosing maps innermost-out (keys defined earlier only), then the environment. `keep` when the name
   * is a top-level key or the environment's, which a reference in another format can name again.
   */
  private lookup(name: string): { node: ConfNode; keep: boolean } | undefined {
    if (name.startsWith(BCRYPT_PREFIX)) return { node: { kind: "string", value: `$${name}`, line: 0, col: 0 }, keep: false };
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const container = this.frames[i].container;
      const node = container instanceof Map ? container.get(name) : undefined;
      if (node !== undefined) {
        node.usedVariable = true;
        return { node, keep: i === 0 };
      }
    }
    const raw = Object.hasOwn(this.opts.env, name) ? this.opts.env[name] : undefined;
    if (typeof raw !== "string") return undefined;
    if (this.opts.envRefs.has(name)) throw new Error(`variable reference cycle for '${name}'`);
    this.opts.envRefs.add(name);
    try {
      const node = envValue(raw, this.opts);
      return node === undefined ? undefined : { node, keep: true };
    } finally {
      this.opts.envRefs.delete(name);
    }
  }

  /** Parses the included file on its own and merges its keys into the current map. */
  private include(it: Item): void {
    const target = resolveFrom(this.dir, it.value);
    const fail = (why: string) => this.error(`error parsing include file '${it.value}', ${why}`, it);
    if (this.opts.chain.includes(target)) throw fail("include cycle detected");
    let text: string;
    try {
      text = this.opts.readFile(target);
    } catch (e) {
      throw fail(e instanceof Error ? e.message : String(e));
    }
    let included: ConfMap;
    try {
      const chain = [...this.opts.chain, target];
      included = new Parser(text.replace(/^\uFEFF/, ""), { ...this.opts, file: target, chain }).parse();
    } catch (e) {
      if (e instanceof ConfigError) throw fail(e.message);
      throw e;
    }
    for (const [name, node] of included) {
      this.keys.push({ name, line: node.line, col: node.col });
      this.setValue(node);
    }
  }
}
