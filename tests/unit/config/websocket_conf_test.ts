// The `websocket {}` block as nats-server 2.9's parseWebsocket reads it: aliases, value shapes, the
// authorization sub-block's keys, and unknown keys refused at their position.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../src/config/errors.ts";
import { optionsFromConf } from "../../../src/config/from_conf.ts";
import { defaultOptions } from "../../../src/config/options.ts";
import { parseConf } from "../../../src/config/parser.ts";

function ws(text: string) {
  const conf = parseConf(text, { file: "t.conf", env: {}, readFile: () => "", warn: () => {} });
  return optionsFromConf(conf, defaultOptions()).options.websocket;
}

function error(text: string): string {
  try {
    ws(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("websocket block", () => {
  test("every key, with its aliases", () => {
    expect(
      ws(`ws {
        listen: "127.0.0.1:8080"
        advertise: "edge.example:443"
        no_tls: true
        same_origin: true
        allowed_origin: "http://a.example"
        compress: true
        handshake_timeout: 2
        authentication { username: u, pass: p, timeout: 1.5 }
        no_auth_user: someone
        jwt_cookie: jwt
      }`),
    ).toEqual({
      host: "127.0.0.1",
      port: 8080,
      advertise: "edge.example:443",
      no_tls: true,
      same_origin: true,
      allowed_origins: ["http://a.example"],
      compression: true,
      handshake_timeout: 2000,
      authorization: { user: "u", password: "p", timeout: 1500 },
      no_auth_user: "someone",
      jwt_cookie: "jwt",
    });
  });

  test("host and port apart, origins as a list, a duration string, a token and a tls block", () => {
    expect(
      ws(`websocket { net: 0.0.0.0, port: -1, origins: ["http://a", "https://b:8443"], handshake_timeout: "250ms", authorization { token: t }, tls { cert_file: c.pem, key_file: k.pem } }`),
    ).toEqual({
      host: "0.0.0.0",
      port: -1,
      allowed_origins: ["http://a", "https://b:8443"],
      handshake_timeout: 250,
      authorization: { token: "t" },
      tls: { cert_file: "c.pem", key_file: "k.pem" },
    });
  });

  test("unknown keys, in the block and in its authorization, are errors", () => {
    expect(error("websocket { port: 1, nope: 1 }")).toContain('unknown field "nope"');
    expect(error("websocket { port: 1, authorization { users: [] } }")).toContain('unknown field "users"');
  });

  test("wrong value shapes are errors", () => {
    expect(error("websocket: 8080")).toContain("Expected websocket to be a map");
    expect(error("websocket { handshake_timeout: true }")).toContain("error parsing handshake timeout");
    expect(error('websocket { handshake_timeout: "soon" }')).toContain("error parsing handshake timeout");
    expect(error('websocket { no_tls: "yes" }')).toContain('expected a boolean for "no_tls"');
  });
});
