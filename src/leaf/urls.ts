/**
 * A remote's URL list as nats-server keeps it: configured URLs (nats-leaf://, nats://, tls://, default port
 * 7422, user info for CONNECT), shuffled unless no_randomize, and after each INFO the hub's advertised
 * leafnode_urls in front, the URL just used rotated to the end.
 */

export const DEFAULT_LEAF_PORT = 7422;

export interface LeafURL {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  /** Came from a hub's leafnode_urls rather than the config. */
  gossiped: boolean;
}

export function parseLeafURL(s: string): LeafURL {
  const u = new URL(s);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const out: LeafURL = { host, port: u.port === "" ? DEFAULT_LEAF_PORT : Number(u.port), gossiped: false };
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
   * The hub's leafnode_urls (`host:port`): they go first, except those naming a configured URL's address;
   * user info is reused from the configured URLs, as nats-server does for bare gossiped URLs.
   */
  learn(advertised: readonly string[], used: LeafURL): void {
    const known = new Set(this.configured.map(hostPortOf));
    const cred = this.configured.find((u) => u.user !== undefined);
    const gossiped: LeafURL[] = [];
    for (const a of advertised) {
      if (known.has(a)) continue;
      try {
        const u = parseLeafURL(`nats-leaf://${a}`);
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
