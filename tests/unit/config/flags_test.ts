import { describe, expect, test } from "bun:test";
import { FlagError, parseFlags } from "../../../src/config/flags.ts";

function flagError(argv: string[]): string {
  try {
    parseFlags(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    return (e as Error).message;
  }
  throw new Error("expected a FlagError");
}

describe("parseFlags accepts Go flag syntax", () => {
  test("one or two dashes, value as the next argument or after '='", () => {
    for (const argv of [["-p", "4333"], ["-p=4333"], ["--port=4333"], ["--port", "4333"], ["-port", "4333"]]) {
      expect(parseFlags(argv).overrides).toEqual({ port: 4333 });
    }
  });

  test("the last occurrence of a flag wins, across its spellings", () => {
    expect(parseFlags(["-p", "1", "--port", "2"]).overrides).toEqual({ port: 2 });
    expect(parseFlags(["-a", "h1", "--net", "h2"]).overrides).toEqual({ host: "h2" });
  });

  test("multi-letter single-dash flags are single flags", () => {
    expect(parseFlags(["-js", "-sd", "/data", "-ms", "8443", "-sl", "reload"])).toEqual({
      overrides: { jetstream: true, store_dir: "/data", https_port: 8443 },
      test: false,
      help: false,
      helpTls: false,
      version: false,
      signal: { command: "reload" },
      positionals: [],
    });
  });

  test("boolean flags take no separate value but accept -flag=value", () => {
    expect(parseFlags(["-D", "4222"])).toMatchObject({ overrides: { debug: true }, positionals: ["4222"] });
    expect(parseFlags(["-D=false", "-T=false", "--tls=0", "-V=T"]).overrides).toEqual({
      debug: false,
      logtime: false,
      tls: false,
      trace: true,
    });
  });

  test("integers use Go's base prefixes", () => {
    expect(parseFlags(["-p", "0x10", "-m", "010", "--max_traced_msg_len", "0b11", "--log_size_limit", "-1"]).overrides).toEqual({
      port: 16,
      http_port: 8,
      max_traced_msg_len: 3,
      log_size_limit: -1,
    });
  });

  test("parsing stops at '--' or at the first non-flag argument", () => {
    expect(parseFlags(["-D", "--", "-p", "1"])).toMatchObject({ overrides: { debug: true }, positionals: ["-p", "1"] });
    expect(parseFlags(["version", "-p", "1"])).toMatchObject({ overrides: {}, positionals: ["version", "-p", "1"] });
    expect(parseFlags(["-"]).positionals).toEqual(["-"]);
  });
});

describe("parseFlags knows nats-server's flags", () => {
  test("server options", () => {
    const argv = [
      "-a", "127.0.0.1", "-p", "4333", "-n", "edge-1", "-P", "/run/n.pid", "-m", "8222",
      "--https_port", "8443", "-c", "edge.conf", "--client_advertise", "edge:4222", "--ports_file_dir", "/run",
    ];
    expect(parseFlags(argv)).toMatchObject({
      configFile: "edge.conf",
      overrides: {
        host: "127.0.0.1",
        port: 4333,
        server_name: "edge-1",
        pid_file: "/run/n.pid",
        http_port: 8222,
        https_port: 8443,
        client_advertise: "edge:4222",
        ports_file_dir: "/run",
      },
    });
    expect(parseFlags(["--addr", "h", "--name", "a", "--server_name", "b", "--pid", "p", "--http_port", "1"]).overrides).toEqual({
      host: "h",
      server_name: "b",
      pid_file: "p",
      http_port: 1,
    });
  });

  test("logging options", () => {
    const argv = ["-l", "/var/log/n.log", "--logtime_utc", "--log_size_limit", "1000", "--max_traced_msg_len", "64", "--trace"];
    expect(parseFlags(argv).overrides).toEqual({
      log_file: "/var/log/n.log",
      logtime_utc: true,
      log_size_limit: 1000,
      max_traced_msg_len: 64,
      trace: true,
    });
  });

  test("-DV, -DVV and -VV set debug and trace together, overriding -D and -V", () => {
    expect(parseFlags(["-DV"]).overrides).toEqual({ debug: true, trace: true });
    expect(parseFlags(["-DVV"]).overrides).toEqual({ debug: true, trace: true, trace_verbose: true });
    expect(parseFlags(["-VV"]).overrides).toEqual({ trace: true, trace_verbose: true });
    expect(parseFlags(["-D", "-DV=false"]).overrides).toEqual({ debug: false, trace: false });
    expect(parseFlags(["-DVV", "-VV=false"]).overrides).toEqual({ debug: true, trace: false, trace_verbose: false });
  });

  test("JetStream, auth and TLS options, as in the seed docs' command lines", () => {
    expect(parseFlags(["--jetstream", "--store_dir=/data", "--user", "u", "--pass", "p", "--auth", "t"]).overrides).toEqual({
      jetstream: true,
      store_dir: "/data",
      user: "u",
      pass: "p",
      auth: "t",
    });
    expect(parseFlags(["--tls", "--tlscert=./server-cert.pem", "--tlskey=./server-key.pem"]).overrides).toEqual({
      tls: true,
      tlscert: "./server-cert.pem",
      tlskey: "./server-key.pem",
    });
    const verify = [
      "--tlsverify",
      "--tlscert=./test/configs/certs/server-cert.pem",
      "--tlskey=./test/configs/certs/server-key.pem",
      "--tlscacert=./test/configs/certs/ca.pem",
    ];
    expect(parseFlags(verify).overrides).toEqual({
      tlsverify: true,
      tlscert: "./test/configs/certs/server-cert.pem",
      tlskey: "./test/configs/certs/server-key.pem",
      tlscacert: "./test/configs/certs/ca.pem",
    });
  });

  test("information flags and -t", () => {
    expect(parseFlags(["-h"]).help).toBe(true);
    expect(parseFlags(["--help"]).help).toBe(true);
    expect(parseFlags(["-v"]).version).toBe(true);
    expect(parseFlags(["--version"]).version).toBe(true);
    expect(parseFlags(["--help_tls"]).helpTls).toBe(true);
    expect(parseFlags(["-t", "-c", "x.conf"])).toMatchObject({ test: true, configFile: "x.conf" });
  });

  test("--signal takes <signal>[=<pid>]", () => {
    expect(parseFlags(["-sl", "reload=1234"]).signal).toEqual({ command: "reload", pid: "1234" });
    expect(parseFlags(["--signal", "ldm=/var/run/natsedge.pid"]).signal).toEqual({ command: "ldm", pid: "/var/run/natsedge.pid" });
    expect(flagError(["-sl", "stop=1=2=3"])).toBe("invalid signal parameters: [2 3]");
  });
});

describe("parseFlags reports mistakes with Go's messages", () => {
  test("unknown flags", () => {
    expect(flagError(["-x"])).toBe("flag provided but not defined: -x");
    expect(flagError(["--gateway", "x"])).toBe("flag provided but not defined: -gateway");
  });

  test("missing and malformed values", () => {
    expect(flagError(["-p"])).toBe("flag needs an argument: -p");
    expect(flagError(["-p", "abc"])).toBe('invalid value "abc" for flag -p: parse error');
    expect(flagError(["-p", "99999999999999999999"])).toBe('invalid value "99999999999999999999" for flag -p: value out of range');
    expect(flagError(["-D=maybe"])).toBe('invalid boolean value "maybe" for -D: parse error');
  });

  test("bad flag syntax", () => {
    expect(flagError(["---p"])).toBe("bad flag syntax: ---p");
    expect(flagError(["-=1"])).toBe("bad flag syntax: -=1");
  });
});
