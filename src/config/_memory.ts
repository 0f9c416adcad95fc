/**
 * natsedge's `memory_limit` (nats-server has no such key): the process memory target, as an integer (the
 * lexer applies an unquoted `512MB`'s suffix) or a string such as "512MB" (powers of two, as `-mb`).
 */
import type { ConfNode } from "./parser.ts";
import { fail, kindName, str } from "./_read.ts";
import { parseSize } from "./_store_limits.ts";

/** Below this no server runs: a typo (`512` meant as MB) rather than a target. */
const MIN_LIMIT = 16 * 2 ** 20;

export function memoryLimit(n: ConfNode, k: string): number {
  let bytes: number;
  if (n.kind === "int") bytes = n.value;
  else if (n.kind === "string") {
    try {
      bytes = parseSize(str(n, k));
    } catch (e) {
      throw fail(n, k, `memory_limit: ${(e as Error).message}`);
    }
  } else throw fail(n, k, `memory_limit must be a size such as 512MB, got ${kindName(n)}`);
  if (bytes < MIN_LIMIT) throw fail(n, k, `memory_limit ${bytes} is below the minimum of 16MB`);
  return bytes;
}
