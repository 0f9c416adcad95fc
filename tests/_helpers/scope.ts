/**
 * Per-test ownership: `own(x)` registers `x.close()` to run after the current test, pass or fail, in reverse
 * order of registration (clients before the servers they connect to).
 */
import { afterEach } from "bun:test";

export type Own = <T extends { close(): unknown }>(x: T) => T;

/** Call at the top level of a test file. */
export function useCleanup(): Own {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Already closed by the test, or by the server.
      }
    }
  });
  return (x) => {
    closers.push(() => x.close());
    return x;
  };
}
