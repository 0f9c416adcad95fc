/** `websocket {}` (nats-server 2.9's parseWebsocket and the parseSimpleAuth of its authorization block). */
import type { WebsocketOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { parseGoDuration } from "./_duration.ts";
import { tlsFromConf } from "./_tls.ts";
import { aliases, bool, fail, hostPort, kindName, port, str, strings, timeout, type Warn, walk } from "./_read.ts";

export function websocketFromConf(node: ConfNode, key: string, _warn: Warn): WebsocketOptions {
  if (node.kind !== "map") throw fail(node, key, `Expected websocket to be a map, got ${kindName(node)}`);
  const ws: WebsocketOptions = {};
  walk(node.value, {
    listen: (n, k) => {
      const hp = hostPort(n, k);
      if (hp.host !== undefined) ws.host = hp.host;
      ws.port = hp.port;
    },
    port: (n, k) => {
      ws.port = port(n, k);
    },
    ...aliases(["host", "net"], (n, k) => {
      ws.host = str(n, k);
    }),
    advertise: (n, k) => {
      ws.advertise = str(n, k);
    },
    no_tls: (n, k) => {
      ws.no_tls = bool(n, k);
    },
    tls: (n, k) => {
      ws.tls = tlsFromConf(n, k, true);
    },
    same_origin: (n, k) => {
      ws.same_origin = bool(n, k);
    },
    ...aliases(["allowed_origins", "allowed_origin", "allow_origins", "allow_origin", "origins", "origin"], (n, k) => {
      ws.allowed_origins = strings(n, k);
    }),
    handshake_timeout: (n, k) => {
      ws.handshake_timeout = handshakeTimeout(n, k);
    },
    ...aliases(["compression", "compress"], (n, k) => {
      ws.compression = bool(n, k);
    }),
    ...aliases(["authorization", "authentication"], (n, k) => {
      ws.authorization = simpleAuth(n, k);
    }),
    jwt_cookie: (n, k) => {
      ws.jwt_cookie = str(n, k);
    },
    no_auth_user: (n, k) => {
      ws.no_auth_user = str(n, k);
    },
  });
  return ws;
}

/** An integer number of seconds or a Go duration string. */
function handshakeTimeout(n: ConfNode, k: string): number {
  if (n.kind === "int") return n.value * 1000;
  if (n.kind !== "string") throw fail(n, k, `error parsing handshake timeout: unsupported type ${kindName(n)}`);
  try {
    return parseGoDuration(n.value);
  } catch (e) {
    throw fail(n, k, `error parsing handshake timeout: ${(e as Error).message}`);
  }
}

/** The listener's own credentials: one user or a token, no users list (also the mqtt block's). */
export function simpleAuth(node: ConfNode, key: string): NonNullable<WebsocketOptions["authorization"]> {
  if (node.kind !== "map") throw fail(node, key, `Expected authorization to be a map/struct, got ${kindName(node)}`);
  const auth: NonNullable<WebsocketOptions["authorization"]> = {};
  walk(node.value, {
    ...aliases(["user", "username"], (n, k) => {
      auth.user = str(n, k);
    }),
    ...aliases(["pass", "password"], (n, k) => {
      auth.password = str(n, k);
    }),
    token: (n, k) => {
      auth.token = str(n, k);
    },
    timeout: (n, k) => {
      auth.timeout = timeout(n, k, "authorization");
    },
  });
  return auth;
}
