/**
 * Copies a byte range from one array into another without making a view of the source. A view is an
 * object per call: on the message path (a payload copied into an outbound buffer) it costs more than the
 * copy itself. Bun's Buffer.prototype.copy copies a range natively and accepts any Uint8Array; Deno's is
 * written in JavaScript and slower than a view and `set`, so Deno keeps those.
 */
import { Buffer } from "node:buffer";

type CopyBytes = (dst: Uint8Array, p: number, src: Uint8Array, s: number, e: number) => void;

const bufferCopy = Buffer.prototype.copy;

/** Copies src[s, e) to dst at p; dst has room. */
export const copyBytes: CopyBytes = "Bun" in globalThis
  ? (dst, p, src, s, e) => {
    bufferCopy.call(src, dst, p, s, e);
  }
  : (dst, p, src, s, e) => {
    dst.set(src.subarray(s, e), p);
  };
