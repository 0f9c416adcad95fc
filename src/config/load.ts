/**
 * Builds the server options the way nats-server's ConfigureOptions does: defaults, then the config
 * file given with -c, then the command-line flags on top (flags win). Pure: the caller passes argv, the
 * environment and a file reader, and acts on the returned `action`.
 */
import { FlagError, type FlagOverrides, parseFlags, type SignalRequest } from "./flags.ts";
import { ConfigError } from "./errors.ts";
import { optionsFromConf } from "./from_conf.ts";
import { defaultOptions, type ServerOptions } from "./options.ts";
import { parseConf } from "./parser.ts";
import { parseToml } from "./toml.ts";
import { defaultStreaming, encryptionCipher, finishStreaming, storeType } from "./_streaming.ts";
import { parseGoDuration } from "./_duration.ts";
import { parseSize } from "./_store_limits.ts";

export type LoadAction = "run" | "test" | "help" | "help_tls" | "version" | "signal";

export interface LoadResult {
  action: LoadAction;
  options: ServerOptions;
  /** Config warnings, formatted `file:line:col: ...`; print them and carry on. */
  warnings: string[];
  configFile?: string;
  signal?: SignalRequest;
  positionals: string[];
}

/** The commands nats-server's --signal accepts (server/signal.go). */
const SIGNALS = ["stop", "quit", "reopen", "reload", "ldm", "term"];

/**
 * @throws FlagError for command-line mistakes, ConfigError for problems in the config file.
 * Subcommands other than `help` and `version` (say `mkpasswd`) are the caller's to dispatch before this.
 */
export function loadOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): LoadResult {
  const flags = parseFlags(argv);
  const result = (action: LoadAction, options = defaultOptions(), warnings: string[] = []): LoadResult => ({
    action,
    options,
    warnings,
    positionals: flags.positionals,
    ...(flags.configFile !== undefined && { configFile: flags.configFile }),
  });
  if (flags.version) return result("version");
  if (flags.help) return result("help");
  if (flags.helpTls) return result("help_tls");
  const command = flags.positionals[0];
  if (command?.toLowerCase() === "version") return result("version");
  if (command?.toLowerCase() === "help") return result("help");
  if (command !== undefined) throw new FlagError(`unrecognized command: ${JSON.stringify(command)}`);
  if (flags.signal !== undefined) {
    if (!SIGNALS.includes(flags.signal.command)) throw new FlagError(`unknown signal ${JSON.stringify(flags.signal.command)}`);
    return { ...result("signal"), signal: flags.signal };
  }

  let options = defaultOptions();
  const warnings: string[] = [];
  if (flags.configFile !== undefined) {
    const file = flags.configFile;
    let text: string;
    try {
      text = readFile(file);
    } catch (e) {
      throw new ConfigError(`error opening config file: ${e instanceof Error ? e.message : String(e)}`, {
        file,
        line: 0,
        column: 0,
      });
    }
    const ctx = { file, env, readFile, warn: (w: string) => warnings.push(w) };
    const conf = /\.toml$/i.test(file) ? parseToml(text, ctx) : parseConf(text, ctx);
    const mapped = optionsFromConf(conf, options);
    options = { ...mapped.options, config_file: file };
    warnings.push(...mapped.warnings);
  } else if (flags.test) {
    throw new FlagError("must specify [-c, --config] option to check configuration file syntax");
  }
  applyFlags(options, flags.overrides);
  if (options.streaming !== undefined) options.streaming = finishStreaming(options.streaming, env);
  return result(flags.test ? "test" : "run", options, warnings);
}

/**
 * nats-server's cluster flags: any of them makes (or amends) the cluster block. `--cluster` is a URL whose
 * user info becomes the cluster's authorization; `--routes` a comma-separated list (overrideCluster, RoutesFromStr).
 */
