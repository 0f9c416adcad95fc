/**
 * The Prometheus text exposition format 0.0.4, written by hand: a library would be one more dependency in the
 * single binary for a few escaping rules. Samples are grouped by family, whatever order they are added in,
 * since a family's samples must be contiguous after its one HELP and TYPE line.
 */

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "gauge" | "counter" | "untyped";
export type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly help: string;
  readonly type: MetricType;
  readonly samples: string[];
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Go's strconv.FormatFloat(v, 'g', -1, 64) spellings for the values that have no JSON number. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class Exposition {
  readonly #families = new Map<string, Family>();

  /** One sample; the first sample of a family fixes its help and type. */
  add(name: string, type: MetricType, help: string, labels: Labels, value: number): void {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    let f = this.#families.get(name);
    if (f === undefined) {
      f = { help, type, samples: [] };
      this.#families.set(name, f);
    }
    const pairs = Object.entries(labels).map(([k, v]) => {
      if (!LABEL.test(k)) throw new Error(`invalid label name ${JSON.stringify(k)}`);
      return `${k}="${escapeLabelValue(v)}"`;
    });
    f.samples.push(`${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${formatValue(value)}`);
  }

  toString(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.samples);
    }
    return out.length > 0 ? `${out.join("\n")}\n` : "";
  }
}
