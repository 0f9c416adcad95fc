/** `cluster {}` and `leafnodes {}` (nats-server's parseCluster, parseLeafNodes, parseRemoteLeafNodes). */
import type { ClusterOptions, LeafNodeOptions, LeafRemote } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { authorizationFromConf, leafAuthorizationFromConf } from "./_auth.ts";
import { tlsFromConf } from "./_tls.ts";
import { parseVersion, versionAtLeast } from "../protocol/semver.ts";
import { aliases, bool, fail, type Handler, hostPort, int, kindName, list, port, str, strings, url, type Warn, walk } from "./_read.ts";

/** nats-server 2.9.10 remote keys natsedge reads but does not apply yet (aliases grouped under one name). */
const UNAPPLIED_REMOTE: Record<string, string[]> = {
  jetstream_cluster_migrate: ["jetstream_cluster_migrate", "js_cluster_migrate"],
};

/** Handlers that record each given key under its canonical name, in `into`. */
function unapplied(table: Record<string, string[]>, prefix: string, into: string[]): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, keys] of Object.entries(table)) {
    Object.assign(out, aliases(keys, () => {
      if (!into.includes(prefix + name)) into.push(prefix + name);
    }));
  }
  return out;
}

/** nats-server's isWSURL: the scheme starts with "ws". */
function isWebSocketURL(u: string): boolean {
  return u.trim().toLowerCase().startsWith("ws");
}

/** A URL with its password shown as nats-server's redactURLList shows it. */
function redactURL(u: string): string {
  return u.replace(/(\/\/[^/:@]*:)[^/@]*@/, "$1xxxxx@");
}

/** listen / port / host handlers shared by both blocks. */
function listenHandlers(target: { host?: string; port?: number }): Record<string, Handler> {
  return {
    listen: (n, k) => {
      const hp = hostPort(n, k);
      if (hp.host !== undefined) target.host = hp.host;
      target.port = hp.port;
    },
    port: (n, k) => {
      target.port = port(n, k);
    },
    ...aliases(["host", "net"], (n, k) => {
      target.host = str(n, k);
    }),
  };
}

export function clusterFromConf(node: ConfNode, key: string, warn: Warn): ClusterOptions {
  const cluster: ClusterOptions = {};
  if (node.kind !== "map") throw fail(node, key, `Expected map to define cluster, got ${kindName(node)}`);
  walk(node.value, {
    ...listenHandlers(cluster),
    name: (n, k) => {
      cluster.name = str(n, k);
    },
    authorization: (n, k) => {
      const auth = authorizationFromConf(n, k, warn);
      if (auth.users !== undefined) throw fail(n, k, "Cluster authorization does not allow multiple users");
      if (auth.token !== undefined) throw fail(n, k, "Cluster authorization does not support tokens");
      cluster.authorization = auth;
    },
    routes: (n, k) => {
      cluster.routes = list(n, k).map((r) => url(r, k, "route"));
    },
    tls: (n, k) => {
      cluster.tls = tlsFromConf(n, k, false);
    },
    ...aliases(["advertise", "cluster_advertise"], (n, k) => {
      cluster.advertise = str(n, k);
    }),
    no_advertise: (n, k) => {
      cluster.no_advertise = bool(n, k);
    },
    connect_retries: (n, k) => {
      cluster.connect_retries = int(n, k);
    },
    pool_size: (n, k) => {
      throw fail(n, k, "cluster.pool_size is a nats-server 2.10 setting; 2.9.10 routes, which natsedge speaks, have one connection per peer");
    },
  });
  return cluster;
}

