// Durability against kill -9: a child process appends as fast as it can and reports acknowledged
// sequences; it is killed mid-stream, and after restart every acknowledged message must be there, intact.
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { FileStore } from "../../src/store/mod.ts";
import { crashPayload, crashSubject } from "./fixtures/crash_data.ts";
import { dec, useTempDirs } from "./_fs.ts";

const tempDir = useTempDirs();
const WRITER = join(import.meta.dirname!, "fixtures", "crash_writer.ts");

/** Runs the writer until it has acknowledged at least `target` messages past `from`, then kills it (-9). */
function runAndKill(dir: string, key: string, cipher: string, sync: string, from: number, target: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, key, cipher, sync], { stdio: ["ignore", "pipe", "pipe"] });
    let acked = 0;
    let buf = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith("ack ")) acked = Math.max(acked, Number(l.slice(4)));
      if (acked >= from + target) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe("FileStore durability under kill -9", () => {
  for (const [key, cipher, sync] of [["", "aes", "120000"], ["k", "aes", "always"], ["k", "chacha", "120000"]]) {
    test(`every acknowledged message survives kill -9 (${key ? cipher : "plaintext"}, sync ${sync})`, async () => {
      const dir = tempDir();
      let acked = 0;
      for (let round = 0; round < 2; round++) {
        acked = await runAndKill(dir, key, cipher, sync, acked, 3000);
        const s = await FileStore.open({ dir, name: "CRASH", key: key || undefined, cipher: cipher as "aes" });
        const st = s.state();
        expect(st.last_seq).toBeGreaterThanOrEqual(acked);
        expect(st.msgs).toBe(st.last_seq);
        for (let seq = 1; seq <= acked; seq++) {
          const m = s.load(seq);
          expect(m?.subject).toBe(crashSubject(seq));
          expect(dec(m!.payload)).toBe(dec(crashPayload(seq)));
        }
        acked = st.last_seq;
        await s.close();
      }
    }, 30_000);
  }
});
