/**
 * Lame duck mode (SIGUSR2, `--signal ldm`), as nats-server's lameDuckMode (server/server.go): stop accepting
 * clients, tell the connected ones with an INFO carrying `"ldm": true` so they can move elsewhere, wait the
 * grace period, then close them spread over the rest of lame_duck_duration (so they do not all reconnect at
 * once somewhere else), and shut down.
 *
 * nats-server's config file refuses a lame_duck_duration under 30s; options given through the embedding API
 * (startServer) are not checked, which is how tests use short durations.
 */
import { CloseReason } from "../connection/close_reason.ts";
import { infoLine } from "../protocol/encode.ts";
import { ROUTES } from "./builtin_services.ts";
import type { Server } from "./server.ts";

/** nats-server spreads closes by at most this much (it never sleeps longer than 1s between two clients). */
const MAX_SPACING_MS = 1000;

/** Resolves true after `ms`, or false as soon as the server shuts down. */
function wait(srv: Server, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms)));
  return Promise.race([elapsed, srv.lifecycle.done.then(() => false)]).finally(() => clearTimeout(timer));
}

/** Runs lame duck mode to its end (the server has shut down when this resolves). */
export async function enterLameDuck(srv: Server): Promise<void> {
  const lc = srv.lifecycle;
  if (lc.lameDuck || !lc.listening) return;
  lc.lameDuck = true;
  srv.log.notice("Entering lame duck mode, stop accepting new clients");
  await srv.stopAccepting();

  const clients = [...srv.clients.values()];
  if (clients.length === 0) {
    await srv.shutdown();
    return;
  }
  const o = srv.options;
  const grace = Math.abs(o.lame_duck_grace_period);
  let dur = o.lame_duck_duration - grace;
  if (dur <= 0) dur = 1000;
  let spacing = dur / clients.length;
  let batch = 1;
  if (spacing < 1) {
    // More clients than milliseconds: close them in batches between short pauses.
    spacing = 1;
    batch = Math.floor(clients.length / dur);
  } else if (spacing > MAX_SPACING_MS) {
    spacing = MAX_SPACING_MS;
  }

  // Route peers stop offering this server to their clients; clients that understand async INFO
  // (protocol >= 1) learn that it is going away.
  srv.services.get(ROUTES)?.sendLameDuck();
  // Its own URL leaves connect_urls (ours comes first, see Server.setConnectUrls) so reconnects go elsewhere.
  const urls = srv.info.connect_urls as string[] | undefined;
  const ldm = { ...srv.info, ...(urls !== undefined ? { connect_urls: urls.slice(1) } : {}), ldm: true };
  for (const c of clients) {
    if (c.closed || !c.connected || c.opts.protocol < 1) continue;
    c.link.enqueue(infoLine({ ...ldm, client_id: c.cid, client_ip: c.link.conn.remoteAddress }));
  }
  srv.flushPending();

  if (!(await wait(srv, grace))) return;
  srv.log.notice("Closing existing clients");
  for (let i = 0; i < clients.length; i++) {
    clients[i]!.link.closeAfterFlush(CloseReason.serverShutdown);
    if (i === clients.length - 1) break;
    if (batch === 1 || i % batch === 0) {
      // A random pause of at least half the spacing, as nats-server.
      const pause = Math.max(spacing / 2, Math.random() * spacing);
      if (!(await wait(srv, pause))) return;
    }
  }
  await srv.shutdown();
}
