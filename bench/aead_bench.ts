/**
 * Seal/open throughput of the store's AEADs per block size, one core, in-process:
 *
 *   bun bench/aead_bench.ts            (or: deno run -A bench/aead_bench.ts)
 *
 * ChaCha20-Poly1305 through the system's libcrypto and through libsodium, AES-256-GCM (node:crypto) and
 * XChaCha20-Poly1305 (libsodium), at 128 B, 1 KiB and 64 KiB. Figures are MB/s and µs per call of the
 * process's CPU time (user + system), not wall time, so a loaded machine disturbs them less; run it on a
 * quiet one for the real figures. Env: BYTES (bytes sealed per case, default 100 MB).
 */
import process from "node:process";
import { chachaImplementation, CipherId, open, prepareCiphers, seal } from "../src/store/file/aead.ts";

const BYTES = Number(process.env.BYTES ?? 100e6);
const SIZES = [128, 1024, 64 * 1024];
const key = new Uint8Array(32).fill(7);
const aad = new Uint8Array(28).fill(1);

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

interface Case {
  label: string;
  id: number;
  native: boolean;
}
const CASES: Case[] = [
  { label: "ChaCha20-Poly1305, libcrypto", id: CipherId.ChaCha, native: true },
  { label: "ChaCha20-Poly1305, libsodium", id: CipherId.ChaCha, native: false },
  { label: "AES-256-GCM, node:crypto", id: CipherId.Aes, native: false },
  { label: "XChaCha20-Poly1305, libsodium", id: CipherId.XChaCha, native: false },
];

console.log(`# AEAD seal/open — ${new Date().toISOString()}, ${"Bun" in globalThis ? "bun" : "deno"}, ${process.arch}, CPU time`);
console.log("\n| cipher | block | seal MB/s | seal µs/call | open MB/s | open µs/call |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const c of CASES) {
  await prepareCiphers(c.native);
  if (c.native && !(await chachaImplementation()).startsWith("OpenSSL")) {
    console.log(`| ${c.label} | - | no libcrypto here | | | |`);
    continue;
  }
  for (const size of SIZES) {
    const nonce = new Uint8Array(c.id === CipherId.XChaCha ? 24 : 12);
    const pt = new Uint8Array(size).fill(3);
    const out = new Uint8Array(size + 16);
    const n = Math.max(1000, Math.floor(BYTES / size));
    for (let i = 0; i < 200; i++) seal(c.id, key, nonce, aad, pt, out, 0);
    const sealMs = cpuMs(() => {
      for (let i = 0; i < n; i++) seal(c.id, key, nonce, aad, pt, out, 0);
    });
    for (let i = 0; i < 200; i++) open(c.id, key, nonce, aad, out);
    const openMs = cpuMs(() => {
      for (let i = 0; i < n; i++) open(c.id, key, nonce, aad, out);
    });
    const mbs = (ms: number) => ((n * size) / ms / 1e3).toFixed(0);
    const us = (ms: number) => ((ms * 1000) / n).toFixed(2);
    console.log(`| ${c.label} | ${size} B | ${mbs(sealMs)} | ${us(sealMs)} | ${mbs(openMs)} | ${us(openMs)} |`);
  }
}
await prepareCiphers(true);
