import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FlagError } from "../../../src/config/flags.ts";
import { ConfigError } from "../../../src/config/errors.ts";
import { type LoadResult, loadOptions } from "../../../src/config/load.ts";
import { defaultOptions } from "../../../src/config/options.ts";

function fs(tree: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!Object.hasOwn(tree, path)) throw new Error(`open ${path}: no such file or directory`);
    return tree[path];
  };
}

const load = (argv: string[], tree: Record<string, string> = {}, env: Record<string, string> = {}): LoadResult =>
  loadOptions(argv, env, fs(tree));

function loadError(argv: string[], tree: Record<string, string> = {}): Error {
  try {
    load(argv, tree);
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("loadOptions", () => {
  test("the cluster flags make a cluster block, --cluster's user info its authorization", () => {
    const { options } = load(["--cluster", "nats://ruser:rpass@127.0.0.1:6333", "--routes", "nats://a:6222, nats://b:6222", "--cluster_name", "c1", "--no_advertise", "--connect_retries", "3", "--cluster_advertise", "10.0.0.1:6333"]);
    expect(options.cluster).toEqual({
      host: "127.0.0.1",
      port: 6333,
      authorization: { user: "ruser", password: "rpass" },
      routes: ["nats://a:6222", "nats://b:6222"],
      name: "c1",
      advertise: "10.0.0.1:6333",
      no_advertise: true,
      connect_retries: 3,
    });
    expect(load(["--cluster_listen", "nats://0.0.0.0:6222"]).options.cluster).toEqual({ host: "0.0.0.0", port: 6222 });
    expect(load(["-c", "c.conf", "--cluster_name", "flag"], { "c.conf": "cluster { name: conf, port: 6222 }" }).options.cluster).toEqual({ name: "flag", port: 6222 });
    expect(loadError(["--routes", "not a url"]).message).toBe('invalid value for -routes: "not a url" is not a URL');
  });

  test("no arguments: run with nats-server's defaults", () => {
    expect(load([])).toEqual({ action: "run", options: defaultOptions(), warnings: [], positionals: [] });
  });

  test("the seed's `env JS_KEY=mykey nats-server -c js.conf` loads the key from the environment", () => {
    const jsConf = readFileSync(new URL("../../testdata/conf/seed_000_js_key_env.conf", import.meta.url), "utf8");
    const result = load(["-c", "js.conf"], { "js.conf": jsConf }, { JS_KEY: "mykey" });
    expect(result).toEqual({
      action: "run",
      options: { ...defaultOptions(), config_file: "js.conf", jetstream: { enabled: true, key: "mykey", store_dir: "datastore" } },
      warnings: ['js.conf:1:1: map "jetstream" is not closed before the end of the file, closing it there'],
      configFile: "js.conf",
      positionals: [],
    });
  });

  test("flags override the config file", () => {
    const tree = { "n.conf": "port: 4333\ndebug: true\nserver_name: from-file\nlogtime: true" };
    const { options } = load(["-c", "n.conf", "-p", "5555", "-D=false", "-T=false"], tree);
    expect([options.port, options.debug, options.server_name, options.logtime]).toEqual([5555, false, "from-file", false]);
  });

  test("-DV turns on debug and trace over a config that turned them off", () => {
    const { options } = load(["-c", "n.conf", "-DV"], { "n.conf": "debug: false\ntrace: false" });
    expect([options.debug, options.trace, options.trace_verbose]).toEqual([true, true, false]);
  });

  test("-js and -sd fill the jetstream block, keeping the config's other settings", () => {
    const tree = { "n.conf": "jetstream { key: k, store_dir: /from/file, enabled: false }" };
    expect(load(["-c", "n.conf", "-js", "-sd", "/data"], tree).options.jetstream).toEqual({
      enabled: true,
      key: "k",
      store_dir: "/data",
    });
    expect(load(["-sd", "/data"]).options.jetstream).toEqual({ enabled: false, store_dir: "/data" });
    expect(load(["--jetstream"]).options.jetstream).toEqual({ enabled: true });
  });

  test("--user, --pass and --auth fill the authorization block", () => {
    expect(load(["--user", "u", "--pass", "p"]).options.authorization).toEqual({ user: "u", password: "p" });
    expect(load(["--auth", "t"]).options.authorization).toEqual({ token: "t" });
    const tree = { "n.conf": "authorization { user: a, password: b, timeout: 3 }" };
    expect(load(["-c", "n.conf", "--pass", "p2"], tree).options.authorization).toEqual({ user: "a", password: "p2", timeout: 3000 });
  });

  test("TLS flags build the tls block and replace the config's, keeping its timeout", () => {
    const seedArgs = ["--tlsverify", "--tlscert=./server-cert.pem", "--tlskey=./server-key.pem", "--tlscacert=./ca.pem"];
    expect(load(seedArgs).options.tls).toEqual({
      cert_file: "./server-cert.pem",
      key_file: "./server-key.pem",
      ca_file: "./ca.pem",
      verify: true,
    });
    const tree = { "n.conf": "tls { cert_file: a, key_file: b, timeout: 5, verify_and_map: true }" };
    expect(load(["-c", "n.conf", "--tls", "--tlscert", "c", "--tlskey", "k"], tree).options.tls).toEqual({
      cert_file: "c",
      key_file: "k",
      verify: false,
      timeout: 5000,
    });
  });

  test("-tls=false switches off TLS from the config file", () => {
    const tree = { "n.conf": "tls { cert_file: a, key_file: b }" };
    expect(load(["-c", "n.conf", "--tls=false", "--tlscert", "x"], tree).options.tls).toBeUndefined();
  });

  test("TLS flags need a certificate and a key", () => {
    expect(loadError(["--tls"]).message).toBe("TLS Server certificate must be present and valid");
    expect(loadError(["--tlsverify", "--tlscert", "c"]).message).toBe("TLS Server private key must be present and valid");
  });

  test("-t checks the config file", () => {
    const result = load(["-t", "-c", "n.conf"], { "n.conf": "port: 1" });
    expect([result.action, result.configFile, result.options.port]).toEqual(["test", "n.conf", 1]);
    const err = loadError(["-t"]);
    expect(err).toBeInstanceOf(FlagError);
    expect(err.message).toBe("must specify [-c, --config] option to check configuration file syntax");
  });

  test("-t reports config errors as ConfigErrors with their position", () => {
    const err = loadError(["-t", "-c", "n.conf"], { "n.conf": "port: 1\nbogus: 2" });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('n.conf:2:1: unknown field "bogus"');
  });

  test("a config file that cannot be read", () => {
    const err = loadError(["-c", "missing.conf"]);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe("missing.conf: error opening config file: open missing.conf: no such file or directory");
  });

  test("help, version and TLS help win over everything else", () => {
    expect(load(["-c", "missing.conf", "-h"]).action).toBe("help");
    expect(load(["-v", "-p", "1"]).action).toBe("version");
    expect(load(["--help_tls"]).action).toBe("help_tls");
    expect(load(["version"]).action).toBe("version");
    expect(load(["HELP"]).action).toBe("help");
  });

  test("an unknown subcommand is an error", () => {
    const err = loadError(["mkpasswd"]);
    expect(err).toBeInstanceOf(FlagError);
    expect(err.message).toBe('unrecognized command: "mkpasswd"');
  });

  test("--signal returns the request without reading the config", () => {
    expect(load(["-sl", "reload=/var/run/natsedge.pid", "-c", "missing.conf"])).toMatchObject({
      action: "signal",
      signal: { command: "reload", pid: "/var/run/natsedge.pid" },
    });
    expect(loadError(["-sl", "restart"]).message).toBe('unknown signal "restart"');
  });

  test("command-line values get the same sanity checks as the config file", () => {
    expect(loadError(["-n", "my server"]).message).toBe("server name cannot contain spaces");
    expect(loadError(["-p", "65536"]).message).toBe("invalid port 65536: must be between 0 and 65535, or -1 for a random port");
    expect(load(["-p", "-1"]).options.port).toBe(-1);
  });

  test("unknown flags fail before anything else", () => {
    const err = loadError(["-c", "n.conf", "-x"]);
    expect(err).toBeInstanceOf(FlagError);
    expect(err.message).toBe("flag provided but not defined: -x");
  });
});
