// TOML configs: the same keys as the NATS format give the same options, errors name file:line:col and the
// key, `$NAME` reads a top-level key or the environment, and `config --to-toml` round-trips every seed
// config to the same options without writing a value read from the environment.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { ConfigError } from "../../../src/config/errors.ts";
import { loadOptions } from "../../../src/config/load.ts";
import { parseConf } from "../../../src/config/parser.ts";
import { confToToml } from "../../../src/config/to_toml.ts";

const TESTDATA = new URL("../../testdata/conf/", import.meta.url);

function load(files: Record<string, string>, main: string, env: Record<string, string> = {}) {
  return loadOptions(["-c", main], env, (p) => {
    if (!(p in files)) throw new Error(`open ${p}: no such file or directory`);
    return files[p]!;
  });
}

function tomlError(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    load({ "n.toml": text }, "n.toml", env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const NATS = `
listen: 127.0.0.1:4333
server_name: edge-1
max_payload: 2MB
ping_interval: "30s"
authorization {
  users = [
    { user: alice, password: "s3cret", permissions: { publish: { allow: ["orders.>"] }, subscribe: "_INBOX.>" } }
    { user: bob, password: "pw2" }
  ]
  timeout: 3
}
jetstream {
  store_dir: "/var/lib/natsedge"
  max_file_store: 1GB
  cipher: chacha
}
`;

const TOML = `
listen = "127.0.0.1:4333"
server_name = "edge-1"
max_payload = 2097152
ping_interval = "30s"

[authorization]
timeout = 3

[[authorization.users]]
user = "alice"
password = "s3cret"
permissions = { publish = { allow = ["orders.>"] }, subscribe = "_INBOX.>" }

[[authorization.users]]
user = "bob"
password = "pw2"

[jetstream]
store_dir = "/var/lib/natsedge"
max_file_store = 1073741824
cipher = "chacha"
`;

describe("natsedge -c file.toml", () => {
  test("reads the NATS config's keys to the same options", () => {
    const a = load({ "n.conf": NATS }, "n.conf");
    const b = load({ "n.toml": TOML }, "n.toml");
    expect({ ...b.options, config_file: "" }).toEqual({ ...a.options, config_file: "" });
    expect(b.options.authorization?.users?.[0]?.permissions?.publish).toEqual({ allow: ["orders.>"] });
    expect(b.options.port).toBe(4333);
  });

  test("-t checks a TOML file", () => {
    expect(loadOptions(["-t", "-c", "n.toml"], {}, () => TOML).action).toBe("test");
  });

  test("an unknown key is named with its file, line and column", () => {
    const e = tomlError('port = 4222\n\n[jetstream]\nstore_dir = "x"\nbogus = 1\n');
    expect([e.message, e.key, e.line, e.column]).toEqual(['n.toml:5:1: unknown field "bogus"', "bogus", 5, 1]);
    const nested = tomlError('[[authorization.users]]\nuser = "a"\npw = "b"\n');
    expect(nested.message).toBe('n.toml:3:1: unknown field "pw"');
  });

  test("a syntax error gives line and column and does not quote the file", () => {
    const e = tomlError('port = 4222\npassword = "sekrit-value\n');
    expect(e.line).toBe(2);
    expect(e.message).toStartWith("n.toml:2:");
    expect(e.message).not.toContain("sekrit");
  });

  test("$NAME reads a top-level key, else the environment; a missing one is an error", () => {
    const r = load({ "v.toml": 'PASS = "pw"\nport = "$PORT"\n[authorization]\nuser = "u"\npassword = "$PASS"\n' }, "v.toml", { PORT: "4999" });
    expect(r.options.port).toBe(4999);
    expect(r.options.authorization?.password).toBe("pw");
    const e = tomlError('[authorization]\ntoken = "$NOPE"\n');
    expect(e.message).toBe("n.toml:2:1: variable reference for 'NOPE' on line 2 can not be found");
  });
});

describe("natsedge config --to-toml", () => {
  const seeds = readdirSync(TESTDATA).filter((f) => f.endsWith(".conf"));
  const env = { JS_KEY: "from-the-environment" };
  for (const name of seeds) {
    test(`${name} converts to TOML that loads to the same options`, () => {
      const text = readFileSync(new URL(name, TESTDATA), "utf8");
      const toml = confToToml(parseConf(text, { file: name, env, readFile: () => "" }));
      const a = load({ [name]: text }, name, env);
      const b = load({ "c.toml": toml }, "c.toml", env);
      expect({ ...b.options, config_file: "" }).toEqual({ ...a.options, config_file: "" });
      expect(toml).not.toContain("from-the-environment");
    });
  }
  test("a value read from the environment stays a reference", () => {
    const toml = confToToml(parseConf("jetstream { key: $JS_KEY, store_dir: data }", { env, readFile: () => "" }));
    expect(toml).toContain('key = "$JS_KEY"');
  });
});
