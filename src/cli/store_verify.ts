/**
 * `natsedge store verify DIR [--repair] [-c FILE]`: reads every block of every JetStream stream under a store
 * directory with the configured key and prints, per stream, `ok N messages` or the unreadable ranges and what
 * --repair would do. Exit status 0 when every stream is ok, 1 when damage was found, 2 for a usage, config or
 * key error. Without --repair nothing is written; with it, each stream that needs it is opened to repair
 * (FileStore with `repair`) and everything is verified again. Key material is never printed.
 */
import process from "node:process";
import fs from "node:fs";
import { loadOptions } from "../config/load.ts";
import { ConfigError } from "../config/errors.ts";
import type { JetStreamOptions } from "../config/options.ts";
import { locateStoreDir, prepareCiphers, StoreKeyError, StoreProvider, type StreamVerification, type UnreadableStretch } from "../store/mod.ts";

const USAGE = "Usage: natsedge store verify [<store_dir>] [--repair] [-c, --config <file>]\n";

const VerifyExit = { Ok: 0, Damaged: 1, Usage: 2 } as const;

type Outcome =
  | { readonly name: string; readonly kind: "checked"; readonly v: StreamVerification }
  | { readonly name: string; readonly kind: "key"; readonly error: string }
  | { readonly name: string; readonly kind: "unreadable"; readonly error: string };

const out = (s: string) => fs.writeSync(1, s);
const err = (s: string) => fs.writeSync(2, s);

export async function storeCommand(args: string[]): Promise<number> {
  if (args[0] !== "verify") {
    err(`${args[0] === undefined ? "missing store command" : `unknown store command ${JSON.stringify(args[0])}`}\n${USAGE}`);
    return VerifyExit.Usage;
  }
  const parsed = parseArgs(args.slice(1));
  if (parsed === "help") {
    out(USAGE);
    return VerifyExit.Ok;
  }
  if (typeof parsed === "string") {
    err(`${parsed}\n${USAGE}`);
    return VerifyExit.Usage;
  }
  let js: JetStreamOptions | undefined;
  if (parsed.config !== undefined) {
    try {
      js = loadOptions(["--config", parsed.config], process.env, (p) => fs.readFileSync(p, "utf8")).options.jetstream;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      err(`natsedge: ${e.message}\n`);
      return VerifyExit.Usage;
    }
  }
  const dir = parsed.dir ?? js?.store_dir;
  if (dir === undefined) {
    err(`no store directory: give it, or a config file whose jetstream block sets store_dir\n${USAGE}`);
    return VerifyExit.Usage;
  }
  const storeDir = locateStoreDir("jetstream", dir);
  if (storeDir === null) {
    err(`${dir}: no JetStream store here (expected ${dir}/jetstream/$G/streams)\n`);
    return VerifyExit.Usage;
  }
  const stores = new StoreProvider("jetstream", { storeDir, key: js?.key, prevKey: js?.prev_key, cipher: js?.cipher });
  // Verifying reads synchronously: every cipher a stream may hold must be loaded first.
  if (js?.key || js?.prev_key) await prepareCiphers(undefined, true);
  const first = verifyAll(stores);
  const status = report(first);
  if (!parsed.repair || !first.some((o) => o.kind === "checked" && o.v.repairs.length > 0)) return status;
  if (first.some((o) => o.kind === "key")) {
    out("nothing repaired: fix the key error first (a wrong key must not be taken for damage)\n");
    return VerifyExit.Usage;
  }
  for (const o of first) {
    if (o.kind !== "checked" || o.v.repairs.length === 0) continue;
    try {
      const s = await stores.open(o.name, { storage: "file", repair: true });
      await s.close();
      out(`stream ${JSON.stringify(o.name)}: repaired\n`);
    } catch (e) {
      // Reported, not thrown: the other streams are still repaired, and the verify that follows shows what is left.
      out(`stream ${JSON.stringify(o.name)}: repair failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  out("after repair:\n");
  return report(verifyAll(stores));
}

function verifyAll(stores: StoreProvider): Outcome[] {
  return stores.names().sort().map((name): Outcome => {
    try {
      return { name, kind: "checked", v: stores.verify(name) };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return { name, kind: e instanceof StoreKeyError ? "key" : "unreadable", error };
    }
  });
}

/** Prints every outcome and returns the exit status they add up to. */
function report(outcomes: Outcome[]): number {
  let status: number = VerifyExit.Ok;
  const worst = (s: number) => (status = Math.max(status, s));
  for (const o of outcomes) {
    const name = `stream ${JSON.stringify(o.name)}`;
    if (o.kind === "key") {
      out(`${name}: key error: ${o.error}\n`);
      worst(VerifyExit.Usage);
      continue;
    }
    if (o.kind === "unreadable") {
      out(`${name}: unreadable: ${o.error} (--repair cannot fix this)\n`);
      worst(VerifyExit.Damaged);
      continue;
    }
    const v = o.v;
    const lost = v.damage.reduce((n, d) => n + d.msgs, 0);
    if (v.damage.length === 0) out(`${name}: ok ${v.msgs} messages${v.hasMeta ? "" : " (no stream metadata: the server skips it)"}\n`);
    else {
      out(`${name}: damaged, ${v.msgs} messages readable, ${lost} lost\n`);
      worst(VerifyExit.Damaged);
    }
    for (const d of v.damage) out(`  lost ${range(d)} bytes): segment ${d.file} at offset ${d.offset}: ${d.reason}\n`);
    for (const r of v.repairs) out(`  --repair would ${r}\n`);
  }
  if (outcomes.length === 0) out("no streams\n");
  return status;
}

function range(d: UnreadableStretch): string {
  if (d.first === 0) return `unknown sequences (${d.bytes}`;
  if (d.last === 0) return `${d.first}.. and an unknown number after it (${d.bytes}`;
  return `${d.first}..${d.last} (${d.msgs} messages, ${d.bytes}`;
}

function parseArgs(args: string[]): { dir?: string; config?: string; repair: boolean } | string {
  let dir: string | undefined;
  let config: string | undefined;
  let repair = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-")) {
      if (dir !== undefined) return `unexpected argument ${JSON.stringify(a)}`;
      dir = a;
      continue;
    }
    const [flag, inline] = a.replace(/^--?/, "").split("=", 2) as [string, string | undefined];
    if (flag === "h" || flag === "help") return "help";
    if (flag === "repair") repair = true;
    else if (flag === "c" || flag === "config") {
      config = inline ?? args[++i];
      if (config === undefined) return `flag needs an argument: -${flag}`;
    } else return `flag provided but not defined: -${flag}`;
  }
  return { dir, config, repair };
}
