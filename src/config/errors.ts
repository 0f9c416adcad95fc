/** Where something sits in a config file. `line` 0 means the problem is about the file as a whole. */
export interface ConfPosition {
  file?: string;
  line: number;
  column: number;
}

/** `file:line:col`, nats-server's `configErr.Source()`; parts that are unknown are left out. */
export function formatPosition(at: ConfPosition): string {
  const parts: (string | number)[] = [];
  if (at.file) parts.push(at.file);
  if (at.line > 0) parts.push(at.line, at.column);
  return parts.join(":");
}

/**
 * A problem in a config file, reported as `file:line:col: message` like nats-server does.
 * It is a SyntaxError so callers can treat it like any other failed parse (as `JSON.parse` does).
 * Messages never contain secret values (passwords, tokens, keys): only key names, types and positions.
 */
export class ConfigError extends SyntaxError {
  readonly file?: string;
  readonly line: number;
  readonly column: number;
  /** The config key the problem is about, as written in the file. */
  readonly key?: string;
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(detail: string, at: ConfPosition & { key?: string }) {
    const where = formatPosition(at);
    super(where ? `${where}: ${detail}` : detail);
    this.name = "ConfigError";
    this.detail = detail;
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.key = at.key;
  }
}
