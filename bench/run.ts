/** `npm run bench`: every micro benchmark in this folder, one after another, each in its own process. */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";

const dir = fileURLToPath(new URL(".", import.meta.url));
const benches = readdirSync(dir).filter((f) => f.endsWith("_bench.ts")).sort();
let failed = 0;
for (const f of benches) {
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, [dir + f], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
