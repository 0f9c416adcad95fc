/**
 * TOML config files: the same keys as the NATS config format, read with smol-toml and turned into the
 * parser's ConfMap (values with the position of their key), so the mapping into ServerOptions, its checks
 * and its `file:line:col` errors are the NATS format's. A string that is exactly `$NAME` is a variable, as
 * in the NATS format: a top-level key of the file, else the environment.
 */
import { parse, TomlDate, TomlError } from "smol-toml";
import { ConfigError } from "./errors.ts";
import { type ConfMap, type ConfNode, type ParseContext, parseEnvValue } from "./parser.ts";

interface Pos {
  line: number;
  col: number;
}

const VARIABLE = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

export function parseToml(text: string, ctx: ParseContext): ConfMap {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text.replace(/^\uFEFF/, ""), { integersAsBigInt: true });
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // Only the first line: the rest quotes the source, which may hold a secret.
    throw new ConfigError(e.message.split("\n")[0]!, { file: ctx.file, line: e.line, column: e.column });
  }
  return new Converter(doc, keyPositions(text), ctx).root();
}

class Converter {
  private readonly top = new Map<string, ConfNode>();

  constructor(
    private readonly doc: Record<string, unknown>,
    private readonly positions: Map<string, Pos>,
    private readonly ctx: ParseContext,
  ) {}

  root(): ConfMap {
    for (const [k, v] of Object.entries(this.doc)) {
      if (!this.top.has(k)) this.top.set(k, this.node(v, k, this.positions.get(k) ?? { line: 1, col: 1 }));
    }
    return this.top;
  }

  private node(v: unknown, path: string, at: Pos): ConfNode {
    const base = { line: at.line, col: at.col, ...(this.ctx.file !== undefined && { file: this.ctx.file }) };
    if (typeof v === "bigint") return { kind: "int", value: Number(v), ...base };
    if (typeof v === "number") return { kind: "float", value: v, ...base };
    if (typeof v === "boolean") return { kind: "bool", value: v, ...base };
    if (v instanceof TomlDate || v instanceof Date) return { kind: "datetime", value: new Date(v.getTime()), ...base };
    if (typeof v === "string") {
      const m = VARIABLE.exec(v);
      return m === null ? { kind: "string", value: v, ...base } : { ...this.variable(m[1]!, path, at), ...base, usedVariable: false, variable: m[1]! };
    }
    if (Array.isArray(v)) {
      return { kind: "array", value: v.map((e, i) => this.node(e, `${path}[${i}]`, this.positions.get(`${path}[${i}]`) ?? at)), ...base };
    }
    const map: ConfMap = new Map();
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      const p = `${path}.${k}`;
      map.set(k, this.node(e, p, this.positions.get(p) ?? at));
    }
    return { kind: "map", value: map, ...base };
  }

  private variable(name: string, path: string, at: Pos): ConfNode {
    if (Object.hasOwn(this.doc, name) && name !== path) {
      const defined = this.top.get(name) ?? this.node(this.doc[name], name, this.positions.get(name) ?? at);
      defined.usedVariable = true;
      this.top.set(name, defined);
      return defined;
    }
    const raw = Object.hasOwn(this.ctx.env, name) ? this.ctx.env[name] : undefined;
    const found = typeof raw === "string" ? parseEnvValue(raw, this.ctx) : undefined;
    if (found === undefined) {
      throw new ConfigError(`variable reference for '${name}' on line ${at.line} can not be found`, { file: this.ctx.file, line: at.line, column: at.col, key: path });
    }
    return found;
  }
}

/**
 * Where each key is written: its dotted path (array-of-tables entries indexed, `users[0].user`) to its line
 * and column. Keys inside inline tables and multi-line arrays take the position of the key that holds them.
 */
function keyPositions(text: string): Map<string, Pos> {
  const out = new Map<string, Pos>();
  const tableCounts = new Map<string, number>();
  let table = "";
  let depth = 0;
  let multiline: string | null = null;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    let i = 0;
    if (multiline !== null) {
      const end = line.indexOf(multiline);
      if (end < 0) continue;
      i = end + 3;
      multiline = null;
    } else if (depth === 0) {
      while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
      if (line.startsWith("[[", i)) {
        const path = keyPath(line.slice(i + 2, line.indexOf("]]", i)));
        const k = tableCounts.get(path) ?? 0;
        tableCounts.set(path, k + 1);
        table = `${path}[${k}]`;
        out.set(table, { line: n + 1, col: i + 1 });
        continue;
      }
      if (line[i] === "[") {
        table = keyPath(line.slice(i + 1, line.indexOf("]", i)));
        out.set(table, { line: n + 1, col: i + 1 });
        continue;
      }
      const eq = keyEnd(line, i);
      if (eq > i) {
        const key = keyPath(line.slice(i, eq));
        out.set(table === "" ? key : `${table}.${key}`, { line: n + 1, col: i + 1 });
        i = line.indexOf("=", eq) + 1;
      }
    }
    // The value: track brackets and strings so continuation lines are not taken for keys.
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === "#") break;
      if (c === '"' || c === "'") {
        if (line.startsWith(c.repeat(3), i)) {
          const end = line.indexOf(c.repeat(3), i + 3);
          if (end < 0) {
            multiline = c.repeat(3);
            break;
          }
          i = end + 2;
          continue;
        }
        for (i++; i < line.length && line[i] !== c; i++) if (c === '"' && line[i] === "\\") i++;
        continue;
      }
      if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") depth--;
    }
  }
  return out;
}

/** The end of a `key =` at `i` (the offset of `=`'s left side end), or -1 when the line has none. */
function keyEnd(line: string, i: number): number {
  let j = i;
  while (j < line.length) {
    const c = line[j]!;
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, j + 1);
      if (end < 0) return -1;
      j = end + 1;
      continue;
    }
    if (c === "=") return line.slice(i, j).trimEnd().length + i;
    if (c === "#") return -1;
    j++;
  }
  return -1;
}

/** A dotted TOML key as the path smol-toml's object has it: quotes removed, whitespace around dots dropped. */
function keyPath(raw: string): string {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"' || c === "'") {
      const end = raw.indexOf(c, i + 1);
      cur += raw.slice(i + 1, end);
      i = end;
    } else if (c === ".") {
      parts.push(cur.trim());
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur.trim());
  return parts.join(".");
}
