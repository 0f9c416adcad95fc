/**
 * One client connection of the crash loop and what went wrong on it. Disconnects while the server is being
 * killed and restarted are expected; any other disconnect, an -ERR, or the connection closing for good is
 * a broken connection. nats.js reports a protocol line it cannot parse only by logging "reader closed" and
 * no longer reading, so the console is watched for that too.
 */
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";

export interface Health {
  /** Protocol lines nats.js could not parse. */
  garbled: number;
  /** Disconnects, stale connections and closes not caused by a kill. */
  broken: number;
  /** -ERR lines from the server. */
  serverErrors: number;
  /** Disconnects during kill windows. */
  expectedDisconnects: number;
}

export const newHealth = (): Health => ({ garbled: 0, broken: 0, serverErrors: 0, expectedDisconnects: 0 });

/** True while a kill and restart are under way; set by the loop. */
export interface KillWindow {
  readonly open: boolean;
}

let watched: Health | null = null;
const original = { log: console.log, error: console.error };
for (const k of ["log", "error"] as const) {
  console[k] = (...args: unknown[]) => {
    if (watched !== null && args.some((a) => String(a).includes("reader closed") || String(a).includes("Parse Error"))) {
      watched.garbled++;
      // The first few in full: a parse error names the line it choked on.
      if (watched.garbled <= 3) original.error("nats.js:", ...args);
      return;
    }
    original[k](...args);
  };
}

/** Parse errors found from now on are counted in `h`. */
export function watchConsole(h: Health): void {
  watched = h;
}

export const RECONNECT_WAIT_MS = Number(process.env.RECONNECT_WAIT_MS ?? 100);
const DIAL_TIMEOUT_MS = Number(process.env.DIAL_TIMEOUT_MS ?? 2000);

export interface Link {
  readonly nc: NatsConnection;
  /** Resolves on the next disconnect of this connection. */
  disconnected(): Promise<void>;
  /**
   * Resolves once connected: nats.js drops what was published while reconnecting (each dial attempt resets
   * the outbound buffer), so a request sent then is only ever answered by its timeout.
   */
  connected(): Promise<void>;
  close(): Promise<void>;
}

export async function openLink(port: number, name: string, h: Health, kill: KillWindow): Promise<Link> {
  const nc = await connect({
    servers: `127.0.0.1:${port}`,
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    reconnectJitter: 0,
    // A connection that stopped reading (a parse error) is found stale within seconds, not minutes.
    pingInterval: 2000,
    maxPingOut: 2,
    // A kill between the INFO and the PONG of a reconnect leaves nats.js waiting out this timeout (its
    // default is 20 s) before it dials again, whichever server it is.
    timeout: DIAL_TIMEOUT_MS,
  });
  let closing = false;
  let cut = Promise.withResolvers<void>();
  let up: ReturnType<typeof Promise.withResolvers<void>> | null = null;
  let stale = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (process.env.DEBUG) original.error(`  ${name} ${s.type} at ${performance.now().toFixed(0)}${kill.open ? " (kill window)" : ""}`);
      // A stale connection (one that stopped reading) may or may not be followed by its disconnect.
      if (s.type === "disconnect" || s.type === "staleConnection") {
        cut.resolve();
        cut = Promise.withResolvers<void>();
        up ??= Promise.withResolvers<void>();
        if (kill.open) h.expectedDisconnects++;
        else if (!stale) h.broken++;
        stale = s.type === "staleConnection";
      } else if (s.type === "reconnect") {
        up?.resolve();
        up = null;
      } else if (s.type === "error") h.serverErrors++;
    }
  })();
  void nc.closed().then(() => {
    if (!closing) h.broken++;
  });
  return {
    nc,
    disconnected: () => cut.promise,
    connected: () => up?.promise ?? Promise.resolve(),
    close: async () => {
      closing = true;
      await nc.close();
    },
  };
}
