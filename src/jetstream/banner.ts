/** What nats-server logs when JetStream starts: the server's settings, once for all accounts. */
import type { JetStreamOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";
import { chachaImplementation, cipherName } from "../store/mod.ts";

export interface JetStreamSettings {
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly storeDir: string;
  /** The store's cipher as the provider has it (null: not encrypted). */
  readonly cipher: Parameters<typeof cipherName>[0] | null;
}

export async function logJetStreamBanner(log: Logger, o: JetStreamOptions, s: JetStreamSettings): Promise<void> {
  log.notice("Starting JetStream");
  log.notice(`  Max Memory:      ${formatBytes(s.maxMemory)}`);
  log.notice(`  Max Storage:     ${formatBytes(s.maxStore)}`);
  log.notice(`  Store Directory: ${JSON.stringify(s.storeDir)}`);
  if (o.domain) log.notice(`  Domain:          ${o.domain}`);
  const c = s.cipher;
  if (c !== null) log.notice(`  Encryption:      ${cipherName(c)}${c === "chacha" ? ` (${await chachaImplementation()})` : ""}`);
}

function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(2)} ${units[i]}`;
}