function applyClusterFlags(o: ServerOptions, f: Pick<FlagOverrides, "cluster_listen" | "routes" | "cluster_name" | "cluster_advertise" | "no_advertise" | "connect_retries">): void {
  if (Object.values(f).every((v) => v === undefined)) return;
  const c = { ...o.cluster };
  if (f.cluster_listen !== undefined) {
    let u: URL;
    try {
      u = new URL(f.cluster_listen);
    } catch {
      throw new FlagError(`invalid value for -cluster: ${JSON.stringify(f.cluster_listen)} is not a URL`);
    }
    c.host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    c.port = u.port === "" ? 0 : Number(u.port);
    if (u.username !== "") c.authorization = { ...c.authorization, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }
  if (f.routes !== undefined) {
    c.routes = f.routes.split(",").map((r) => r.trim()).filter((r) => r !== "");
    for (const r of c.routes) {
      try {
        new URL(r);
      } catch {
        throw new FlagError(`invalid value for -routes: ${JSON.stringify(r)} is not a URL`);
      }
    }
  }
  if (f.cluster_name !== undefined) c.name = f.cluster_name;
  if (f.cluster_advertise !== undefined) c.advertise = f.cluster_advertise;
  if (f.no_advertise !== undefined) c.no_advertise = f.no_advertise;
  if (f.connect_retries !== undefined) c.connect_retries = f.connect_retries;
  o.cluster = c;
}

function applyFlags(o: ServerOptions, flags: FlagOverrides): void {
  const {
    jetstream, store_dir, user, pass, auth, tls, tlscert, tlskey, tlsverify, tlscacert,
    cluster_id, stan_store, stan_dir, encrypt, encryption_cipher, encryption_key, hb_interval, hb_timeout, hb_fail_count,
    stan_max_channels, stan_max_subs, stan_max_msgs, stan_max_bytes, stan_max_age, stan_max_inactivity, replace_durable,
    cluster_listen, routes, cluster_name, cluster_advertise, no_advertise, connect_retries, memory_limit,
    ...direct
  } = flags;
  Object.assign(o, direct);
  if (memory_limit !== undefined) {
    try {
      o.memory_limit = parseSize(memory_limit);
      if (o.memory_limit < 16 * 2 ** 20) throw new Error(`${o.memory_limit} is below the minimum of 16MB`);
    } catch (e) {
      throw new FlagError(`invalid value for -memory_limit: ${(e as Error).message}`);
    }
  }
  applyClusterFlags(o, { cluster_listen, routes, cluster_name, cluster_advertise, no_advertise, connect_retries });
  const limitFlags = { stan_max_channels, stan_max_subs, stan_max_msgs, stan_max_bytes, stan_max_age, stan_max_inactivity };
  const stan = { cluster_id, stan_store, stan_dir, encrypt, encryption_cipher, encryption_key, hb_interval, hb_timeout, hb_fail_count, replace_durable, ...limitFlags };
  if (Object.values(stan).some((v) => v !== undefined)) {
    const s = { ...defaultStreaming(), ...o.streaming };
    if (cluster_id !== undefined) s.cluster_id = cluster_id;
    if (stan_dir !== undefined) s.dir = stan_dir;
    if (encrypt !== undefined) s.encrypt = encrypt;
    if (encryption_key !== undefined) {
      s.encryption_key = encryption_key;
      s.encrypt = true;
    }
    const checked = <T>(flag: string, f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw new FlagError(`invalid value for -${flag}: ${(e as Error).message}`);
      }
    };
    if (stan_store !== undefined) s.store = checked("store", () => storeType(stan_store));
    if (encryption_cipher !== undefined) s.encryption_cipher = checked("encryption_cipher", () => encryptionCipher(encryption_cipher));
    if (hb_interval !== undefined) s.hb_interval = checked("hb_interval", () => parseGoDuration(hb_interval));
    if (hb_timeout !== undefined) s.hb_timeout = checked("hb_timeout", () => parseGoDuration(hb_timeout));
    if (hb_fail_count !== undefined) s.hb_fail_count = hb_fail_count;
    if (replace_durable !== undefined) s.replace_durable = replace_durable;
    if (Object.values(limitFlags).some((v) => v !== undefined)) {
      const l = { ...s.store_limits };
      if (stan_max_channels !== undefined) l.max_channels = stan_max_channels;
      if (stan_max_subs !== undefined) l.max_subs = stan_max_subs;
      if (stan_max_msgs !== undefined) l.max_msgs = stan_max_msgs;
      if (stan_max_bytes !== undefined) l.max_bytes = checked("max_bytes", () => parseSize(stan_max_bytes));
      if (stan_max_age !== undefined) l.max_age = checked("max_age", () => parseGoDuration(stan_max_age));
      if (stan_max_inactivity !== undefined) l.max_inactivity = checked("max_inactivity", () => parseGoDuration(stan_max_inactivity));
      for (const [k, v] of Object.entries(l)) {
        if (typeof v === "number" && v < 0) throw new FlagError(`${k} limit cannot be negative (${v})`);
      }
      s.store_limits = l;
    }
    o.streaming = s;
  }
  if (jetstream !== undefined || store_dir !== undefined) {
    o.jetstream = {
      ...o.jetstream,
      enabled: jetstream ?? o.jetstream?.enabled ?? false,
      ...(store_dir !== undefined && { store_dir }),
    };
  }
  if (user !== undefined || pass !== undefined || auth !== undefined) {
    o.authorization = {
      ...o.authorization,
      ...(user !== undefined && { user }),
      ...(pass !== undefined && { password: pass }),
      ...(auth !== undefined && { token: auth }),
    };
  }
  // -tls=false switches TLS off, config file included; any other TLS flag replaces the config's tls block.
  if (tls === false) {
    delete o.tls;
  } else if ([tls, tlscert, tlskey, tlsverify, tlscacert].some((v) => v !== undefined)) {
    if (!tlscert) throw new FlagError("TLS Server certificate must be present and valid");
    if (!tlskey) throw new FlagError("TLS Server private key must be present and valid");
    o.tls = {
      cert_file: tlscert,
      key_file: tlskey,
      ...(tlscacert !== undefined && { ca_file: tlscacert }),
      verify: tlsverify ?? false,
      ...(o.tls?.timeout !== undefined && { timeout: o.tls.timeout }),
    };
  }
  if (o.server_name?.includes(" ")) throw new FlagError("server name cannot contain spaces");
  for (const field of ["port", "http_port", "https_port"] as const) {
    const p = o[field];
    if (p !== undefined && (p < -1 || p > 65535)) {
      throw new FlagError(`invalid ${field} ${p}: must be between 0 and 65535, or -1 for a random port`);
    }
  }
}
