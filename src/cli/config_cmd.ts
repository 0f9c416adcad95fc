/** `natsedge config --to-toml FILE`: prints a NATS config file as TOML (src/config/to_toml.ts). */
import process from "node:process";
import { ConfigError } from "../config/errors.ts";
import { parseConf } from "../config/parser.ts";
import { confToToml } from "../config/to_toml.ts";
import { nodeFs } from "../runtime/lazy_fs.ts";

const USAGE = "Usage: natsedge config --to-toml <file.conf>";

export function configCommand(args: string[]): number {
  if (args.length !== 2 || args[0] !== "--to-toml") {
    console.error(USAGE);
    return 2;
  }
  const file = args[1]!;
  const fs = nodeFs();
  try {
    const conf = parseConf(fs.readFileSync(file, "utf8"), { file, env: process.env, readFile: (p) => fs.readFileSync(p, "utf8"), warn: (w) => console.error(`natsedge: ${w}`) });
    fs.writeSync(1, confToToml(conf));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`natsedge: ${err.message}`);
      return 1;
    }
    console.error(`natsedge: ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
