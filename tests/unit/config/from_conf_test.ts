import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ConfigError } from "../../../src/config/errors.ts";
import { type ConfResult, optionsFromConf } from "../../../src/config/from_conf.ts";
import { defaultOptions, type ServerOptions } from "../../../src/config/options.ts";
import { parseConf } from "../../../src/config/parser.ts";

const TESTDATA = new URL("../../testdata/conf/", import.meta.url);
const noFiles = (path: string): string => {
  throw new Error(`open ${path}: no such file or directory`);
};

function fromText(text: string, env: Record<string, string> = {}, file = "test.conf"): ConfResult {
  const parseWarnings: string[] = [];
  const conf = parseConf(text, { file, env, readFile: noFiles, warn: (w) => parseWarnings.push(w) });
  const result = optionsFromConf(conf, defaultOptions());
  return { options: result.options, warnings: [...parseWarnings, ...result.warnings] };
}

function seed(name: string, env: Record<string, string> = {}): ConfResult {
  return fromText(readFileSync(new URL(name, TESTDATA), "utf8"), env, name);
}

const withDefaults = (changes: Partial<ServerOptions>): ServerOptions => ({ ...defaultOptions(), ...changes });

function confError(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    fromText(text, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("optionsFromConf loads every seed example verbatim", () => {
  test("seed 000: jetstream key written inline with curly quotes (closing brace lost in the doc)", () => {
    expect(seed("seed_000_js_key_inline.conf")).toEqual({
      options: withDefaults({ jetstream: { enabled: true, key: "\u201cmykey\u201d", store_dir: "datastore" } }),
      warnings: ['seed_000_js_key_inline.conf:1:1: map "jetstream" is not closed before the end of the file, closing it there'],
    });
  });

  test("seed 000: jetstream key from $JS_KEY in the environment", () => {
    const { options } = seed("seed_000_js_key_env.conf", { JS_KEY: "mykey" });
    expect(options).toEqual(withDefaults({ jetstream: { enabled: true, key: "mykey", store_dir: "datastore" } }));
  });

  test("seed 000: without JS_KEY in the environment the reference is an error at its line", () => {
    const err = (() => {
      try {
        seed("seed_000_js_key_env.conf");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.message).toBe("seed_000_js_key_env.conf:2:6: variable reference for 'JS_KEY' on line 2 can not be found");
  });

  test("seed 002: simple TLS config with bcrypt password", () => {
    expect(seed("seed_002_simple_tls.conf")).toEqual({
      options: withDefaults({
        host: "127.0.0.1",
        port: 4443,
        tls: { cert_file: "./configs/certs/server-cert.pem", key_file: "./configs/certs/server-key.pem", timeout: 2000 },
        authorization: {
          user: "derek",
          password: "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG",
          timeout: 1000,
        },
      }),
      warnings: [],
    });
  });

  test("seed 002: cipher_suites list with a trailing comma", () => {
    expect(seed("seed_002_cipher_suites.conf").options.tls).toEqual({
      cert_file: "./configs/certs/server.pem",
      key_file: "./configs/certs/key.pem",
      timeout: 2000,
      cipher_suites: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
    });
  });

  test("seed 002: client certificate verification", () => {
    expect(seed("seed_002_verify.conf").options).toEqual(
      withDefaults({
        tls: {
          cert_file: "./configs/certs/server-cert.pem",
          key_file: "./configs/certs/server-key.pem",
          ca_file: "./configs/certs/ca.pem",
          verify: true,
        },
      }),
    );
  });

  test("seed 002: verify_and_map implies verify", () => {
    expect(seed("seed_002_verify_and_map.conf").options.tls).toEqual({
      cert_file: "./configs/certs/server-cert.pem",
      key_file: "./configs/certs/server-key.pem",
      ca_file: "./configs/certs/ca.pem",
      verify_and_map: true,
      verify: true,
    });
  });

  test("seed 002: certificate-mapped users by email and by DN, with a publish permission", () => {
    for (const [file, user] of [
      ["seed_002_users_email.conf", "derek@nats.io"],
      ["seed_002_users_dn.conf", "CN=example.com,OU=CNCF"],
    ]) {
      expect(seed(file).options).toEqual(
        withDefaults({ authorization: { users: [{ user, permissions: { publish: { allow: ["foo"] } } }] } }),
      );
    }
  });

  test("seed 002: cluster with TLS and an unquoted route URL", () => {
    expect(seed("seed_002_cluster.conf").options).toEqual(
      withDefaults({
        cluster: {
          host: "127.0.0.1",
          port: 4244,
          tls: {
            cert_file: "./configs/certs/srva-cert.pem",
            key_file: "./configs/certs/srva-key.pem",
            ca_file: "./configs/certs/ca.pem",
          },
          routes: ["nats-route://127.0.0.1:4246"],
        },
      }),
    );
  });

  test("seed 002: indented authorization block with an unquoted $2a$ hash", () => {
    expect(seed("seed_002_bcrypt.conf").options.authorization).toEqual({
      user: "derek",
      password: "$2a$11$3kIDaCxw.Glsl1.u5nKa6eUnNDLV5HV9tIuUp7EHhMt6Nm9myW1aS",
    });
  });

  test("seed 003: tls block with a colon before the brace", () => {
    expect(seed("seed_003_tls_simple.conf").options.tls).toEqual({
      cert_file: "./server-cert.pem",
      key_file: "./server-key.pem",
    });
  });

  test("seed 003: a fractional TLS timeout in seconds", () => {
    expect(seed("seed_003_tls_timeout.conf").options.tls?.timeout).toBeCloseTo(0.1, 10);
  });
});

describe("optionsFromConf top-level keys", () => {
  test("listen, http and https take host:port or a port", () => {
    const { options } = fromText("listen: 10.0.0.1:4333\nhttp: 127.0.0.1:8222\nhttps: 8443");
    expect([options.host, options.port, options.http_host, options.http_port, options.https_port]).toEqual([
      "10.0.0.1",
      4333,
      "127.0.0.1",
      8222,
      8443,
    ]);
    expect(fromText('listen = "[::1]:-1"').options).toMatchObject({ host: "::1", port: -1 });
    expect(fromText("listen: 4555").options).toMatchObject({ host: "0.0.0.0", port: 4555 });
  });

  test("keys are case-insensitive and aliases work", () => {
    const text = "PORT: 1\nNet: h\nmax_conn: 5\nmax_subs: 6\nmonitor_port: 7\npidfile: p\nlogfile: l\nno_sublist_cache: true";
    expect(fromText(text).options).toEqual(
      withDefaults({
        port: 1,
        host: "h",
        max_connections: 5,
        max_subscriptions: 6,
        http_port: 7,
        pid_file: "p",
        log_file: "l",
        disable_sublist_cache: true,
      }),
    );
  });

  test("scalar options", () => {
    const text = [
      "server_name: edge-1",
      "client_advertise: edge.example:4222",
      "debug: true",
      "trace: on",
      "logtime: false",
      "logtime_utc: yes",
      "log_size_limit: 1MB",
      "max_traced_msg_len: 64",
      "ports_file_dir: /run",
      "http_base_path: /mon",
      "max_payload: 2MB",
      "max_pending: 128MB",
      "max_control_line: 8k",
      "max_sub_tokens: 16",
      "ping_max: 3",
      "no_header_support: true",
      "no_auth_user: guest",
    ].join("\n");
    expect(fromText(text).options).toEqual(
      withDefaults({
        server_name: "edge-1",
        client_advertise: "edge.example:4222",
        debug: true,
        trace: true,
        logtime: false,
        logtime_utc: true,
        log_size_limit: 1048576,
        max_traced_msg_len: 64,
        ports_file_dir: "/run",
        http_base_path: "/mon",
        max_payload: 2097152,
        max_pending: 134217728,
        max_control_line: 8000,
        max_sub_tokens: 16,
        ping_max: 3,
        no_header_support: true,
        no_auth_user: "guest",
      }),
    );
  });

  test("trace_verbose turns trace on too", () => {
    expect(fromText("trace_verbose: true").options).toMatchObject({ trace: true, trace_verbose: true });
  });

  test("durations are Go duration strings in milliseconds", () => {
    const text = 'ping_interval: "1m30s"\nwrite_deadline: "250ms"\nlame_duck_duration: "1h"\nlame_duck_grace_period: 2s';
    const { options, warnings } = fromText(text);
    expect([options.ping_interval, options.write_deadline, options.lame_duck_duration, options.lame_duck_grace_period]).toEqual([
      90_000,
      250,
      3_600_000,
      2_000,
    ]);
    expect(warnings).toEqual([]);
  });

  test("an integer duration means seconds, with nats-server's deprecation warning", () => {
    const { options, warnings } = fromText("\nping_interval: 60");
    expect(options.ping_interval).toBe(60_000);
    expect(warnings).toEqual(['test.conf:2:1: invalid use of field "ping_interval": ping_interval should be converted to a duration']);
  });

  test("keys used only as variables are not unknown fields", () => {
    expect(fromText("PORT_VAR = 4333\nport = $PORT_VAR").options.port).toBe(4333);
  });

  test("logging-only nats-server keys are ignored with a warning", () => {
    expect(fromText("syslog: true").warnings).toEqual([
      'test.conf:1:1: invalid use of field "syslog": not supported by natsedge and ignored',
    ]);
  });

  test("top-level store_dir configures JetStream storage without enabling it", () => {
    expect(fromText("store_dir: /data").options.jetstream).toEqual({ enabled: false, store_dir: "/data" });
    expect(fromText("store_dir: /data\njetstream: true").options.jetstream).toEqual({ enabled: true, store_dir: "/data" });
  });
});

describe("optionsFromConf errors name the file, line, column and key", () => {
  test("an unknown top-level key", () => {
    const err = confError("port: 4222\n\nfoo: bar");
    expect([err.message, err.key, err.line, err.column]).toEqual(['test.conf:3:1: unknown field "foo"', "foo", 3, 1]);
  });

  test("unknown keys inside blocks", () => {
    expect(confError("jetstream {\n  store_dir: x\n  bogus: 1\n}").message).toBe('test.conf:3:3: unknown field "bogus"');
    expect(confError("cluster { nope: 1 }").message).toBe('test.conf:1:11: unknown field "nope"');
    expect(confError("authorization {\n  users = [ {user: a, pw: b} ]\n}").message).toBe('test.conf:2:23: unknown field "pw"');
    expect(confError("leafnodes { remotes = [ { url: nats://h:7422, hubb: true } ] }").message).toBe(
      'test.conf:1:47: unknown field "hubb"',
    );
    expect(confError("tls { cert: x }").message).toBe('test.conf:1:7: error parsing tls config, unknown field ["cert"]');
    expect(confError("authorization { permissions { pubb: x } }").message).toBe(
      'test.conf:1:31: Unknown field "pubb" parsing permissions',
    );
  });

  test("a value of the wrong type", () => {
    const err = confError("\n  port: { a: 1 }");
    expect([err.message, err.key, err.line]).toEqual(['test.conf:2:3: expected an integer for "port", got a map', "port", 2]);
    expect(confError("debug: 1").message).toBe('test.conf:1:1: expected a boolean for "debug", got an integer');
    expect(confError("listen: [1]").message).toBe('test.conf:1:1: expected port or host:port for "listen", got an array');
  });

  test("sanity limits", () => {
    expect(confError("max_payload: 3GB").message).toBe("test.conf:1:1: max_payload value is too big");
    expect(confError("Max_Control_Line: 3GB").message).toBe("test.conf:1:1: Max_Control_Line value is too big");
    expect(confError("max_sub_tokens: 256").message).toBe("test.conf:1:1: max_sub_tokens value is too big");
    expect(confError("max_sub_tokens: 0").message).toBe("test.conf:1:1: max_sub_tokens value can not be negative");
    expect(confError('server_name: "my server"').message).toBe("test.conf:1:1: server name cannot contain spaces");
    expect(confError("port: 70000").message).toBe(
      'test.conf:1:1: invalid port 70000 for "port": must be between 0 and 65535, or -1 for a random port',
    );
    expect(confError("max_payload: 2MB\nmax_pending: 1MB").message).toBe(
      "test.conf:1:1: max_payload (2097152) cannot be higher than max_pending (1048576)",
    );
    expect(confError("listen: localhost").message).toBe('test.conf:1:1: could not parse address string "localhost"');
    expect(confError("listen: localhost:http").message).toBe('test.conf:1:1: could not parse port "http"');
  });

  test("bad durations", () => {
    expect(confError('ping_interval: "2 minutes"').message).toBe(
      'test.conf:1:1: error parsing ping_interval: time: unknown unit " minutes" in duration "2 minutes"',
    );
    expect(confError('ping_interval: "m"').message).toBe('test.conf:1:1: error parsing ping_interval: time: invalid duration "m"');
    expect(confError('write_deadline: "10"').message).toBe('test.conf:1:1: error parsing write_deadline: time: missing unit in duration "10"');
    expect(confError('ping_interval: "1d"').message).toBe('test.conf:1:1: error parsing ping_interval: time: unknown unit "d" in duration "1d"');
    expect(confError('lame_duck_duration: "10s"').message).toBe(
      "test.conf:1:1: invalid lame_duck_duration of 10s, minimum is 30 seconds",
    );
    expect(confError('lame_duck_grace_period: "-1s"').message).toBe(
      "test.conf:1:1: invalid lame_duck_grace_period, needs to be positive",
    );
  });

  test("errors in included files point into the included file", () => {
    const conf = parseConf("include extra.conf", {
      file: "/etc/main.conf",
      env: {},
      readFile: () => "port: 1\nbogus: 2",
    });
    try {
      optionsFromConf(conf, defaultOptions());
      throw new Error("expected a ConfigError");
    } catch (e) {
      expect((e as Error).message).toBe('/etc/extra.conf:2:1: unknown field "bogus"');
    }
  });
});

describe("optionsFromConf tls", () => {
  test("all supported keys", () => {
    const text = `tls {
  cert_file: c.pem, key_file: k.pem, ca_file: ca.pem
  insecure: true
  curve_preferences: [X25519, CurveP256]
  timeout: "500ms"
  pinned_certs: ["${"A".repeat(64)}"]
  handshake_first: auto
}`;
    expect(fromText(text).options.tls).toEqual({
      cert_file: "c.pem",
      key_file: "k.pem",
      ca_file: "ca.pem",
      insecure: true,
      curve_preferences: ["X25519", "CurveP256"],
      timeout: 500,
      pinned_certs: ["a".repeat(64)],
      handshake_first: 50,
    });
  });

  test("nats-server's error texts", () => {
    expect(confError("tls { cert_file: c, key_file: k, cipher_suites: [TLS_FOO] }").message).toBe(
      "test.conf:1:50: unrecognized cipher TLS_FOO",
    );
    expect(confError("tls { cert_file: c, key_file: k, cipher_suites: [] }").message).toBe(
      "test.conf:1:34: error parsing tls config, 'cipher_suites' cannot be empty",
    );
    expect(confError("tls { cert_file: c }").message).toBe("test.conf:1:1: missing 'key_file' in TLS configuration");
    expect(confError("tls { key_file: k }").message).toBe("test.conf:1:1: missing 'cert_file' in TLS configuration");
    expect(confError("tls { verify: 1 }").message).toBe("test.conf:1:7: error parsing tls config, expected 'verify' to be a boolean");
    expect(confError("tls { cert_file: 1 }").message).toBe("test.conf:1:7: error parsing tls config, expected 'cert_file' to be filename");
    expect(confError("tls { timeout: true }").message).toBe("test.conf:1:7: error parsing tls config, 'timeout' wrong type");
    expect(confError("tls { verify_cert_and_check_known_urls: true }").message).toBe(
      "test.conf:1:7: verify_cert_and_check_known_urls not supported in this context",
    );
  });

  test("verify_cert_and_check_known_urls is allowed between cluster servers", () => {
    expect(fromText("cluster { tls { verify_cert_and_check_known_urls: true } }").options.cluster?.tls).toEqual({
      verify_cert_and_check_known_urls: true,
      verify: true,
    });
  });
});

describe("optionsFromConf authorization", () => {
  test("token, timeout as a duration string, default permissions applied to users without their own", () => {
    const text = `authorization {
  timeout: "3s"
  default_permissions: { subscribe: ["_INBOX.>"] }
  users = [
    { user: a, password: pa }
    { user: b, password: pb, permissions: { publish: { allow: ["x.>"], deny: "x.y" }, subscribe: "q g1" } }
    { nkey: UBPISFO2GHVDVJ7YH7IWBPRLDELMQ4BU2XXKAWYBJTDEI6U5BXDI4AGJ, allowed_connection_types: [standard, WEBSOCKET] }
  ]
}`;
    const def = { subscribe: { allow: ["_INBOX.>"] } };
    expect(fromText(text).options.authorization).toEqual({
      timeout: 3000,
      default_permissions: def,
      users: [
        { user: "a", password: "pa", permissions: def },
        { user: "b", password: "pb", permissions: { publish: { allow: ["x.>"], deny: ["x.y"] }, subscribe: { allow: ["q g1"] } } },
        {
          nkey: "UBPISFO2GHVDVJ7YH7IWBPRLDELMQ4BU2XXKAWYBJTDEI6U5BXDI4AGJ",
          allowed_connection_types: ["STANDARD", "WEBSOCKET"],
          permissions: def,
        },
      ],
    });
    expect(fromText('authorization { token: "s3cr3t" }').options.authorization).toEqual({ token: "s3cr3t" });
  });

  test("allow_responses: true, or a map with defaults for zero values", () => {
    const perms = (p: string) => fromText(`authorization { permissions { ${p} } }`).options.authorization?.default_permissions;
    expect(perms("allow_responses: true")).toEqual({ allow_responses: { max: 1, expires: 120_000 }, publish: { allow: [] } });
    expect(perms('allow_responses: { max: 5, expires: "1m" }, publish: "a"')).toEqual({
      allow_responses: { max: 5, expires: 60_000 },
      publish: { allow: ["a"] },
    });
    expect(perms("allow_responses: { max: 0 }")).toEqual({ allow_responses: { max: 1, expires: 120_000 }, publish: { allow: [] } });
    expect(perms("allow_responses: false")).toEqual({});
  });

  test("an unquoted 1m timeout warns that it is a million seconds", () => {
    const { options, warnings } = fromText("authorization {\n  timeout: 1m\n}");
    expect(options.authorization?.timeout).toBe(1_000_000_000);
    expect(warnings).toEqual([
      'test.conf:2:3: invalid use of field "timeout": timeout of 1000000 (1000000 seconds) is high, consider keeping it ' +
        "under 60 seconds; possibly caused by unquoted duration, use '1m' instead of 1m",
    ]);
  });

  test("nats-server's consistency errors", () => {
    expect(confError("authorization { user: a, password: b, token: c }").message).toBe(
      "test.conf:1:1: Cannot have a user/pass and token",
    );
    expect(confError("authorization { user: a, users: [{user: b}] }").message).toBe(
      "test.conf:1:1: Can not have a single user/pass and a users array",
    );
    expect(confError("authorization { token: t, users: [{user: b}] }").message).toBe(
      "test.conf:1:1: Can not have a token and a users array",
    );
    expect(confError("authorization { users: [{password: x}] }").detail).toBe("User entry requires a user");
    expect(confError("authorization { users: [{nkey: UABC}] }").detail).toBe("Not a valid public nkey for a user");
    expect(
      confError("authorization { users: [{nkey: UBPISFO2GHVDVJ7YH7IWBPRLDELMQ4BU2XXKAWYBJTDEI6U5BXDI4AGJ, user: a}] }").detail,
    ).toBe("Nkey users do not take usernames or passwords");
    expect(confError("authorization { users: [{user: a}, {user: a}] }").detail).toBe('Duplicate user "a" detected');
    expect(confError('authorization { permissions { publish: "a b c" } }').detail).toBe('subject "a b c" is not a valid subject');
    expect(confError('authorization { permissions { publish: "a..b" } }').detail).toBe('subject "a..b" is not a valid subject');
    expect(confError("authorization { permissions { publish: { allow: a, except: b } } }").detail).toBe(
      "Unknown field name \"except\" parsing subject permissions, only 'allow' or 'deny' are permitted",
    );
    expect(confError("authorization { users: [{user: a, clients: [BOGUS]}] }").detail).toBe('invalid connection types ["BOGUS"]');
  });
});

describe("optionsFromConf jetstream", () => {
  test("boolean and string forms", () => {
    expect(fromText("jetstream: true").options.jetstream).toEqual({ enabled: true });
    expect(fromText("jetstream: Enabled").options.jetstream).toEqual({ enabled: true });
    expect(fromText("jetstream: disable").options.jetstream).toEqual({ enabled: false });
    expect(confError("jetstream: maybe").message).toBe("test.conf:1:1: Expected 'enabled' or 'disabled' for string value, got 'maybe'");
  });

  test("the map form with every supported key", () => {
    const text = `jetstream {
  store_dir: /var/lib/natsedge
  max_mem: 1G
  max_file_store: "10G"
  domain: edge
  key: k1
  prev_key: k0
  cipher: ChaChaPoly
  sync_interval: always
}`;
    expect(fromText(text).options.jetstream).toEqual({
      enabled: true,
      store_dir: "/var/lib/natsedge",
      max_memory_store: 1_000_000_000,
      max_file_store: 10 * 2 ** 30,
      domain: "edge",
      key: "k1",
      prev_key: "k0",
      cipher: "chacha",
      sync_interval: "always",
    });
    expect(fromText("jetstream { enabled: false, sync: \"2m\" }").options.jetstream).toEqual({ enabled: false, sync_interval: 120_000 });
  });

  test("cipher names", () => {
    const cipher = (c: string) => fromText(`jetstream { cipher: ${c} }`).options.jetstream?.cipher;
    expect([cipher("chacha"), cipher("AES"), cipher("xchacha"), cipher("chachapoly")]).toEqual(["chacha", "aes", "xchacha", "chacha"]);
    expect(confError("jetstream { cipher: des }").message).toBe('test.conf:1:13: Unknown cipher type: "des"');
  });

  test("storage sizes as strings must end in K, M, G or T", () => {
    expect(confError('jetstream { max_mem: "1Q" }').detail).toBe("max_mem_store sizes defined as strings must end in K, M, G, T");
    expect(confError('jetstream { max_file: "xG" }').detail).toBe(
      'max_file_store strconv.ParseInt: parsing "x": invalid syntax',
    );
  });

  test("store_dir may be set once", () => {
    expect(confError("store_dir: /a\njetstream { store_dir: /b }").message).toBe(
      "test.conf:2:13: Duplicate 'store_dir' configuration",
    );
  });

  test("a key from the environment that lexes as a number is a type error that does not show it", () => {
    const err = confError("jetstream { key: $JS_KEY }", { JS_KEY: "1GB" });
    expect(err.message).toBe('test.conf:1:13: expected a string for "key", got an integer');
  });
});

describe("optionsFromConf cluster and leafnodes", () => {
  test("cluster keys", () => {
    const text = 'cluster { name: c1, host: 0.0.0.0, port: 6222, authorization { user: r, password: p, timeout: 2 }, routes: ["nats://a:6222"] }';
    expect(fromText(text).options.cluster).toEqual({
      name: "c1",
      host: "0.0.0.0",
      port: 6222,
      authorization: { user: "r", password: "p", timeout: 2000 },
      routes: ["nats://a:6222"],
    });
    expect(confError("cluster { authorization { users: [{user: a}] } }").detail).toBe(
      "Cluster authorization does not allow multiple users",
    );
    expect(confError("cluster { authorization { token: t } }").detail).toBe("Cluster authorization does not support tokens");
  });

  test("leafnodes listener and remotes", () => {
    const text = `leafnodes {
  listen: 0.0.0.0:7422
  authorization { user: leaf, password: p, account: A, timeout: 1 }
  tls { cert_file: c, key_file: k, verify: true }
  remotes = [
    { url: "tls://hub:7422", credentials: "/etc/edge.creds", account: B, tls { ca_file: ca } }
    { urls: [nats-leaf://h1:7422, nats-leaf://h2:7422], nkey: SUAFAKE }
  ]
}`;
    expect(fromText(text).options.leafnodes).toEqual({
      host: "0.0.0.0",
      port: 7422,
      authorization: { user: "leaf", password: "p", account: "A", timeout: 1000 },
      tls: { cert_file: "c", key_file: "k", verify: true },
      remotes: [
        { urls: ["tls://hub:7422"], credentials: "/etc/edge.creds", account: "B", tls: { ca_file: "ca" } },
        { urls: ["nats-leaf://h1:7422", "nats-leaf://h2:7422"], nkey: "SUAFAKE" },
      ],
    });
    expect(fromText("leaf { port: 7422 }").options.leafnodes).toEqual({ port: 7422 });
  });

  test("leafnode users carry accounts", () => {
    const text = "leafnodes { authorization { users = [ {user: a, password: b, account: ACC} ] } }";
    expect(fromText(text).options.leafnodes?.authorization).toEqual({ users: [{ user: "a", password: "b", account: "ACC" }] });
  });

  test("a remote needs a url", () => {
    expect(confError("leafnodes { remotes = [ { account: A } ] }").detail).toBe("Expected remote leafnode entry to have a url");
  });

  test("reconnect is whole seconds under any of its names; no_randomize", () => {
    expect(fromText("leafnodes { reconnect: 3 }").options.leafnodes).toEqual({ reconnect: 3000 });
    expect(fromText("leafnodes { reconnect_delay: 2 }").options.leafnodes).toEqual({ reconnect: 2000 });
    expect(fromText("leafnodes { reconnect_interval: 0 }").options.leafnodes).toEqual({ reconnect: 0 });
    expect(confError('leafnodes { reconnect: "2s" }').detail).toBe('expected an integer for "reconnect", got a string');
    expect(fromText("leafnodes { remotes = [ { url: nats-leaf://h, dont_randomize: true } ] }").options.leafnodes?.remotes).toEqual([
      { urls: ["nats-leaf://h"], no_randomize: true },
    ]);
  });

  test("advertise, no_advertise and min_version (at least 2.8.0)", () => {
    const text = 'leafnodes { leafnode_advertise: "lb:7422", no_advertise: true, minimum_version: "2.9.0" }';
    expect(fromText(text).options.leafnodes).toEqual({ advertise: "lb:7422", no_advertise: true, min_version: "2.9.0" });
    expect(confError('leafnodes { min_version: "2.7.9" }').detail).toBe("the minimum version should be at least 2.8.0");
    expect(confError('leafnodes { min_version: "two" }').detail).toBe("invalid leafnode's minimum version: two");
  });

  test("2.9.10 remote keys natsedge does not apply yet are read and listed by name, aliases under one name", () => {
    const text = `leafnodes {
  remotes = [ { url: nats-leaf://h, deny_import: [a], deny_exports: [b], jetstream_cluster_migrate: true, js_cluster_migrate: true } ]
}`;
    expect(fromText(text).options.leafnodes?.unapplied).toEqual(["leafnodes.remotes.jetstream_cluster_migrate"]);
    expect(fromText(text).options.leafnodes?.remotes?.[0]).toMatchObject({ deny_imports: ["a"], deny_exports: ["b"] });
  });

  test("a remote's hub and WebSocket keys, with their aliases", () => {
    const text = "leafnodes { remotes = [ { url: ws://h:80, hub: true, websocket_compress: true, websocket_no_masking: true } ] }";
    expect(fromText(text).options.leafnodes?.remotes?.[0]).toEqual({ urls: ["ws://h:80"], hub: true, ws_compression: true, ws_no_masking: true });
    expect(fromText(text).options.leafnodes?.unapplied).toBeUndefined();
  });

  test("a remote cannot mix WebSocket and leaf URLs, named as nats-server does with the password hidden", () => {
    expect(confError('leafnodes { remotes = [ { urls: ["wss://u:pw@h:443", "nats-leaf://h:7422"] } ] }').detail).toBe(
      'remote leaf node configuration cannot have a mix of websocket and non-websocket urls: ["wss://u:xxxxx@h:443" "nats-leaf://h:7422"]',
    );
  });
});

describe("optionsFromConf never puts secrets in errors or warnings", () => {
  const SECRET = "Zq8vW3mN5xK2";
  const cases = [
    `authorization { user: a, password: "${SECRET}", token: "${SECRET}" }`,
    `authorization { users = [ { user: a, password: "${SECRET}", bogus: 1 } ] }`,
    `authorization { users = [ { user: a, password: "${SECRET}" }, { user: a, password: "${SECRET}" } ] }`,
    `authorization { password: { nested: "${SECRET}" } }`,
    `jetstream { key: "${SECRET}", prev_key: 5 }`,
    `jetstream { key: "${SECRET}", cipher: nope }`,
    `cluster { routes: ["nats://user:${SECRET}@ho st:6222"] }`,
    `leafnodes { remotes = [ { url: "nats://u:${SECRET}@bad host" } ] }`,
    `authorization { token: "${SECRET}", timeout: 1m }`,
  ];
  for (const text of cases) {
    test(text, () => {
      let message = "";
      try {
        message = fromText(text).warnings.join("\n");
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        message = (e as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain(SECRET);
    });
  }
});
