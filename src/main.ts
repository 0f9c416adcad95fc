/** natsedge's executable entry point: `bun src/main.ts [flags]` or `deno run -A src/main.ts [flags]`. */
import process from "node:process";
import { runCli } from "./cli/cli.ts";

const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exit(code);
