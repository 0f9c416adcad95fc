/** NATS Streaming's one entry: the service the registry starts when the options have a `streaming` block or flags. */
import type { StreamingOptions } from "../config/options.ts";
import { StoreProvider } from "../store/provider.ts";
import { StanServer, type StanHost } from "./server.ts";

export type { StanHost } from "./server.ts";
export { StanServer } from "./server.ts";

export async function startStan(host: StanHost, o: StreamingOptions): Promise<StanServer> {
  const stores = new StoreProvider("stan", {
    storeDir: o.dir,
    key: o.encrypt ? o.encryption_key : undefined,
    cipher: o.encryption_cipher,
    // nats-streaming-server's file_sync default: a PubAck means the message is on disk.
    sync: "always",
  });
  const stan = new StanServer(host, o, stores);
  try {
    await stan.start();
  } catch (err) {
    await stan.stop();
    throw err;
  }
  return stan;
}
