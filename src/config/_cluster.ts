/** `cluster {}` and `leafnodes {}` (nats-server's parseCluster, parseLeafNodes, parseRemoteLeafNodes). */
import type { ClusterOptions, LeafNodeOptions, LeafRemote } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { authorizationFromConf, leafAuthorizationFromConf } from "./_auth.ts";
import { tlsFromConf } from "./_tls.ts";
import { aliases, fail, type Handler, hostPort, kindName, list, port, str, url, type Warn, walk } from "./_read.ts";

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
  });
  return cluster;
}

export function leafnodesFromConf(node: ConfNode, key: string, warn: Warn): LeafNodeOptions {
  const leaf: LeafNodeOptions = {};
  if (node.kind !== "map") throw fail(node, key, `Expected map to define a leafnode, got ${kindName(node)}`);
  walk(node.value, {
    ...listenHandlers(leaf),
    authorization: (n, k) => {
      leaf.authorization = leafAuthorizationFromConf(n, k, warn);
    },
    remotes: (n, k) => {
      if (n.kind !== "array") throw fail(n, k, `Expected remotes field to be an array, got ${kindName(n)}`);
      leaf.remotes = n.value.map((r) => remoteFromConf(r, k));
    },
    tls: (n, k) => {
      leaf.tls = tlsFromConf(n, k, true);
    },
  });
  return leaf;
}

function remoteFromConf(node: ConfNode, key: string): LeafRemote {
  if (node.kind !== "map") throw fail(node, key, `Expected remote leafnode entry to be a map/struct, got ${kindName(node)}`);
  const remote: LeafRemote = { urls: [] };
  walk(node.value, {
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
  });
  if (remote.urls.length === 0) throw fail(node, key, "Expected remote leafnode entry to have a url");
  return remote;
}
