/**
 * Origin checks on an upgrade request (nats-server's checkOrigin): same_origin compares the Origin's host and
 * port with the request's Host, allowed_origins its scheme, host and port; default ports come from the
 * scheme. A request without Origin is not from a browser page and passes.
 */

interface HostPort {
  host: string;
  port: string;
}

/** Go's net.SplitHostPort with the scheme's default port when none is given. */
function hostAndPort(tls: boolean, hostport: string): HostPort {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  const host = (m?.[1] ?? hostport).toLowerCase();
  const port = m?.[2] ?? (tls ? "443" : "80");
  return { host, port };
}

interface Allowed {
  scheme: string;
  port: string;
}

export class OriginPolicy {
  private readonly allowed: Map<string, Allowed> | null;

  /** Allowed origins that are not absolute URLs, skipped as nats-server skips them (it logs each). */
  readonly unparsable: string[] = [];

  constructor(
    private readonly sameOrigin: boolean,
    allowedOrigins: string[] | undefined,
  ) {
    let allowed: Map<string, Allowed> | null = null;
    for (const ao of allowedOrigins ?? []) {
      let scheme: string;
      let hp: HostPort;
      try {
        scheme = new URL(ao).protocol.slice(0, -1);
        hp = hostAndPort(scheme === "https", hostOf(ao));
      } catch {
        this.unparsable.push(ao);
        continue;
      }
      (allowed ??= new Map()).set(hp.host, { scheme, port: hp.port });
    }
    this.allowed = allowed;
  }

  get enabled(): boolean {
    return this.sameOrigin || this.allowed !== null;
  }

  /** Why `origin` may not upgrade (nats-server's words), or null. `host` is the request's Host, `tls` the listener's. */
  refuse(origin: string | null, host: string, tls: boolean): string | null {
    if (!this.enabled || origin === null || origin === "") return null;
    let scheme: string;
    let oh: HostPort;
    try {
      scheme = new URL(origin).protocol.slice(0, -1);
      oh = hostAndPort(scheme === "https", hostOf(origin));
    } catch {
      return `invalid origin ${JSON.stringify(origin)}`;
    }
    if (this.sameOrigin) {
      const rh = hostAndPort(tls, host);
      if (oh.host !== rh.host || oh.port !== rh.port) return "not same origin";
    }
    if (this.allowed !== null) {
      const ao = this.allowed.get(oh.host);
      if (ao === undefined || ao.scheme !== scheme || ao.port !== oh.port) return "not in the allowed list";
    }
    return null;
  }
}

/**
 * The authority of an absolute URL as written: WHATWG URL drops a default port ("http://a:80" has port ""),
 * which Go keeps and compares.
 */
function hostOf(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(url);
  if (m === null) throw new Error(`not an absolute URL: ${url}`);
  return m[1]!;
}
