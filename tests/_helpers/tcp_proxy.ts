/**
 * A loopback TCP proxy for link faults: every connection is forwarded to `upstream`, each chunk after
 * `delayMs` in both directions (order kept), and `cut()` drops every open connection at once, as a
 * failing network path would.
 */
import net from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamPort: number, delayMs = 0): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let accepted = 0;
  const relay = (from: net.Socket, to: net.Socket): void => {
    from.on("data", (chunk: Buffer) => {
      if (delayMs === 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), delayMs);
    });
  };
  const server = net.createServer((down) => {
    accepted++;
    const up = net.createConnection({ host: "127.0.0.1", port: upstreamPort });
    open.add(down);
    open.add(up);
    const drop = (): void => {
      open.delete(down);
      open.delete(up);
      down.destroy();
      up.destroy();
    };
    relay(down, up);
    relay(up, down);
    for (const s of [down, up]) {
      s.on("close", drop);
      s.on("error", drop);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const cut = (): void => {
    for (const s of [...open]) s.destroy();
    open.clear();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    cut,
    close() {
      cut();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
