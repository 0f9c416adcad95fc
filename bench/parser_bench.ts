// Parser micro benchmark: `bun bench/parser_bench.ts`. One line per case: parsing throughput in MB/s and
// msgs/s with a handler that only counts messages. Each case is a 16 MiB buffer of identical frames fed in
// 64 KiB reads, as the socket would deliver them, so frames straddling reads take the split-buffer path.
import { Parser, type ParserHandler, type PubArg } from "../src/protocol/parser.ts";

const TOTAL = 16 * 1024 * 1024;
const READ = 64 * 1024;
const RUNS = 7;

class CountingHandler implements ParserHandler {
  msgs = 0;
  bytes = 0;
  processMsg(pa: PubArg, _buf: Uint8Array, _start: number): void {
    this.msgs++;
    this.bytes += pa.size;
  }
  processPubArgs(_pa: PubArg): void {}
  processSub(_arg: string): void {}
  processUnsub(_arg: string): void {}
  processConnect(_arg: string): void {}
  processPing(): void {}
  processPong(): void {}
  processErr(_arg: string): void {}
  processInfo(_info: unknown): void {}
}

/** Whole frames only, as many as fit in TOTAL bytes; the payload is a repeating printable pattern. */
function buildStream(line: string, payloadSize: number): { buf: Uint8Array; frames: number } {
  const head = new TextEncoder().encode(line);
  const frameLen = head.length + payloadSize + 2;
  const frames = Math.floor(TOTAL / frameLen);
  const buf = new Uint8Array(frames * frameLen);
  const frame = new Uint8Array(frameLen);
  frame.set(head, 0);
  for (let i = 0; i < payloadSize; i++) frame[head.length + i] = 97 + (i % 26);
  frame[frameLen - 2] = 13;
  frame[frameLen - 1] = 10;
  for (let f = 0; f < frames; f++) buf.set(frame, f * frameLen);
  return { buf, frames };
}

function parseInReads(buf: Uint8Array, h: CountingHandler): void {
  const p = new Parser(h, 64 * 1024 * 1024, 4096);
  for (let o = 0; o < buf.length; o += READ) p.parse(buf.subarray(o, Math.min(o + READ, buf.length)));
}

function bench(name: string, line: string, payloadSize: number): void {
  const { buf, frames } = buildStream(line, payloadSize);
  // Warm up, and check that every frame was parsed.
  for (let w = 0; w < 2; w++) {
    const h = new CountingHandler();
    parseInReads(buf, h);
    if (h.msgs !== frames || h.bytes !== frames * payloadSize) {
      throw new Error(`${name}: parsed ${h.msgs}/${frames} messages, ${h.bytes} payload bytes`);
    }
  }
  // Each sample parses the buffer `reps` times so that it lasts at least ~150 ms.
  const t0 = performance.now();
  parseInReads(buf, new CountingHandler());
  const reps = Math.max(1, Math.ceil(150 / Math.max(0.1, performance.now() - t0)));
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const h = new CountingHandler();
    const start = performance.now();
    for (let k = 0; k < reps; k++) parseInReads(buf, h);
    times.push((performance.now() - start) / reps);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)]!; // median time for one pass over the buffer
  const mbps = buf.length / (1024 * 1024) / (ms / 1000);
  const mps = frames / (ms / 1000);
  console.log(
    `${name.padEnd(46)} ${mbps.toFixed(0).padStart(7)} MB/s ${Math.round(mps).toLocaleString("en-US").padStart(13)} msgs/s  (${(buf.length / 1048576).toFixed(1)} MiB, ${frames.toLocaleString("en-US")} msgs, ${ms.toFixed(2)} ms per pass, median of ${RUNS})`,
  );
}

bench("PUB foo.bar 128 B payload, 64 KiB reads", "PUB foo.bar 128\r\n", 128);
bench("PUB foo.bar 1 KiB payload, 64 KiB reads", "PUB foo.bar 1024\r\n", 1024);
bench("PUB foo.bar reply 16 B payload, 64 KiB reads", "PUB foo.bar _INBOX.abcdef 16\r\n", 16);
bench("HPUB foo.bar 128 B (32 B hdr), 64 KiB reads", "HPUB foo.bar 32 128\r\n", 128);
