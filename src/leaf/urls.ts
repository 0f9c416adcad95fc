/**
 * A remote's URL list as nats-server keeps it: configured URLs (nats-leaf://, nats://, tls://, or ws:// and
 * wss:// for a hub's WebSocket port; default port 7422, user info for CONNECT), shuffled unless no_randomize,
 * and after each INFO the hub's advertised URLs in front (leafnode_urls, or ws_connect_urls for a WebSocket
 * remote), the URL just used rotated to the end.
 */

export const DEFAULT_LEAF_PORT = 7422;

export interface LeafURL {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  /** Came from a hub's leafnode_urls rather than the config. */
  gossiped: boolean;
  /** ws:// or wss://: the link is a WebSocket to the hub's WebSocket port. */
  ws: boolean;
  /** The upgrade request's path: /leafnode, then the URL's own path (nats-server's leafNodeSolicitWSConnection). */
  path: string;
}

/** Tells the accepting WebSocket listener that a leaf connects, not a client. */
const LEAF_WS_PATH = "/leafnode";

/** The port written in a URL's authority, if any. */
const EXPLICIT_PORT = /^[^:]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)/;

export function parseLeafURL(s: string): LeafURL {
  const u = new URL(s);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const ws = u.protocol.toLowerCase().startsWith("ws");
  const path = ws ? LEAF_WS_PATH + u.pathname.replace(/^\//, "") : "";
  // WHATWG URL drops a scheme's default port (ws:80, wss:443), which nats-server would dial as written.
  const port = u.port !== "" ? u.port : (EXPLICIT_PORT.exec(s)?.[1] ?? "");
  const out: LeafURL = { host, port: port === "" ? DEFAULT_LEAF_PORT : Number(port), gossiped: false, ws, path };
  if (u.username !== "") {
    out.user = decodeURIComponent(u.username);
    out.pass = decodeURIComponent(u.password);
  }
  return out;
}

export function hostPortOf(u: { host: string; port: number }): string {
  return u.host.includes(":") ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

export class LeafURLs {
  private list: LeafURL[];
  private readonly configured: LeafURL[];

  constructor(urls: readonly string[], randomize: boolean) {
    this.configured = urls.map(parseLeafURL);
    this.list = [...this.configured];
    if (randomize) shuffle(this.list);
  }

  /** The URL to try now; it moves to the end of the list. */
  next(): LeafURL {
    const u = this.list.shift()!;
    this.list.push(u);
    return u;
  }

  /**
   * The hub's advertised URLs (`host:port`, dialled with `scheme`): they go first, except those naming a
   * configured URL's address; user info is reused from the configured URLs, as nats-server does for bare
   * gossiped URLs.
   */
  learn(advertised: readonly string[], used: LeafURL, scheme = "nats-leaf"): void {
    const known = new Set(this.configured.map(hostPortOf));
    const cred = this.configured.find((u) => u.user !== undefined);
    const gossiped: LeafURL[] = [];
    for (const a of advertised) {
      if (known.has(a)) continue;
      try {
        const u = parseLeafURL(`${scheme}://${a}`);
        gossiped.push({ ...u, gossiped: true, ...(cred ? { user: cred.user, pass: cred.pass } : {}) });
      } catch {
        // An address nats-server would not dial either.
      }
    }
    const rest = this.configured.filter((u) => u !== used);
    this.list = [...gossiped, ...rest, ...(this.configured.includes(used) ? [used] : [])];
  }
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
