/**
 * nats-server's command line, parsed the way Go's `flag` package does it: one or two dashes, `-p 4222`,
 * `-p=4222`, `--port=4222`; multi-letter flags like `-js` are single flags; booleans take no separate
 * value but accept `-D=false`; parsing stops at `--` or the first non-flag argument. Error texts are
 * Go's (`flag provided but not defined: -x`).
 */

/** Values given on the command line; absent means "not given", so the config file's value stands. */
export interface FlagOverrides {
  host?: string;
  port?: number;
  server_name?: string;
  client_advertise?: string;
  debug?: boolean;
  trace?: boolean;
  trace_verbose?: boolean;
  logtime?: boolean;
  logtime_utc?: boolean;
  log_file?: string;
  log_size_limit?: number;
  /** `--memory_limit 512MB`, parsed by load.ts. */
  memory_limit?: string;
  max_traced_msg_len?: number;
  pid_file?: string;
  ports_file_dir?: string;
  http_port?: number;
  https_port?: number;
  jetstream?: boolean;
  store_dir?: string;
  user?: string;
  pass?: string;
  auth?: string;
  tls?: boolean;
  tlscert?: string;
  tlskey?: string;
  tlsverify?: boolean;
  tlscacert?: string;
  /** `--cluster`/`--cluster_listen`: the route listener as a URL, with the cluster's user and password. */
  cluster_listen?: string;
  /** `--routes`: comma-separated route URLs. */
  routes?: string;
  cluster_name?: string;
  cluster_advertise?: string;
  no_advertise?: boolean;
  connect_retries?: number;
  /** nats-streaming-server's flags; any of them runs NATS Streaming. */
  cluster_id?: string;
  stan_store?: string;
  stan_dir?: string;
  encrypt?: boolean;
  encryption_cipher?: string;
  encryption_key?: string;
  hb_interval?: string;
  hb_timeout?: string;
  hb_fail_count?: number;
  stan_max_channels?: number;
  stan_max_subs?: number;
  stan_max_msgs?: number;
  stan_max_bytes?: string;
  stan_max_age?: string;
  stan_max_inactivity?: string;
  replace_durable?: boolean;
}

export interface SignalRequest {
  command: string;
  /** A PID, or the path of a PID file, as given after `=`. */
  pid?: string;
}

export interface FlagResult {
  overrides: FlagOverrides;
  configFile?: string;
  /** `-t`: check the configuration and exit. */
  test: boolean;
  help: boolean;
  helpTls: boolean;
  version: boolean;
  signal?: SignalRequest;
  /** Arguments after the flags, e.g. `version`, `help` or a subcommand. */
  positionals: string[];
}

