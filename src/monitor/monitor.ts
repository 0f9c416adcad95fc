/**
 * Starts the monitoring listeners: http_port (-m) serves plain HTTP and https_port (-ms) serves HTTPS with
 * the top-level tls block's certificate, as nats-server does. Both serve the same hono app through the
 * runtime's HTTP server.
 */
import type { MonitorHost } from "./host.ts";
import type { HTTPListener } from "../runtime/types.ts";
import { tlsServerConfig } from "../config/tls_config.ts";
import { createMonitorApp } from "./app.ts";

export interface Monitor {
  readonly host: string;
  /** 0 when not served. */
  readonly httpPort: number;
  readonly httpsPort: number;
  /** For the ports file: "http://host:port" and/or "https://host:port". */
  readonly urls: string[];
  stop(): Promise<void>;
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host to advertise for a wildcard bind, as nats-server does in the ports file. */
function advertised(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
}

/** Serves http_port and/or https_port, whichever the options set. */
export async function startMonitor(srv: MonitorHost): Promise<Monitor> {
  const o = srv.options;
  const serve = srv.runtime.serveHTTP?.bind(srv.runtime);
  if (serve === undefined) throw new Error(`monitoring is configured, but the ${srv.runtime.name} transport has no HTTP server`);
  const host = o.http_host ?? o.host;
  const app = createMonitorApp(srv);
  const listeners: HTTPListener[] = [];
  const urls: string[] = [];
  let httpPort = 0;
  let httpsPort = 0;
  const close = async () => {
    await Promise.all(listeners.map((l) => l.close()));
  };
  try {
    if (o.http_port !== undefined) {
      const l = await serve({ host, port: o.http_port === -1 ? 0 : o.http_port, fetch: app.fetch });
      listeners.push(l);
      httpPort = l.port;
      srv.log.notice(`Starting http monitor on ${joinHostPort(host, l.port)}`);
      urls.push(`http://${joinHostPort(advertised(host), l.port)}`);
    }
    if (o.https_port !== undefined) {
      if (!o.tls) throw new Error("TLS config required for HTTPS monitoring: https_port needs a top-level tls block");
      const t = tlsServerConfig(o.tls);
      const l = await serve({ host, port: o.https_port === -1 ? 0 : o.https_port, tls: { cert: t.cert, key: t.key }, fetch: app.fetch });
      listeners.push(l);
      httpsPort = l.port;
      srv.log.notice(`Starting https monitor on ${joinHostPort(host, l.port)}`);
      urls.push(`https://${joinHostPort(advertised(host), l.port)}`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { host, httpPort, httpsPort, urls, stop: close };
}