export function leafnodesFromConf(node: ConfNode, key: string, warn: Warn): LeafNodeOptions {
  const leaf: LeafNodeOptions = {};
  const later: string[] = [];
  if (node.kind !== "map") throw fail(node, key, `Expected map to define a leafnode, got ${kindName(node)}`);
  walk(node.value, {
    ...listenHandlers(leaf),
    authorization: (n, k) => {
      leaf.authorization = leafAuthorizationFromConf(n, k, warn);
    },
    remotes: (n, k) => {
      if (n.kind !== "array") throw fail(n, k, `Expected remotes field to be an array, got ${kindName(n)}`);
      leaf.remotes = n.value.map((r) => remoteFromConf(r, k, later));
    },
    ...aliases(["advertise", "leafnode_advertise"], (n, k) => {
      leaf.advertise = str(n, k);
    }),
    no_advertise: (n, k) => {
      leaf.no_advertise = bool(n, k);
    },
    ...aliases(["min_version", "minimum_version"], (n, k) => {
      leaf.min_version = minVersion(n, k);
    }),
    ...aliases(["reconnect", "reconnect_delay", "reconnect_interval"], (n, k) => {
      // nats-server 2.9 reads an integer number of seconds here, not a duration.
      const s = int(n, k);
      if (s < 0) throw fail(n, k, `invalid ${k}: must not be negative`);
      leaf.reconnect = s * 1000;
    }),
    tls: (n, k) => {
      leaf.tls = tlsFromConf(n, k, true);
    },
  });
  if (later.length > 0) leaf.unapplied = later;
  return leaf;
}

/** nats-server's checkLeafMinVersionConfig: a semantic version, at least 2.8.0. */
function minVersion(n: ConfNode, k: string): string {
  const v = str(n, k);
  if (parseVersion(v) === null) throw fail(n, k, `invalid leafnode's minimum version: ${v}`);
  if (!versionAtLeast(v, "2.8.0")) throw fail(n, k, "the minimum version should be at least 2.8.0");
  return v;
}

function remoteFromConf(node: ConfNode, key: string, later: string[]): LeafRemote {
  if (node.kind !== "map") throw fail(node, key, `Expected remote leafnode entry to be a map/struct, got ${kindName(node)}`);
  const remote: LeafRemote = { urls: [] };
  walk(node.value, {
    ...unapplied(UNAPPLIED_REMOTE, "leafnodes.remotes.", later),
    ...aliases(["deny_imports", "deny_import"], (n, k) => {
      remote.deny_imports = strings(n, k);
    }),
    ...aliases(["deny_exports", "deny_export"], (n, k) => {
      remote.deny_exports = strings(n, k);
    }),
    ...aliases(["no_randomize", "dont_randomize"], (n, k) => {
      remote.no_randomize = bool(n, k);
    }),
    ...aliases(["url", "urls"], (n, k) => {
      if (n.kind === "string") remote.urls = [url(n, k, "leafnode")];
      else if (n.kind === "array") remote.urls = n.value.map((u) => url(u, k, "leafnode"));
      else throw fail(n, k, `Expected remote leafnode url to be an array or string, got ${kindName(n)}`);
    }),
    ...aliases(["account", "local"], (n, k) => {
      remote.account = str(n, k);
    }),
    ...aliases(["creds", "credentials"], (n, k) => {
      remote.credentials = str(n, k);
    }),
    nkey: (n, k) => {
      remote.nkey = str(n, k);
    },
    tls: (n, k) => {
      remote.tls = tlsFromConf(n, k, true);
    },
    hub: (n, k) => {
      remote.hub = bool(n, k);
    },
    ...aliases(["ws_compress", "ws_compression", "websocket_compress", "websocket_compression"], (n, k) => {
      remote.ws_compression = bool(n, k);
    }),
    ...aliases(["ws_no_masking", "websocket_no_masking"], (n, k) => {
      remote.ws_no_masking = bool(n, k);
    }),
  });
  if (remote.urls.length === 0) throw fail(node, key, "Expected remote leafnode entry to have a url");
  // nats-server's validateLeafNode: one remote dials WebSocket URLs or leaf URLs, not both.
  const ws = remote.urls.map(isWebSocketURL);
  if (ws.some((w) => w !== ws[0])) {
    const listed = remote.urls.map((u) => JSON.stringify(redactURL(u))).join(" ");
    throw fail(node, key, `remote leaf node configuration cannot have a mix of websocket and non-websocket urls: [${listed}]`);
  }
  return remote;
}