/** A command-line mistake; the message is what Go's flag package (or nats-server) would print. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

type Internal = "configFile" | "test" | "help" | "helpTls" | "version" | "signal" | "DV" | "DVV" | "VV";
type Target = keyof FlagOverrides | Internal;
type FlagKind = "bool" | "string" | "int";

interface FlagDef {
  kind: FlagKind;
  target: Target;
}

const def = (kind: FlagKind, target: Target, ...names: string[]): [string, FlagDef][] =>
  names.map((n) => [n, { kind, target }]);

/** Every flag natsedge understands, under all of nats-server's spellings. */
const FLAGS: ReadonlyMap<string, FlagDef> = new Map([
  ...def("string", "host", "a", "addr", "net"),
  ...def("int", "port", "p", "port"),
  ...def("string", "server_name", "n", "name", "server_name"),
  ...def("string", "configFile", "c", "config"),
  ...def("bool", "test", "t"),
  ...def("string", "log_file", "l", "log"),
  ...def("bool", "debug", "D", "debug"),
  ...def("bool", "trace", "V", "trace"),
  ...def("bool", "VV", "VV"),
  ...def("bool", "DV", "DV"),
  ...def("bool", "DVV", "DVV"),
  ...def("bool", "logtime", "T", "logtime"),
  ...def("bool", "logtime_utc", "logtime_utc"),
  ...def("string", "pid_file", "P", "pid"),
  ...def("int", "http_port", "m", "http_port"),
  ...def("int", "https_port", "ms", "https_port"),
  ...def("string", "ports_file_dir", "ports_file_dir"),
  ...def("string", "client_advertise", "client_advertise"),
  ...def("bool", "jetstream", "js", "jetstream"),
  ...def("string", "store_dir", "sd", "store_dir"),
  ...def("string", "user", "user"),
  ...def("string", "pass", "pass"),
  ...def("string", "auth", "auth"),
  ...def("bool", "tls", "tls"),
  ...def("string", "tlscert", "tlscert"),
  ...def("string", "tlskey", "tlskey"),
  ...def("bool", "tlsverify", "tlsverify"),
  ...def("string", "tlscacert", "tlscacert"),
  ...def("string", "signal", "sl", "signal"),
  ...def("bool", "help", "h", "help"),
  ...def("bool", "version", "v", "version"),
  ...def("bool", "helpTls", "help_tls"),
  ...def("int", "max_traced_msg_len", "max_traced_msg_len"),
  ...def("int", "log_size_limit", "log_size_limit"),
  ...def("string", "memory_limit", "memory_limit"),
  ...def("string", "cluster_listen", "cluster", "cluster_listen"),
  ...def("string", "routes", "routes"),
  ...def("string", "cluster_name", "cluster_name"),
  ...def("string", "cluster_advertise", "cluster_advertise"),
  ...def("bool", "no_advertise", "no_advertise"),
  ...def("int", "connect_retries", "connect_retries"),
  ...def("string", "cluster_id", "cid", "cluster_id"),
  ...def("string", "stan_store", "st", "store"),
  ...def("string", "stan_dir", "dir"),
  ...def("bool", "encrypt", "encrypt"),
  ...def("string", "encryption_cipher", "encryption_cipher"),
  ...def("string", "encryption_key", "encryption_key"),
  ...def("string", "hb_interval", "hbi", "hb_interval"),
  ...def("string", "hb_timeout", "hbt", "hb_timeout"),
  ...def("int", "hb_fail_count", "hbf", "hb_fail_count"),
  ...def("int", "stan_max_channels", "mc", "max_channels"),
  ...def("int", "stan_max_subs", "msu", "max_subs"),
  ...def("int", "stan_max_msgs", "mm", "max_msgs"),
  ...def("string", "stan_max_bytes", "mb", "max_bytes"),
  ...def("string", "stan_max_age", "ma", "max_age"),
  ...def("string", "stan_max_inactivity", "mi", "max_inactivity"),
  ...def("bool", "replace_durable", "replace_durable"),
]);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function parseFlags(argv: string[]): FlagResult {
  const values = new Map<Target, string | number | boolean>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg.length < 2 || arg[0] !== "-") break;
    i++;
    if (arg === "--") break;
    const name0 = arg.slice(arg[1] === "-" ? 2 : 1);
    if (name0 === "" || name0[0] === "-" || name0[0] === "=") throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = name0.indexOf("=", 1);
    const name = eq < 0 ? name0 : name0.slice(0, eq);
    const inline = eq < 0 ? undefined : name0.slice(eq + 1);
    const flag = FLAGS.get(name);
    if (flag === undefined) throw new FlagError(`flag provided but not defined: -${name}`);
    if (flag.kind === "bool") {
      values.set(flag.target, inline === undefined ? true : parseBool(inline, name));
      continue;
    }
    let value = inline;
    if (value === undefined && i < argv.length) value = argv[i++];
    if (value === undefined) throw new FlagError(`flag needs an argument: -${name}`);
    values.set(flag.target, flag.kind === "int" ? parseInt64(value, name) : value);
  }
  return toResult(values, argv.slice(i));
}

function toResult(values: Map<Target, string | number | boolean>, positionals: string[]): FlagResult {
  const overrides: Record<string, unknown> = {};
  for (const [target, value] of values) overrides[target] = value;
  const take = <T>(target: Internal): T | undefined => {
    const v = overrides[target] as T | undefined;
    delete overrides[target];
    return v;
  };
  const configFile = take<string>("configFile");
  const signal = take<string>("signal");
  const result: FlagResult = {
    overrides: overrides as FlagOverrides,
    test: take<boolean>("test") ?? false,
    help: take<boolean>("help") ?? false,
    helpTls: take<boolean>("helpTls") ?? false,
    version: take<boolean>("version") ?? false,
    positionals,
  };
  applyCombos(result.overrides, take<boolean>("DV"), take<boolean>("DVV"), take<boolean>("VV"));
  if (configFile !== undefined) result.configFile = configFile;
  if (signal !== undefined) result.signal = parseSignal(signal);
  return result;
}

/** -DV, -DVV and -VV override -D/-V; Go applies them in this (alphabetical) order. */
function applyCombos(o: FlagOverrides, dv?: boolean, dvv?: boolean, vv?: boolean): void {
  if (dv !== undefined) o.debug = o.trace = dv;
  if (dvv !== undefined) o.debug = o.trace = o.trace_verbose = dvv;
  if (vv !== undefined) o.trace = o.trace_verbose = vv;
}

/** `<signal>[=<pid>]`, as nats-server's processSignal splits it. */
function parseSignal(value: string): SignalRequest {
  const [command, ...rest] = value.split("=");
  if (rest.length > 1) throw new FlagError(`invalid signal parameters: [${rest.slice(1).join(" ")}]`);
  return rest.length === 1 ? { command, pid: rest[0] } : { command };
}

/** Go's strconv.ParseBool. */
function parseBool(value: string, name: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new FlagError(`invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`);
}

/** Go's strconv.ParseInt(s, 0, 64): decimal, 0x hex, 0o/0 octal, 0b binary. */
function parseInt64(value: string, name: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
  if (m === null) throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${name}: parse error`);
  const body = m[2];
  const octal = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body;
  const n = BigInt(octal) * (m[1] === "-" ? -1n : 1n);
  if (n < INT64_MIN || n > INT64_MAX) {
    throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${name}: value out of range`);
  }
  return Number(n);
}
