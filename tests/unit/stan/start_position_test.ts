/** Start positions over a store with a gap and known timestamps. */
import { expect, test } from "bun:test";
import { MemStore } from "../../../src/store/memstore.ts";
import { StartPosition } from "../../../src/stan/proto.ts";
import { startLastSent } from "../../../src/stan/start_position.ts";

test("each start position as the lastSent it begins from", async () => {
  const store = new MemStore();
  const now = performance.timeOrigin + performance.now();
  // Sequence n is 6 - n minutes old; 2 is removed.
  for (let i = 5; i >= 1; i--) await store.append("c", null, new Uint8Array([i]), now - i * 60_000);
  await store.remove(2);
  const at = (pos: number, seq = 0n, deltaNs = 0n) => startLastSent(store, 5, pos, seq, deltaNs);
  expect(at(StartPosition.NewOnly)).toBe(5);
  expect(at(StartPosition.LastReceived)).toBe(4);
  expect(at(StartPosition.First)).toBe(0);
  expect([at(StartPosition.SequenceStart, 0n), at(StartPosition.SequenceStart, 3n), at(StartPosition.SequenceStart, 9n)]).toEqual([0, 2, 5]);
  const minutes = (m: number) => BigInt(m * 60) * 1_000_000_000n;
  // 2.5 minutes back reaches 4 and 5; half a minute reaches none (new only); an hour reaches all.
  expect(at(StartPosition.TimeDeltaStart, 0n, minutes(2.5))).toBe(3);
  expect(at(StartPosition.TimeDeltaStart, 0n, minutes(0.5))).toBe(5);
  expect(at(StartPosition.TimeDeltaStart, 0n, minutes(60))).toBe(0);
  expect(startLastSent(new MemStore(), 0, StartPosition.First, 0n, 0n)).toBe(0);
});
